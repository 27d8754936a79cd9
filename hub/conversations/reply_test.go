package conversations_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// An outgoing message on a channel that pushes over its own sockets is
// sent as stored; elsewhere it waits for exactly one delivery. Either way
// the text is masked.
func TestOutgoing(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		for _, c := range []struct {
			typ        string
			status     hub.MessageStatus
			deliveries int
		}{{"web", hub.MessageSent, 0}, {"api", hub.MessagePending, 1}, {"wechat", hub.MessagePending, 1}} {
			ch := x.channel(t, c.typ)
			r := x.ingest(t, ch, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}})
			x.rec.take()
			var m *hub.Message
			err := x.K.Write(ctx, func(tx *store.Tx) error {
				conv, err := x.s.LockByID(ctx, tx, r.ConversationID)
				if err == nil {
					m, err = x.s.Outgoing(ctx, tx, conv, hub.SenderSystem, "", conversations.Text("卡号6222021234567890128"))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			n := x.count(t, `SELECT COUNT(*) FROM deliveries WHERE message_id = ?`, m.ID)
			if m.Status != c.status || n != c.deliveries || len(x.rec.take()) != c.deliveries || m.Seq != 2 {
				t.Errorf("%s: status %s, %d deliveries, seq %d; want %s, %d, 2", c.typ, m.Status, n, m.Seq, c.status, c.deliveries)
			}
			if m.Text != "卡号6222***********0128" {
				t.Errorf("%s: outgoing text %q is not masked", c.typ, m.Text)
			}
		}
	})
}

// Internal notes take a seq like any message but never reach the customer:
// not in CustomerMessages, not delivered, not the list's last message.
func TestNotesStayInternal(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		r := x.ingest(t, x.f.Channel, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}})
		if _, err := x.s.AddNote(ctx, x.f.Admin, r.ConversationID, "  "); !isInvalid(err) {
			t.Fatalf("empty note: %v", err)
		}
		note, err := x.s.AddNote(ctx, x.f.Admin, r.ConversationID, "客户很急")
		if err != nil || note.Seq != 2 || note.Direction != hub.DirectionInternal || note.Status != hub.MessageStored {
			t.Fatalf("note: %+v, %v", note, err)
		}
		reply, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: "您好"})
		if err != nil {
			t.Fatal(err)
		}
		x.s.AddNote(ctx, x.f.Admin, r.ConversationID, "second note")
		cms, err := x.s.CustomerMessages(ctx, r.ConversationID, 0, 100)
		if err != nil || len(cms) != 2 || cms[0].ID != r.MessageID || cms[1].ID != reply.ID {
			t.Fatalf("customer messages %+v (%v): want the message and the reply only", cms, err)
		}
		if all, _ := x.s.Messages(ctx, x.f.Admin, r.ConversationID, 0, 100); len(all) != 4 {
			t.Fatalf("the agent reads %d messages, want 4 with the notes", len(all))
		}
		if n := x.count(t, `SELECT COUNT(*) FROM deliveries WHERE message_id = ?`, note.ID); n != 0 {
			t.Fatalf("a note has %d deliveries", n)
		}
		list, _ := x.s.List(ctx, x.f.Admin, conversations.Filter{})
		if len(list) != 1 || list[0].LastMessage == nil || list[0].LastMessage.Seq != reply.Seq {
			t.Fatalf("list preview %+v, want the reply (seq %d)", list[0].LastMessage, reply.Seq)
		}
	})
}

// A customer rates their own conversation once.
func TestRateOnce(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		ch := x.f.Channel
		r := x.ingest(t, ch, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}})
		x.ingest(t, ch, "m2", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u2"}})
		for _, c := range []struct {
			name, contact string
			score         int
			ok            func(error) bool
		}{
			{"score 0", "u1", 0, isInvalid},
			{"score 6", "u1", 6, isInvalid},
			{"unknown customer", "nobody", 5, func(err error) bool { return errors.Is(err, hub.ErrNotFound) }},
			{"another customer", "u2", 5, func(err error) bool { return errors.Is(err, hub.ErrNotFound) }},
			{"first rating", "u1", 4, func(err error) bool { return err == nil }},
			{"second rating", "u1", 1, func(err error) bool { return errors.Is(err, hub.ErrConflict) }},
		} {
			if err := x.s.Rate(ctx, ch, c.contact, r.ConversationID, c.score, "很好", nil); !c.ok(err) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		got, err := x.s.Get(ctx, x.f.Admin, r.ConversationID)
		if err != nil || got.Rating == nil || got.Rating.Score != 4 || got.Rating.Comment != "很好" {
			t.Fatalf("rating read back: %+v, %v", got, err)
		}
		if n := x.count(t, `SELECT COUNT(*) FROM events WHERE type = 'conversation.rated'`); n != 1 {
			t.Fatalf("%d conversation.rated events, want 1", n)
		}
	})
}

// The reply window closes when the platform would refuse: too long after
// the customer's last message, too many replies (failed ones do not count),
// or the customer unfollowed; a new customer message opens it again.
func TestReplyWindow(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		wx := x.channel(t, "wechat")
		who := hub.Inbound{Contact: hub.ContactInfo{ExternalID: "openid1"}}
		r := x.ingest(t, wx, "m1", who)
		window := func(what string, open bool, reason string, remaining int) {
			t.Helper()
			c, err := x.s.Get(ctx, x.f.Admin, r.ConversationID)
			if err != nil || c.ReplyWindow == nil {
				t.Fatalf("%s: %+v, %v", what, c, err)
			}
			if w := c.ReplyWindow; w.Open != open || w.Reason != reason || w.Remaining != remaining {
				t.Fatalf("%s: window %+v, want open=%v reason=%q remaining=%d", what, w, open, reason, remaining)
			}
		}
		reply := func() error {
			_, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: "hi"})
			return err
		}
		closedBy := func(err error, reason string) bool {
			var wc *hub.WindowClosedError
			return errors.As(err, &wc) && wc.Window.Reason == reason
		}
		window("fresh", true, "", 2)
		reply()
		if err := reply(); err != nil {
			t.Fatal(err)
		}
		window("two replies", false, hub.WindowQuota, 0)
		if err := reply(); !closedBy(err, hub.WindowQuota) {
			t.Fatalf("third reply: %v, want the window closed by quota", err)
		}
		var last string
		x.K.Get(ctx, &last, `SELECT id FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1`, r.ConversationID)
		x.K.Write(ctx, func(tx *store.Tx) error { return x.s.MessageResult(ctx, tx, last, "failed", "45047") })
		window("a reply failed", true, "", 1)
		x.clk.Add(49 * time.Hour)
		window("after 49 hours", false, hub.WindowExpired, 0)
		if err := reply(); !closedBy(err, hub.WindowExpired) {
			t.Fatalf("late reply: %v", err)
		}
		x.ingest(t, wx, "m2", who)
		window("the customer wrote again", true, "", 2)
		x.clk.Add(time.Minute)
		x.ingest(t, wx, "e1", hub.Inbound{Contact: who.Contact, Event: hub.ContactUnsubscribed})
		window("unfollowed", false, hub.WindowUnsubscribed, 0)

		r = x.ingest(t, wx, "click1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "openid2"}, Type: "event"})
		window("after a menu click", true, "", 1)
		x.clk.Add(2 * time.Minute)
		window("two minutes after a menu click", false, hub.WindowExpired, 0)
		if c, _ := x.s.Get(ctx, x.f.Admin, x.ingest(t, x.f.Channel, "a1", who).ConversationID); c.ReplyWindow != nil {
			t.Fatalf("an API channel has a reply window: %+v", c.ReplyWindow)
		}
	})
}

// Weibo's window counts no replies, only time: 48 hours after a message,
// and again after a follow or a menu click; an @mention allows one reply;
// unfollowing closes it. The JSON leaves the count out.
func TestReplyWindowUnlimited(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		wb := x.channel(t, "weibo")
		who := hub.Inbound{Contact: hub.ContactInfo{ExternalID: "2489518277"}}
		r := x.ingest(t, wb, "m1", who)
		get := func(what string, open bool, reason string) *hub.ReplyWindow {
			t.Helper()
			c, err := x.s.Get(ctx, x.f.Admin, r.ConversationID)
			if err != nil || c.ReplyWindow == nil {
				t.Fatalf("%s: %+v, %v", what, c, err)
			}
			if w := c.ReplyWindow; w.Open != open || w.Reason != reason {
				t.Fatalf("%s: window %+v, want open=%v reason=%q", what, w, open, reason)
			}
			return c.ReplyWindow
		}
		reply := func() error {
			_, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: "hi"})
			return err
		}
		for i := range 8 {
			if err := reply(); err != nil {
				t.Fatalf("reply %d in an unlimited window: %v", i+1, err)
			}
		}
		w := get("after 8 replies", true, "")
		b, _ := json.Marshal(w)
		if !w.Unlimited || strings.Contains(string(b), "remaining") || !strings.Contains(string(b), `"unlimited":true`) {
			t.Fatalf("an unlimited window marshals as %s", b)
		}
		x.clk.Add(47 * time.Hour)
		x.ingest(t, wb, "f1", hub.Inbound{Contact: who.Contact, Event: hub.ContactSubscribed})
		x.clk.Add(2 * time.Hour)
		if w := get("two hours after a follow, 49 after the message", true, ""); !w.ExpiresAt.Equal(x.clk.Now().Add(46 * time.Hour)) {
			t.Fatalf("the follow's window ends %v, want 48 hours after it", w.ExpiresAt)
		}
		x.clk.Add(47 * time.Hour)
		get("49 hours after the follow", false, hub.WindowExpired)
		x.ingest(t, wb, "mention1", hub.Inbound{Contact: who.Contact, Type: "mention"})
		if w := get("after an @mention", true, ""); w.Unlimited || w.Remaining != 1 {
			t.Fatalf("an @mention's window %+v, want one reply", w)
		}
		if err := reply(); err != nil {
			t.Fatal(err)
		}
		get("the @mention answered", false, hub.WindowQuota)
		x.ingest(t, wb, "m2", who)
		get("the customer wrote again", true, "")
		x.clk.Add(time.Minute)
		x.ingest(t, wb, "u1", hub.Inbound{Contact: who.Contact, Event: hub.ContactUnsubscribed})
		get("unfollowed", false, hub.WindowUnsubscribed)
	})
}

// A reply repeated with the same client_message_id (a retried request) is
// stored and delivered once; a closed conversation takes no reply.
func TestSendReplyOnce(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		r := x.ingest(t, x.f.Channel, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}})
		var ids []string
		for range 2 {
			m, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: "您好", ClientID: "c-1"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		if ids[0] != ids[1] || x.count(t, `SELECT COUNT(*) FROM deliveries WHERE message_id = ?`, ids[0]) != 1 {
			t.Fatalf("a retried reply: messages %v; want one message with one delivery", ids)
		}
		if _, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: " "}); !isInvalid(err) {
			t.Fatalf("empty reply: %v", err)
		}
		x.K.Write(ctx, func(tx *store.Tx) error {
			c, err := x.s.LockByID(ctx, tx, r.ConversationID)
			if err == nil {
				err = conversations.CloseLocked(ctx, tx, c, "", conversations.Closing{})
			}
			return err
		})
		if _, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: "late"}); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("reply to a closed conversation: %v", err)
		}
	})
}

// Issue 18: masking is for what customers send; an agent's reply reaches
// the customer (and the store) as the agent wrote it.
func TestAgentReplyNotMasked(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		r := x.ingest(t, x.f.Channel, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}, Text: "卡号 6222021234567890128"})
		text := "您的订单 1796482305127764514 已发货，退款到卡 6222021234567890128"
		reply, err := x.s.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: text})
		if err != nil {
			t.Fatal(err)
		}
		cms, err := x.s.CustomerMessages(ctx, r.ConversationID, 0, 100)
		if err != nil || len(cms) != 2 || cms[1].ID != reply.ID || cms[1].Text != text {
			t.Fatalf("the customer's copy of the reply: %+v (%v), want %q", cms, err, text)
		}
		if cms[0].Text != "卡号 6222***********0128" {
			t.Fatalf("the customer's own card number is stored as %q, want it masked", cms[0].Text)
		}
	})
}
