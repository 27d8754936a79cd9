package browser

// Browser test of the channel robot (issue 17): a visitor on the direct
// chat page asks, the robot answers from the knowledge base, the visitor
// asks for a person, and the agent gets the conversation with the robot's
// transcript (connectors/web/widget/e2e/robot.mjs drives the browser).

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestRobotBrowser(t *testing.T) {
	t.Parallel()
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	agent := adm.NewAgent("robot-desk@kefu.test", 5)
	agent.SetStatus("online")
	sock := agent.Dial(-1)
	chID, _ := adm.NewWebChannel(map[string]any{})
	for _, f := range []map[string]any{
		{"question": "运费怎么收？", "similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"},
		{"question": "退款多久到账？", "similar": []string{"钱什么时候退回来"}, "answer": "1到3个工作日原路退回。"},
	} {
		adm.Must(201, "POST", "/api/v1/kb/articles", f)
	}
	adm.Must(200, "PUT", "/api/v1/channels/"+chID+"/robot", map[string]any{"mode": "first",
		"greeting": "您好，我是智能助理小K。", "max_misses": 2})

	params, _ := json.Marshal(map[string]string{"chat": h.Base + "/chat/" + chID, "shots": kit.ShotsDir(t)})
	script := kit.RunBrowserScript(t, widgetDir, 2*time.Minute, nil, "e2e/robot.mjs", string(params))
	script.Await("answered")
	var list struct{ Conversations []map[string]any }
	adm.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &list)
	if len(list.Conversations) != 1 || list.Conversations[0]["assignee_id"] != nil {
		t.Errorf("while the robot answers: %+v", list.Conversations)
	}
	script.Send(nil)
	script.Await("rated")
	var un struct{ Questions []struct{ Question string } }
	adm.Must(200, "GET", "/api/v1/kb/unanswered", nil).JSON(t, &un)
	if len(un.Questions) != 1 || un.Questions[0].Question != "请问邮费多少钱" {
		t.Errorf("after 没帮助 the unanswered list is %+v", un.Questions)
	}
	script.Send(nil)
	script.Await("handed_over")
	ev := sock.WaitFor("conversation.assigned", 20*time.Second, nil)
	conv, _ := kit.Dig(ev, "data", "conversation", "id").(string)
	var ms struct {
		Messages []struct {
			Text       string `json:"text"`
			SenderType string `json:"sender_type"`
		}
	}
	agent.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil).JSON(t, &ms)
	var got []string
	for _, m := range ms.Messages {
		got = append(got, m.SenderType+":"+m.Text)
	}
	transcript := strings.Join(got, "\n")
	for _, w := range []string{"contact:请问邮费多少钱", "robot:您好，我是智能助理小K。", "robot:全场满99元包邮。",
		"robot:抱歉没能帮到您。您可以换个说法再问，或回复“转人工”联系人工客服。", "contact:转人工",
		"robot:正在为您转接人工客服，请稍候。"} {
		if !strings.Contains(transcript, w) {
			t.Errorf("the agent's transcript lacks %q:\n%s", w, transcript)
		}
	}
	script.Send(nil)
	script.Finish()
}
