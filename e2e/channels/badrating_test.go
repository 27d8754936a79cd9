package channels

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/email"
	"github.com/kefu-hub/kefu/connectors/email/emailtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// A bad rating reaches the supervisors outside the workbench too: by
// e-mail through the tenant's mailbox (SMTP) to the chosen recipients, and
// on a webhook subscribed to conversation.rated, signed and marked bad. A
// good rating is delivered to the webhook marked good and mails nobody.
func TestBadRatingAlertByMailAndWebhook(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		srv := emailtest.Start(t)
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "email", "name": "客服邮箱", "config": srv.Config()})
		adm.Must(200, "PUT", "/api/v1/email/recipients", map[string]any{"recipients": []map[string]any{{"address": "boss@shop.test"}}})
		adm.Must(200, "PUT", "/api/v1/ratings/settings", map[string]any{"levels": []map[string]any{{"score": 5, "label": "满意"},
			{"score": 3, "label": "一般"}, {"score": 1, "label": "不满意", "reasons": []string{"太慢"}}},
			"invite_text": "请评价：{levels}", "thanks_text": "谢谢", "bad_at": 1, "reply_minutes": 30})
		cb := kit.NewCallbackServer(t)
		r := adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": cb.URL, "events": []string{"conversation.rated"}})
		cb.SetSecret(r.Str("secret"))

		chID, _ := adm.NewWebChannel(map[string]any{"rating": true})
		agent := adm.NewAgent("rated-agent@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)
		rate := func(score int, comment string) string {
			v, _, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Conn.Close()
			v.Say("c-1", "我的订单还没到")
			conv := as.WaitFor("conversation.assigned", 10*time.Second, nil)["conversation_id"].(string)
			agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{})
			v.WaitFor("closed", 10*time.Second, nil)
			v.Send(map[string]any{"type": "rate", "conversation_id": conv, "score": score, "comment": comment})
			v.WaitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["rate"] == conv })
			return conv
		}
		good := rate(5, "很好")
		bad := rate(1, "等了太久 <b>x</b>")

		rated := map[string]kit.Callback{}
		kit.Eventually(t, 30*time.Second, "both ratings reach the webhook", func() bool {
			for _, c := range cb.Received() {
				if c.Body["type"] == "conversation.rated" {
					rated[kit.Dig(c.Body, "data", "conversation_id").(string)] = c
				}
			}
			return len(rated) == 2
		})
		for conv, want := range map[string]bool{good: false, bad: true} {
			c := rated[conv]
			if !c.OK || kit.Dig(c.Body, "data", "bad") != want {
				t.Errorf("webhook delivery for %s: signed %v, body %v; want bad=%v", conv, c.OK, c.Body, want)
			}
		}
		if s := kit.Dig(rated[bad].Body, "data", "score"); s != 1.0 {
			t.Errorf("the bad rating's score on the webhook: %v", s)
		}

		var alerts []string
		kit.Eventually(t, 30*time.Second, "the alert mail reaches the recipient", func() bool {
			alerts = alerts[:0]
			for _, got := range srv.Received() {
				msg, err := email.Parse(strings.NewReader(got.Data))
				if err != nil {
					t.Fatal(err)
				}
				if got.To[0] == "boss@shop.test" && strings.HasPrefix(msg.Subject, "[差评提醒]") {
					alerts = append(alerts, msg.Subject+"\n"+msg.Text)
				}
			}
			return len(alerts) > 0
		})
		time.Sleep(2 * time.Second) // a mail for the good rating would have come with it
		n := 0
		for _, got := range srv.Received() {
			if strings.Contains(got.Data, "boss@shop.test") {
				n++
			}
		}
		if n != 1 || !strings.Contains(alerts[0], "不满意") || !strings.Contains(alerts[0], "等了太久 <b>x</b>") ||
			!strings.Contains(alerts[0], "rated-agent") || !strings.Contains(alerts[0], bad) {
			t.Fatalf("%d mails to the recipient; the alert:\n%s", n, alerts[0])
		}
	})
}
