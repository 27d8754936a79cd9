package email_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/email"
	"github.com/kefu-hub/kefu/connectors/email/emailtest"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
	"github.com/kefu-hub/kefu/tickets"
)

// fixture is one hub (both dialects), a tenant with an e-mail channel
// bound to the servers, and the connector as serve builds it.
type fixture struct {
	h   *hubtest.Hub
	t   hubtest.Tenant
	ch  *hub.Channel
	c   *email.Connector
	srv *emailtest.Servers
	out *outbound.Store
}

func each(t *testing.T, f func(t *testing.T, x *fixture)) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			k := storetest.Open(t, name, store.Options{EventHooks: []store.EventHook{email.Notify}}).Store
			h := hubtest.Build(k)
			f(t, newFixture(t, h))
		})
	}
}

func newFixture(t *testing.T, h *hubtest.Hub) *fixture {
	t.Helper()
	x := &fixture{h: h, t: h.NewTenant(t), srv: emailtest.Start(t)}
	x.c = x.connector()
	x.ch = &hub.Channel{TenantID: x.t.Admin.TenantID, Type: email.Type, Name: "客服邮箱"}
	if err := x.c.Setup(x.ch, x.srv.ConfigJSON(), false); err != nil {
		t.Fatal(err)
	}
	if err := h.Channels.Create(context.Background(), x.ch); err != nil {
		t.Fatal(err)
	}
	x.out = outbound.New(h.K, outbound.NewHook(), h.Channels.Get, h.Conversations.MessageResult)
	return x
}

// connector is the channel's connector as one hub process builds it:
// publishing stores the message and routes it, as the pipeline does.
func (x *fixture) connector() *email.Connector {
	h := x.h
	return email.New(connectors.Deps{
		Channel: h.Channels.Get, Store: h.K, Files: files.New(h.K), AllowPrivate: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Publish: func(ctx context.Context, in hub.Inbound) error {
			rs := h.Inbox.Ingest(ctx, []hub.Inbound{in})
			if rs[0].Err != nil {
				return rs[0].Err
			}
			h.Route(ctx, rs)
			return nil
		},
	})
}

func (x *fixture) poll(t *testing.T) email.PollResult {
	t.Helper()
	res, err := x.c.Poll(context.Background(), x.ch, true)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (x *fixture) tickets(t *testing.T) []tickets.Ticket {
	t.Helper()
	ts, err := x.h.Tickets.List(context.Background(), x.t.Admin.TenantID, tickets.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (x *fixture) ticket(t *testing.T, id string) *tickets.Ticket {
	t.Helper()
	tk, err := x.h.Tickets.Get(context.Background(), x.t.Admin.TenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// sendDue attempts every due delivery through the connector.
func (x *fixture) sendDue(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ids, err := x.out.Due(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	reg := connectors.Registry{email.Type: x.c} // the other channels' deliveries fail: no connector here
	for _, id := range ids {
		if err := x.out.Deliver(ctx, id, reg); err != nil {
			t.Fatal(err)
		}
	}
}

func (x *fixture) message(t *testing.T, id string) hub.Message {
	t.Helper()
	ms, err := x.h.Conversations.ByIDs(context.Background(), []string{id})
	if err != nil || len(ms) != 1 {
		t.Fatalf("message %s: %v", id, err)
	}
	return ms[0]
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gbkMail is a customer's mail as a Chinese mail program writes it: GBK
// body (8bit), GB2312 subject and name in RFC 2047 words.
func gbkMail(t *testing.T, id, from, subject, body string) string {
	t.Helper()
	word := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(gbk(t, s)) {
			b.WriteString("=")
			b.WriteString(strings.ToUpper(hex2(c)))
		}
		return "=?GB2312?Q?" + b.String() + "?="
	}
	return "From: " + word("王小明") + " <" + from + ">\n" +
		"To: kefu@shop.test\n" +
		"Subject: " + word(subject) + "\n" +
		"Message-ID: <" + id + ">\n" +
		"Date: Sun, 6 Dec 2026 10:00:00 +0800\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=GBK\n" +
		"Content-Transfer-Encoding: 8bit\n\n" +
		gbk(t, body) + "\n"
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

func TestGBKMailOpensTicket(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		x.srv.Deliver(t, gbkMail(t, "m1@customer.test", "xiaoming@customer.test", "订单 1234 还没发货", "你好，我的订单三天了还没有发货，请帮忙查一下。"))
		res := x.poll(t)
		if res.Published != 1 {
			t.Fatalf("poll = %+v, want one mail published", res)
		}
		ts := x.tickets(t)
		if len(ts) != 1 {
			t.Fatalf("tickets = %d, want 1", len(ts))
		}
		if ts[0].Subject != "订单 1234 还没发货" {
			t.Fatalf("subject = %q, want the mail's subject decoded", ts[0].Subject)
		}
		tk := x.ticket(t, ts[0].ID)
		if len(tk.Messages) != 1 || !strings.Contains(tk.Messages[0].Text, "我的订单三天了还没有发货") {
			t.Fatalf("ticket messages = %+v, want the GBK body decoded", tk.Messages)
		}
		c, err := x.h.Contacts.Find(context.Background(), x.ch.ID, "xiaoming@customer.test")
		if err != nil || c.Email != "xiaoming@customer.test" || c.Name != "王小明" {
			t.Fatalf("contact = %+v, %v: want the sender with the decoded name", c, err)
		}
	})
}

func TestSameMailStoredOnce(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		x.srv.Deliver(t, gbkMail(t, "dup@customer.test", "a@customer.test", "退款", "请退款"))
		x.poll(t)
		// A restart that lost the position (or a second process polling
		// with its own): the mail is read again, and stored once.
		if _, err := x.h.K.Exec(context.Background(), `UPDATE email_mailboxes SET last_uid = 0, uid_validity = 0`); err != nil {
			t.Fatal(err)
		}
		other := x.connector()
		var wg sync.WaitGroup
		for _, c := range []*email.Connector{x.c, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Poll(context.Background(), x.ch, true); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		x.poll(t)
		ts := x.tickets(t)
		if len(ts) != 1 {
			t.Fatalf("tickets = %d, want 1", len(ts))
		}
		if n := len(x.ticket(t, ts[0].ID).Messages); n != 1 {
			t.Fatalf("ticket has %d messages, want the mail once", n)
		}
	})
}

func TestAutomaticMailsIgnored(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		x.srv.Deliver(t, "From: a@customer.test\nTo: kefu@shop.test\nSubject: Out of office\nMessage-ID: <ooo@c>\n"+
			"Auto-Submitted: auto-replied\n\nI am away.\n")
		x.srv.Deliver(t, "From: MAILER-DAEMON@mx.test\nTo: kefu@shop.test\nSubject: Undelivered\nMessage-ID: <bounce@c>\n\nfailed\n")
		x.srv.Deliver(t, "From: b@customer.test\nTo: kefu@shop.test\nSubject: news\nMessage-ID: <bulk@c>\nPrecedence: bulk\n\nnews\n")
		x.srv.Deliver(t, "From: kefu@shop.test\nTo: kefu@shop.test\nSubject: loop\nMessage-ID: <own@c>\n\nmine\n")
		x.srv.Deliver(t, "From: c@customer.test\nTo: kefu@shop.test\nSubject: vacation\nMessage-ID: <x@c>\nX-Autoreply: yes\n\nbye\n")
		res := x.poll(t)
		if res.Published != 0 || res.Ignored != 5 {
			t.Fatalf("poll = %+v, want all five ignored", res)
		}
		if ts := x.tickets(t); len(ts) != 0 {
			t.Fatalf("tickets = %+v, want none from automatic mails", ts)
		}
	})
}

func TestReplyThreads(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		x.srv.Deliver(t, gbkMail(t, "q1@customer.test", "li@customer.test", "发票怎么开", "请问发票怎么开？"))
		x.poll(t)
		ts := x.tickets(t)
		if len(ts) != 1 {
			t.Fatalf("tickets = %d", len(ts))
		}
		tk := ts[0]
		m, err := x.h.Conversations.ReplyToTicket(ctx, x.t.Admin, tk.ID, "您好，请在订单页点击「申请发票」。")
		if err != nil {
			t.Fatal(err)
		}
		x.sendDue(t)
		got := x.srv.Received()
		if len(got) != 1 {
			t.Fatalf("SMTP server received %d mails, want the reply", len(got))
		}
		data := got[0].Data
		if got[0].To[0] != "li@customer.test" || !strings.Contains(data, "In-Reply-To: <q1@customer.test>") {
			t.Fatalf("reply to %v:\n%s\nwant it to answer the customer's mail", got[0].To, data)
		}
		tag := "[#" + tickets.TagOf(tk.ID) + "]"
		if !strings.Contains(decodeHeaders(t, data), tag) {
			t.Fatalf("reply subject lacks the ticket tag %s:\n%s", tag, data)
		}
		if st := x.message(t, m.ID); st.Status != hub.MessageSent {
			t.Fatalf("reply status = %s %q, want sent", st.Status, st.Error)
		}
		ourID := headerValue(data, "Message-ID")
		// The agent solves the ticket; the customer answers the mail: the
		// answer reopens the same ticket.
		solved := tickets.Solved
		if _, err := x.h.Tickets.Update(ctx, x.t.Admin.TenantID, tk.ID, tickets.Change{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		x.srv.Deliver(t, "From: li@customer.test\nTo: kefu@shop.test\nSubject: Re: 发票怎么开\nMessage-ID: <q2@customer.test>\n"+
			"In-Reply-To: "+ourID+"\nReferences: <q1@customer.test> "+ourID+"\nContent-Type: text/plain; charset=utf-8\n\n"+
			"找到了，谢谢！\n\n在 2026年12月6日，小店客服 写道：\n> 您好，请在订单页点击「申请发票」。\n")
		x.poll(t)
		ts = x.tickets(t)
		if len(ts) != 1 {
			t.Fatalf("tickets = %d, want the answer on the first ticket", len(ts))
		}
		after := x.ticket(t, tk.ID)
		if after.Status != tickets.Open {
			t.Fatalf("ticket status = %s, want reopened by the customer's answer", after.Status)
		}
		last := after.Messages[len(after.Messages)-1]
		if last.Text != "找到了，谢谢！" {
			t.Fatalf("last message = %q, want the answer without the quoted mail", last.Text)
		}
	})
}

func TestRefusedReplyFails(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		x.srv.Deliver(t, gbkMail(t, "r1@customer.test", "gone@customer.test", "在吗", "在吗"))
		x.poll(t)
		tk := x.tickets(t)[0]
		x.srv.Refuse(true)
		m, err := x.h.Conversations.ReplyToTicket(ctx, x.t.Admin, tk.ID, "在的")
		if err != nil {
			t.Fatal(err)
		}
		x.sendDue(t)
		got := x.message(t, m.ID)
		if got.Status != hub.MessageFailed || !strings.Contains(got.Error, "550") {
			t.Fatalf("reply = %s %q, want failed with the server's answer", got.Status, got.Error)
		}
	})
}

func TestNewTicketNotifiesStaff(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		rs, err := email.SetRecipients(ctx, x.h.K, x.t.Admin.TenantID, []email.Recipient{{AgentID: x.t.Admin.ID},
			{Address: "Boss@Shop.test"}}, func(ctx context.Context, tenantID, id string) (string, error) {
			return x.t.Admin.Email, nil
		})
		if err != nil || len(rs) != 2 {
			t.Fatalf("recipients = %+v, %v", rs, err)
		}
		// A chat customer leaves a message on another channel.
		in := x.t.Msg("left-1", "visitor-1")
		in.Text, in.LeaveMessage = "明天上午能送到吗？", true
		if r := x.h.Inbox.Ingest(ctx, []hub.Inbound{in}); r[0].Err != nil || !r[0].Ticketed {
			t.Fatalf("ingest = %+v", r[0])
		}
		x.sendDue(t)
		got := x.srv.Received()
		if len(got) != 1 || len(got[0].To) != 2 {
			t.Fatalf("notifications = %+v, want one mail to both recipients", got)
		}
		if !strings.Contains(decodeHeaders(t, got[0].Data), "明天上午能送到吗？") ||
			!strings.Contains(got[0].Data, "Auto-Submitted: auto-generated") {
			t.Fatalf("notification:\n%s", got[0].Data)
		}
	})
}

// headerValue is a raw header of a mail.
func headerValue(data, name string) string {
	for _, l := range strings.Split(data, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	return ""
}

// decodeHeaders reads a mail back with the connector's own parser, as a
// customer's mail program would show it: its subject and text.
func decodeHeaders(t *testing.T, data string) string {
	t.Helper()
	m, err := email.Parse(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return m.Subject + "\n" + m.Text
}

func (x *fixture) notifyBoss(t *testing.T) {
	t.Helper()
	_, err := email.SetRecipients(context.Background(), x.h.K, x.t.Admin.TenantID, []email.Recipient{{Address: "boss@shop.test"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestBadRatingAlertsStaff(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		x.notifyBoss(t)
		// A good rating tells nobody; a bad one alerts the recipients.
		for i, score := range []int{5, 1} {
			rs := x.h.Inbox.Ingest(ctx, []hub.Inbound{x.t.Msg(fmt.Sprint("r-", i), fmt.Sprint("rater-", i))})
			if rs[0].Err != nil {
				t.Fatal(rs[0].Err)
			}
			conv, err := x.h.Conversations.ByID(ctx, rs[0].ConversationID)
			if err != nil {
				t.Fatal(err)
			}
			if err := x.h.K.Write(ctx, func(tx *store.Tx) error { return x.h.Ratings.Record(ctx, tx, conv, score, "等了太久", nil) }); err != nil {
				t.Fatal(err)
			}
		}
		x.sendDue(t)
		got := x.srv.Received()
		if len(got) != 1 || got[0].To[0] != "boss@shop.test" {
			t.Fatalf("alerts = %+v, want one mail to the recipient", got)
		}
		if text := decodeHeaders(t, got[0].Data); !strings.Contains(text, "[差评提醒]") || !strings.Contains(text, "等了太久") {
			t.Fatalf("alert:\n%s", text)
		}
	})
}

func TestDailyDigestOnce(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		x.notifyBoss(t)
		var asked []time.Time
		var mu sync.Mutex
		digest := func() *email.Digest {
			return &email.Digest{K: x.h.K, Mailer: email.Staff{}, Hour: -1,
				Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
				Zone: func(context.Context, string) *time.Location { return time.FixedZone("CST", 8*3600) },
				Figures: func(_ context.Context, _ string, from, to time.Time) (email.Figures, error) {
					mu.Lock()
					asked = append(asked, from, to)
					mu.Unlock()
					return email.Figures{Conversations: 10, Answered: 8, FirstResponse: 42 * time.Second, Rated: 4, Satisfied: 3}, nil
				}}
		}
		// Two hub processes look at once, then again: one summary.
		var wg sync.WaitGroup
		total := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := digest().Due(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if n, err := digest().Due(ctx); err != nil || total+n != 1 {
			t.Fatalf("summaries queued: %d then %d (%v), want one", total, n, err)
		}
		if d := asked[1].Sub(asked[0]); d != 24*time.Hour || asked[1].In(time.FixedZone("CST", 8*3600)).Hour() != 0 {
			t.Fatalf("figures asked for %v – %v, want yesterday in the tenant's zone", asked[0], asked[1])
		}
		x.sendDue(t)
		got := x.srv.Received()
		if len(got) != 1 {
			t.Fatalf("SMTP received %d mails, want the summary once", len(got))
		}
		text := decodeHeaders(t, got[0].Data)
		if !strings.Contains(text, "[客服日报]") || !strings.Contains(text, "接通率 80.0%") || !strings.Contains(text, "满意率 75.0%") {
			t.Fatalf("summary:\n%s", text)
		}
	})
}

// The tenant's schedule (the console's 每日报表邮件): off sends nothing,
// a time not reached yet waits, chosen addresses get it instead of the
// notification list — also for a tenant without a notification list.
func TestDailyDigestPlan(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		tid := x.t.Admin.TenantID
		plan := email.Plan{Off: true}
		digest := &email.Digest{K: x.h.K, Mailer: email.Staff{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Zone: func(context.Context, string) *time.Location { return time.UTC },
			Figures: func(context.Context, string, time.Time, time.Time) (email.Figures, error) {
				return email.Figures{Conversations: 3}, nil
			},
			Plan:    func(context.Context, string) (email.Plan, error) { return plan, nil },
			Planned: func(context.Context) ([]string, error) { return []string{tid}, nil }}
		if n, err := digest.Due(ctx); err != nil || n != 0 {
			t.Fatalf("off: %d queued (%v)", n, err)
		}
		plan = email.Plan{Minute: 24 * 60, To: []string{"cfo@shop.test"}} // never reached today
		if n, err := digest.Due(ctx); err != nil || n != 0 {
			t.Fatalf("before its time: %d queued (%v)", n, err)
		}
		plan.Minute = 0
		if n, err := digest.Due(ctx); err != nil || n != 1 {
			t.Fatalf("at its time: %d queued (%v)", n, err)
		}
		if n, err := digest.Due(ctx); err != nil || n != 0 {
			t.Fatalf("again the same day: %d queued (%v)", n, err)
		}
		x.sendDue(t)
		got := x.srv.Received()
		if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "cfo@shop.test" {
			t.Fatalf("received %+v, want the summary to the chosen address only", got)
		}
	})
}

func TestTicketReplyMailedToCustomerOfAnotherChannel(t *testing.T) {
	each(t, func(t *testing.T, x *fixture) {
		ctx := context.Background()
		// A visitor leaves a message with their address on another channel.
		in := x.t.Msg("left-w", "visitor-w")
		in.Contact.Email, in.Text, in.LeaveMessage = "wu@customer.test", "能开专票吗？", true
		rs := x.h.Inbox.Ingest(ctx, []hub.Inbound{in})
		if rs[0].Err != nil || !rs[0].Ticketed {
			t.Fatalf("ingest = %+v", rs[0])
		}
		tk := x.tickets(t)[0]
		if _, err := x.h.Conversations.ReplyToTicket(ctx, x.t.Admin, tk.ID, "可以，请把开票信息发给我们。"); err != nil {
			t.Fatal(err)
		}
		x.sendDue(t)
		got := x.srv.Received()
		if len(got) != 1 || got[0].To[0] != "wu@customer.test" {
			t.Fatalf("mails = %+v, want the reply to the visitor's address", got)
		}
		text := decodeHeaders(t, got[0].Data)
		if !strings.Contains(text, "可以，请把开票信息发给我们。") || !strings.Contains(text, "[#"+tickets.TagOf(tk.ID)+"]") {
			t.Fatalf("reply mail:\n%s", text)
		}
		// A live chat reply is no ticket reply: no mail.
		if _, err := x.h.Conversations.AddNote(ctx, x.t.Admin, tk.ConversationID, "内部备注"); err != nil {
			t.Fatal(err)
		}
		x.sendDue(t)
		if n := len(x.srv.Received()); n != 1 {
			t.Fatalf("%d mails after a note, want still 1", n)
		}
	})
}
