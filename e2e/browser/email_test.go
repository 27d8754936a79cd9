package browser

import (
	"strconv"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/email/emailtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIEmailChannel: the admin binds the mailbox in the console (the
// connection test explains a wrong password in Chinese, then connects),
// chooses who is told of new tickets, and "立即收信" turns the customer's
// mail into a ticket; screenshots of the form and the channel (desktop and
// 375 px).
func TestUIEmailChannel(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	srv := emailtest.Start(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()

	shots := kit.ShotsDir(t)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1",
		"KEFU_SMTP_PORT=" + strconv.Itoa(srv.SMTPAddr.Port), "KEFU_IMAP_PORT=" + strconv.Itoa(srv.IMAPAddr.Port),
		"KEFU_MAILBOX=" + emailtest.Mailbox, "KEFU_MAILBOX_PASSWORD=" + emailtest.Password, "KEFU_SHOTS=" + shots}, "e2e/email.mjs")
	script.Args("bound")
	srv.Deliver(t, "From: zhao@customer.test\nTo: kefu@shop.test\nSubject: =?UTF-8?B?5Y+R56Wo?=\nMessage-ID: <ui-1@customer.test>\n"+
		"Content-Type: text/plain; charset=utf-8\n\n请开一张发票。\n")
	script.Send(map[string]string{})
	script.Args("done")
	script.Finish()

	var ts struct{ Tickets []struct{ Subject string } }
	kit.Eventually(t, 15*time.Second, "the mail's ticket", func() bool {
		adm.Must(200, "GET", "/api/v1/tickets", nil).JSON(t, &ts)
		return len(ts.Tickets) == 1
	})
	if ts.Tickets[0].Subject != "发票" {
		t.Fatalf("ticket subject %q, want the mail's", ts.Tickets[0].Subject)
	}
	var rs struct{ Recipients []struct{ Address string } }
	adm.Must(200, "GET", "/api/v1/email/recipients", nil).JSON(t, &rs)
	if len(rs.Recipients) != 1 || rs.Recipients[0].Address != "boss@shop.test" {
		t.Fatalf("recipients saved from the console: %+v", rs)
	}
}
