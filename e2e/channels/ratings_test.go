package channels

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// A WeChat customer rates by answering the invitation with a number: the
// agent closes the conversation, WeChat carries the invitation (the
// tenant's three-level scale), the customer answers "3", the rating is
// stored and shown, they are thanked, WeChat's retry of that message
// changes nothing and opens no conversation; the supervisor is told it is
// a bad rating; the ratings list and its CSV show it, another tenant's
// do not.
func TestWechatCustomerRatesWithANumber(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, h, adm, fake := kit.WechatHub(t, m)
		scale := map[string]any{"levels": []map[string]any{{"score": 5, "label": "满意"}, {"score": 3, "label": "一般"},
			{"score": 1, "label": "不满意", "reasons": []string{"太慢"}}}, "invite_text": "请评价：{levels}",
			"thanks_text": "谢谢您的评价！", "bad_at": 1, "reply_minutes": 30}
		adm.Must(400, "PUT", "/api/v1/ratings/settings", map[string]any{"levels": []map[string]any{{"score": 5, "label": "好"}}})
		adm.Must(200, "PUT", "/api/v1/ratings/settings", scale)
		agent := adm.NewAgent("wx-rate@kefu.test", 5)
		agent.SetStatus("online")
		sock := adm.Dial(-1) // the admin watches as a supervisor would
		mon := adm.Monitor()
		wx := adm.NewWechatChannel(fake, "plain", nil)
		user := "orate_" + kit.RandHex(6)
		wx.MustPush(t, wechattest.Text(user, "快递到哪了？", kit.NextMsgID()))
		convID := mon.Conv(user)
		mon.Assignee(convID)
		agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": "solved"})
		texts := func() []string {
			var out []string
			for _, s := range fake.Sends() {
				if s.ToUser == user && s.MsgType == "text" {
					out = append(out, s.Text)
				}
			}
			return out
		}
		kit.Eventually(t, 15*time.Second, "the invitation reaches WeChat", func() bool {
			return kit.Count(texts(), "请评价：1 满意、2 一般、3 不满意") == 1
		})

		answer := wechattest.Text(user, "3", kit.NextMsgID())
		wx.MustPush(t, answer)
		ev := sock.WaitFor("conversation.rated", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation_id") == convID
		})
		if kit.Dig(ev, "data", "score") != 1.0 || kit.Dig(ev, "data", "bad") != true {
			t.Fatalf("rated event %v, want score 1 marked bad", ev)
		}
		kit.Eventually(t, 15*time.Second, "the thanks reach WeChat", func() bool { return kit.Count(texts(), "谢谢您的评价！") == 1 })
		wx.MustPush(t, answer) // WeChat retries when it got no answer in time
		time.Sleep(time.Second)
		if r := adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil); !bytes.Contains(r.Body, []byte(`"rating":{"score":1`)) {
			t.Fatalf("the conversation after the answer: %.400s", r.Body)
		}
		var convs struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		adm.Must(200, "GET", "/api/v1/conversations?status=queued", nil).JSON(t, &convs)
		if len(convs.Conversations) != 0 {
			t.Fatalf("the number opened a conversation: %+v", convs)
		}
		if n := kit.Count(texts(), "谢谢您的评价！"); n != 1 {
			t.Fatalf("thanked %d times", n)
		}

		list := adm.Must(200, "GET", "/api/v1/ratings?bad=1", nil)
		if !bytes.Contains(list.Body, []byte(convID)) || !strings.Contains(string(list.Body), `"label":"不满意"`) {
			t.Fatalf("ratings list %.500s", list.Body)
		}
		csv := adm.Must(200, "GET", "/api/v1/ratings?format=csv", nil)
		if !bytes.HasPrefix(csv.Body, []byte("\ufeff时间,评分")) || !bytes.Contains(csv.Body, []byte(convID)) {
			t.Fatalf("ratings CSV %.300s", csv.Body)
		}
		agent.Must(403, "GET", "/api/v1/ratings", nil)
		adm.Must(201, "POST", "/api/v1/tenants", map[string]any{"name": "Other", "admin_email": "rate-other@kefu.test",
			"admin_password": "other-pass-1"})
		other := kit.Login(t, h.Base, "rate-other@kefu.test", "other-pass-1")
		if r := other.Must(200, "GET", "/api/v1/ratings", nil); bytes.Contains(r.Body, []byte(convID)) {
			t.Fatalf("another tenant lists this rating: %.300s", r.Body)
		}
	})
}
