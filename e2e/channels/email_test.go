package channels

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/email"
	"github.com/kefu-hub/kefu/connectors/email/emailtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestEmailChannel binds a mailbox through the REST API of the built
// binary and follows a customer's mail: the connection test, the mail in
// (read by IMAP) becoming a ticket with its Chinese subject, the staff's
// notification and the agent's reply arriving at the SMTP server threaded
// onto the customer's mail.
func TestEmailChannel(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		srv := emailtest.Start(t)
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()

		var chk struct{ SMTP, IMAP email.Check }
		adm.Must(200, "POST", "/api/v1/email/test", map[string]any{"config": srv.Config()}).JSON(t, &chk)
		if !chk.SMTP.OK || !chk.IMAP.OK {
			t.Fatalf("connection test: %+v", chk)
		}
		bad := srv.Config()
		bad["imap_password"] = "wrong"
		adm.Must(200, "POST", "/api/v1/email/test", map[string]any{"config": bad}).JSON(t, &chk)
		if chk.IMAP.OK || !strings.Contains(chk.IMAP.Error, "登录被拒绝") {
			t.Fatalf("a wrong password: %+v, want a Chinese explanation", chk.IMAP)
		}

		r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "email", "name": "客服邮箱", "config": srv.Config()})
		chID := r.Str("id")
		if strings.Contains(string(r.Body), emailtest.Password) {
			t.Fatalf("the channel shows its password: %s", r.Body)
		}
		adm.Must(200, "PUT", "/api/v1/email/recipients", map[string]any{"recipients": []map[string]any{{"address": "boss@shop.test"}}})

		srv.Deliver(t, "From: =?UTF-8?B?5byg5LiJ?= <zhang@customer.test>\nTo: kefu@shop.test\n"+
			"Subject: =?UTF-8?B?6YCA5qy+6L+b5bqm?=\nMessage-ID: <e2e-1@customer.test>\n"+
			"Content-Type: text/plain; charset=utf-8\n\n退款什么时候到账？\n")
		var poll struct {
			Result email.PollResult
			Error  string
		}
		adm.Must(200, "POST", "/api/v1/email/mailboxes/"+chID+"/poll", nil).JSON(t, &poll)
		if poll.Result.Published != 1 || poll.Error != "" {
			t.Fatalf("poll: %+v", poll)
		}
		var ts struct {
			Tickets []struct{ ID, Subject, ChannelID string }
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(ts.Tickets) == 0 && time.Now().Before(deadline) {
			adm.Must(200, "GET", "/api/v1/tickets?channel_id="+chID, nil).JSON(t, &ts)
			time.Sleep(100 * time.Millisecond)
		}
		if len(ts.Tickets) != 1 || ts.Tickets[0].Subject != "退款进度" {
			t.Fatalf("tickets: %+v, want the mail's ticket", ts)
		}
		adm.Must(201, "POST", "/api/v1/tickets/"+ts.Tickets[0].ID+"/reply", map[string]any{"text": "已原路退回，1-3 个工作日到账。"})

		var reply, notice *emailtest.Mail
		for time.Now().Before(deadline.Add(10*time.Second)) && (reply == nil || notice == nil) {
			for _, got := range srv.Received() {
				switch got.To[0] {
				case "zhang@customer.test":
					reply = &got
				case "boss@shop.test":
					notice = &got
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if reply == nil || notice == nil {
			t.Fatalf("SMTP received %+v: want the reply to the customer and the staff's notice", srv.Received())
		}
		if !strings.Contains(reply.Data, "In-Reply-To: <e2e-1@customer.test>") {
			t.Fatalf("reply:\n%s\nwant it threaded onto the customer's mail", reply.Data)
		}
	})
}
