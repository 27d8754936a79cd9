package desk

// The channel robot (issue 17): it answers a new conversation first from
// the knowledge base, hands over on 转人工 or after unanswered questions,
// and the agent who takes over reads the robot's transcript.

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

type msg struct {
	Text       string `json:"text"`
	SenderType string `json:"sender_type"`
	Direction  string `json:"direction"`
}

// convOf finds the conversation of a contact (as the admin sees it).
func (d *desk) convOf(t *testing.T, contact string) string {
	t.Helper()
	return d.convIn(t, "queued", contact)
}

// convIn finds the conversation of a contact among those of a status
// ("all": any).
func (d *desk) convIn(t *testing.T, status, contact string) string {
	t.Helper()
	id := ""
	kit.Eventually(t, 15*time.Second, "the conversation of "+contact, func() bool {
		var r struct{ Conversations []map[string]any }
		d.admin.Must(200, "GET", "/api/v1/conversations?status="+status, nil).JSON(t, &r)
		for _, c := range r.Conversations {
			if kit.Dig(c, "contact", "external_id") == contact || kit.Dig(c, "contact", "name") == "顾客 "+contact {
				id, _ = c["id"].(string)
			}
		}
		return id != ""
	})
	return id
}

func (d *desk) messages(t *testing.T, conv string) []msg {
	t.Helper()
	var r struct{ Messages []msg }
	d.admin.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil).JSON(t, &r)
	return r.Messages
}

// waitRobot waits until the conversation has n robot messages.
func (d *desk) waitRobot(t *testing.T, conv string, n int) []msg {
	t.Helper()
	var robot []msg
	kit.Eventually(t, 15*time.Second, "robot messages", func() bool {
		robot = robot[:0]
		for _, m := range d.messages(t, conv) {
			if m.SenderType == "robot" {
				robot = append(robot, m)
			}
		}
		return len(robot) >= n
	})
	return robot
}

func (d *desk) post(t *testing.T, contact, text string) {
	t.Helper()
	body := map[string]any{"id": "m-" + kit.RandHex(6), "type": "text", "text": text,
		"contact": map[string]any{"id": contact, "name": "顾客 " + contact}}
	if st, b := d.ch.Post(t, d.h.Base, body); st != 200 {
		t.Fatalf("post: %d %s", st, b)
	}
}

func TestRobotAnswersThenHandsOver(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		for _, f := range []map[string]any{
			{"question": "运费怎么收？", "similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"},
			{"question": "退款多久到账？", "similar": []string{"钱什么时候退回来"}, "answer": "1到3个工作日原路退回。"},
			{"question": "发什么快递？", "similar": []string{"用哪家快递"}, "answer": "默认发中通。"},
		} {
			d.admin.Must(201, "POST", "/api/v1/kb/articles", f)
		}
		d.admin.Must(404, "PUT", "/api/v1/channels/ch_nope/robot", map[string]any{"mode": "first"})
		d.admin.Must(400, "PUT", "/api/v1/channels/"+d.ch.ID+"/robot", map[string]any{"mode": "always", "max_misses": 2})
		set := d.admin.Must(200, "PUT", "/api/v1/channels/"+d.ch.ID+"/robot", map[string]any{"mode": "first",
			"greeting": "您好，我是智能助理小K。", "max_misses": 2})
		if set.Str("mode") != "first" {
			t.Fatalf("robot settings: %s", set.Body)
		}

		// The robot greets and answers; nobody is assigned although an agent
		// is online.
		contact := "cust-" + kit.RandHex(4)
		d.post(t, contact, "请问邮费多少钱")
		conv := d.convOf(t, contact)
		robot := d.waitRobot(t, conv, 2)
		if robot[0].Text != "您好，我是智能助理小K。" || robot[1].Text != "全场满99元包邮。" {
			t.Fatalf("robot said %+v", robot)
		}
		if c := d.conversation(t, conv); c["assignee_id"] != nil && c["assignee_id"] != "" {
			t.Fatalf("assigned while the robot answers: %v", c["assignee_id"])
		}

		// The customer asks for a person: the agent gets the conversation
		// with the robot's transcript.
		d.post(t, contact, "转人工")
		d.sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation", "id") == conv
		})
		ms := d.messages(t, conv)
		var texts []string
		for _, m := range ms {
			texts = append(texts, m.SenderType+":"+m.Text)
		}
		want := []string{"contact:请问邮费多少钱", "robot:您好，我是智能助理小K。", "robot:全场满99元包邮。", "contact:转人工",
			"robot:正在为您转接人工客服，请稍候。"}
		for _, w := range want {
			if !strings.Contains(strings.Join(texts, "\n"), w) {
				t.Errorf("transcript lacks %q:\n%s", w, strings.Join(texts, "\n"))
			}
		}
		if c := d.conversation(t, conv); c["assignee_id"] != d.agentI {
			t.Errorf("after 转人工 assigned to %v, want %s", c["assignee_id"], d.agentI)
		}

		// Two questions in a row the robot cannot answer hand over too.
		other := "cust-" + kit.RandHex(4)
		d.post(t, other, "钱什么时候退回来啊")
		conv2 := d.convOf(t, other)
		if r := d.waitRobot(t, conv2, 2); r[1].Text != "1到3个工作日原路退回。" {
			t.Errorf("refund question: robot said %q", r[1].Text)
		}
		d.post(t, other, "你们老板叫什么名字")
		if r := d.waitRobot(t, conv2, 3); !strings.Contains(r[2].Text, "转人工") {
			t.Errorf("first miss: robot said %q", r[2].Text)
		}
		d.post(t, other, "今天天气怎么样")
		d.sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation", "id") == conv2
		})
		if r := d.waitRobot(t, conv2, 4); r[3].Text != "正在为您转接人工客服，请稍候。" {
			t.Errorf("second miss: robot said %q", r[3].Text)
		}
		var un struct {
			Questions []struct {
				Question string `json:"question"`
				Hits     int    `json:"hits"`
			}
		}
		d.admin.Must(200, "GET", "/api/v1/kb/unanswered", nil).JSON(t, &un)
		if len(un.Questions) != 2 || !strings.Contains(un.Questions[0].Question+un.Questions[1].Question, "你们老板叫什么名字") {
			t.Errorf("unanswered questions: %+v", un.Questions)
		}
		d.admin.Must(200, "DELETE", "/api/v1/kb/unanswered?question="+url.QueryEscape("你们老板叫什么名字"), nil)

		// The robot's conversations are counted apart: both handed over, one
		// asked, one unanswered.
		var st struct {
			Engaged, Resolved, Active int
			HandedOver                int `json:"handed_over"`
			Reasons                   map[string]int
		}
		d.admin.Must(200, "GET", "/api/v1/robot/stats?days=1", nil).JSON(t, &st)
		if st.Engaged != 2 || st.HandedOver != 2 || st.Reasons["asked"] != 1 || st.Reasons["unanswered"] != 1 || st.Active != 0 {
			t.Errorf("robot stats: %+v", st)
		}
		d.admin.Must(400, "GET", "/api/v1/robot/stats?days=999", nil)
	})
}

// noRobot checks that the robot leaves the conversation to people: the
// customer's message is there and, two seconds on, no robot message (a
// robot on answers within milliseconds).
func (d *desk) noRobot(t *testing.T, conv string) {
	t.Helper()
	kit.Eventually(t, 15*time.Second, "the customer's message", func() bool { return len(d.messages(t, conv)) > 0 })
	time.Sleep(2 * time.Second)
	for _, m := range d.messages(t, conv) {
		if m.SenderType == "robot" {
			t.Fatalf("the robot answered: %+v", m)
		}
	}
}
