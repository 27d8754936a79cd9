package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// clock is the kernel's clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// sender is a fake connector registry: it records what it was asked to
// send and answers with result (success when nil).
type sender struct {
	mu     sync.Mutex
	outs   []*hub.Outbound
	chs    []*hub.Channel
	result func(out *hub.Outbound) hub.SendResult
}

func (s *sender) Send(_ context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	s.mu.Lock()
	s.outs, s.chs = append(s.outs, out), append(s.chs, ch)
	res := s.result
	s.mu.Unlock()
	if res == nil {
		return hub.SendResult{StatusCode: 200}
	}
	return res(out)
}

func (s *sender) sent() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.outs) }

func failing(code int, permanent bool) func(*hub.Outbound) hub.SendResult {
	return func(*hub.Outbound) hub.SendResult {
		return hub.SendResult{StatusCode: code, Err: fmt.Errorf("platform said %d", code), Permanent: permanent}
	}
}

// fx is a hub wired as serve wires it: the outbound hook on the kernel.
type fx struct {
	*hubtest.Hub
	out *outbound.Store
	clk *clock
	f   hubtest.Tenant
	d   storetest.Dialect
}

func each(t *testing.T, fn func(t *testing.T, x *fx)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
			x := &fx{clk: clk}
			x.Hub, x.out, x.d = wired(t, name, clk, nil)
			x.f = x.NewTenant(t)
			fn(t, x)
		})
	}
}

// wired opens the stores with the hook on a fresh database of the dialect,
// or on d's database when given (another process).
func wired(t *testing.T, name string, clk *clock, d *storetest.Dialect) (*hubtest.Hub, *outbound.Store, storetest.Dialect) {
	t.Helper()
	hook := outbound.NewHook()
	o := store.Options{Now: clk.Now, EventHooks: []store.EventHook{hook.Deliveries}, Keys: storetest.Keys}
	var k *store.Store
	if d == nil {
		nd := storetest.Open(t, name, o)
		d, k = &nd, nd.Store
	} else {
		var err error
		if k, err = store.Open(context.Background(), d.URL, d.Dir, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
	}
	h := hubtest.Build(k)
	return h, outbound.New(k, hook, h.Channels.Get, h.Conversations.MessageResult), *d
}

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// reply stores a customer message and an agent's reply on a channel and
// returns the conversation and the reply.
func (x *fx) reply(t *testing.T, ch *hub.Channel, contact string) (string, *hub.Message) {
	t.Helper()
	ctx := context.Background()
	in := x.f.Msg(hub.NewID("m"), contact)
	in.ChannelID = ch.ID
	r := x.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	m, err := x.Conversations.SendReply(ctx, x.f.Admin, r.ConversationID, conversations.Reply{Content: "您好"})
	if err != nil {
		t.Fatal(err)
	}
	return r.ConversationID, m
}

// delivery returns the one delivery of a message.
func (x *fx) delivery(t *testing.T, messageID string) *outbound.Delivery {
	t.Helper()
	var id string
	if err := x.K.Get(context.Background(), &id, `SELECT id FROM deliveries WHERE message_id = ?`, messageID); err != nil {
		t.Fatal(err)
	}
	d, _, err := x.out.Get(context.Background(), x.f.Admin.TenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (x *fx) messageStatus(t *testing.T, id string) (hub.MessageStatus, string) {
	t.Helper()
	var m hub.Message
	if err := x.K.Get(context.Background(), &m, `SELECT status, error FROM messages WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return m.Status, m.Error
}

// A reply is queued in its transaction and sent once through the
// connector, as the typed message with its contact; the message is then
// marked sent and the agents told.
func TestQueueAndDeliver(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		_, m := x.reply(t, x.f.Channel, "u1")
		d := x.delivery(t, m.ID)
		if d.Status != outbound.Pending || d.Kind != hub.OutboundMessage || d.EventType != string(hub.EvMessageCreated) {
			t.Fatalf("queued %+v", d)
		}
		var s sender
		if err := x.out.Deliver(ctx, d.ID, &s); err != nil {
			t.Fatal(err)
		}
		if s.sent() != 1 {
			t.Fatalf("sent %d times", s.sent())
		}
		got := s.outs[0]
		if got.ID != d.ID || got.Kind != hub.OutboundMessage || got.Message.ID != m.ID || got.Message.Text != "您好" ||
			got.Contact.ExternalID != "u1" || got.Staff || s.chs[0].ID != x.f.Channel.ID {
			t.Fatalf("the connector got %+v on %s", got, s.chs[0].ID)
		}
		d, attempts, _ := x.out.Get(ctx, x.f.Admin.TenantID, d.ID)
		if d.Status != outbound.Delivered || d.Attempts != 1 || len(attempts) != 1 || attempts[0].StatusCode != 200 {
			t.Fatalf("after delivery: %+v, attempts %+v", d, attempts)
		}
		if st, _ := x.messageStatus(t, m.ID); st != hub.MessageSent {
			t.Fatalf("message %s after delivery", st)
		}
		var n int
		x.K.Get(ctx, &n, `SELECT COUNT(*) FROM events WHERE type = ? AND payload LIKE ?`, hub.EvMessageUpdated, "%"+m.ID+"%")
		if n != 1 {
			t.Fatalf("%d message.updated events, want 1", n)
		}
		x.out.Deliver(ctx, d.ID, &s)
		if due, _ := x.out.Due(ctx, 10); s.sent() != 1 || len(due) != 0 {
			t.Fatalf("a delivered delivery was sent again (%d) or is still due (%v)", s.sent(), due)
		}
	})
}

// A failed attempt is retried with exponential backoff; a permanent
// failure (or three days of them) fails the delivery and its message;
// Redeliver makes it due again.
func TestRetryFailAndRedeliver(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		_, m := x.reply(t, x.f.Channel, "u1")
		id := x.delivery(t, m.ID).ID
		s := sender{result: failing(503, false)}
		for attempt, wait := range []time.Duration{time.Second, 2 * time.Second} {
			start := x.clk.Now()
			if err := x.out.Deliver(ctx, id, &s); err != nil {
				t.Fatal(err)
			}
			d := x.delivery(t, m.ID)
			lo, hi := start.Add(wait*8/10), start.Add(wait*12/10)
			if d.Status != outbound.Pending || d.Attempts != attempt+1 || d.NextAttemptAt.Before(lo) || d.NextAttemptAt.After(hi) ||
				d.LastError != "platform said 503" {
				t.Fatalf("after failure %d: %+v; want pending, next attempt in %v ±20%%", attempt+1, d, wait)
			}
			if due, _ := x.out.Due(ctx, 10); len(due) != 0 {
				t.Fatalf("due before its backoff: %v", due)
			}
			x.out.Deliver(ctx, id, &s)
			if s.sent() != attempt+1 {
				t.Fatalf("sent %d times before the backoff ended", s.sent())
			}
			x.clk.Add(wait * 13 / 10)
			if due, _ := x.out.Due(ctx, 10); len(due) != 1 || due[0] != id {
				t.Fatalf("not due after its backoff: %v", due)
			}
		}
		if st, _ := x.messageStatus(t, m.ID); st != hub.MessagePending {
			t.Fatalf("message %s while retrying, want pending", st)
		}
		s.result = failing(400, true)
		x.out.Deliver(ctx, id, &s)
		if d := x.delivery(t, m.ID); d.Status != outbound.Failed {
			t.Fatalf("after a permanent failure: %s", d.Status)
		}
		if st, e := x.messageStatus(t, m.ID); st != hub.MessageFailed || e != "platform said 400" {
			t.Fatalf("message %s (%q) after a permanent failure, want failed with the reason", st, e)
		}
		if h, _ := x.out.Health(ctx, x.f.Channel.ID); h.Failed != 1 || h.Pending != 0 || h.LastError != "platform said 400" {
			t.Fatalf("health %+v", h)
		}
		if err := x.out.Redeliver(ctx, x.NewTenant(t).Admin.TenantID, id); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant redelivers: %v", err)
		}
		if err := x.out.Redeliver(ctx, x.f.Admin.TenantID, id); err != nil {
			t.Fatal(err)
		}
		s.result = nil
		x.out.Deliver(ctx, id, &s)
		if st, _ := x.messageStatus(t, m.ID); st != hub.MessageSent || x.delivery(t, m.ID).Status != outbound.Delivered {
			t.Fatalf("message %s after redelivery", st)
		}

		_, late := x.reply(t, x.f.Channel, "u2")
		x.clk.Add(73 * time.Hour)
		s.result = failing(503, false)
		x.out.Deliver(ctx, x.delivery(t, late.ID).ID, &s)
		if d := x.delivery(t, late.ID); d.Status != outbound.Failed {
			t.Fatalf("a temporary failure after three days: %s, want failed", d.Status)
		}
	})
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		n    int
		base time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {5, 16 * time.Second}, {12, 2048 * time.Second}, {13, time.Hour}, {40, time.Hour}, {100, time.Hour}} {
		for range 20 {
			if d := outbound.Backoff(c.n); d < c.base*8/10 || d > c.base*12/10 {
				t.Fatalf("Backoff(%d) = %v, want %v ±20%%", c.n, d, c.base)
			}
		}
	}
}

// blocker is a sender that holds its first send until released.
type blocker struct {
	entered, release chan struct{}
	once             sync.Once
}

func (b *blocker) Send(context.Context, *hub.Channel, *hub.Outbound) hub.SendResult {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return hub.SendResult{StatusCode: 200}
}

// While one process sends a delivery, another finds nothing to send.
func TestLease(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		_, m := x.reply(t, x.f.Channel, "u1")
		id := x.delivery(t, m.ID).ID
		_, other, _ := wired(t, x.d.Name, x.clk, &x.d)
		b := &blocker{entered: make(chan struct{}), release: make(chan struct{})}
		done := make(chan error)
		go func() { done <- x.out.Deliver(ctx, id, b) }()
		<-b.entered
		var s sender
		for _, o := range []*outbound.Store{other, x.out} {
			if err := o.Deliver(ctx, id, &s); err != nil {
				t.Fatal(err)
			}
		}
		close(b.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := x.delivery(t, m.ID); s.sent() != 0 || d.Attempts != 1 || d.Status != outbound.Delivered {
			t.Fatalf("a claimed delivery was sent %d more times; %s after %d attempts", s.sent(), d.Status, d.Attempts)
		}
	})
}
