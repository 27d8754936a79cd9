package conversations_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/inbox"
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

// recorder is the kernel's publisher: the delivery nudges it was given.
type recorder struct {
	mu   sync.Mutex
	dels []string
}

func (r *recorder) Events([]hub.Event) {}

func (r *recorder) Deliveries(ids []string) {
	r.mu.Lock()
	r.dels = append(r.dels, ids...)
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.dels
	r.dels = nil
	return out
}

// fx is one test's stores: the hub, a conversation store that knows the
// web channel pushes over its own sockets and WeChat's reply window.
type fx struct {
	*hubtest.Hub
	s   *conversations.Store
	clk *clock
	rec *recorder
	f   hubtest.Tenant
}

var (
	wechatPolicy = hub.ReplyPolicy{Within: 48 * time.Hour, Max: 2, EventWithin: time.Minute, EventMax: 1}
	weiboPolicy  = hub.ReplyPolicy{Within: 48 * time.Hour, Types: map[string]hub.ReplyRule{"mention": {Within: 48 * time.Hour, Max: 1}},
		Opens: []hub.ContactEvent{hub.ContactSubscribed, hub.ContactClicked}}
)

func each(t *testing.T, fn func(t *testing.T, x *fx)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			clk, rec := &clock{now: time.Now().UTC().Truncate(time.Second)}, &recorder{}
			h := hubtest.Build(storetest.Open(t, name, store.Options{Now: clk.Now, Publisher: rec}).Store)
			s := conversations.New(h.K, h.Channels, h.Contacts, h.Automations, conversations.Options{
				Pushes: map[string]bool{"web": true}, Windows: map[string]hub.ReplyPolicy{"wechat": wechatPolicy, "weibo": weiboPolicy}})
			fn(t, &fx{Hub: h, s: s, clk: clk, rec: rec, f: h.NewTenant(t)})
		})
	}
}

func ptr[T any](v T) *T { return &v }

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// channel creates a channel of a type in the fixture's tenant.
func (x *fx) channel(t *testing.T, typ string) *hub.Channel {
	t.Helper()
	ch := &hub.Channel{TenantID: x.f.Admin.TenantID, Type: typ, Name: typ}
	if err := x.Channels.Create(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// ingest stores a customer's message as the inbox does.
func (x *fx) ingest(t *testing.T, ch *hub.Channel, id string, in hub.Inbound) inbox.Result {
	t.Helper()
	in.TenantID, in.ChannelID, in.ExternalID = ch.TenantID, ch.ID, id
	if in.Type == "" {
		in.Type = "text"
	}
	if in.Text == "" {
		in.Text = "hello " + id
	}
	r := x.Inbox.Ingest(context.Background(), []hub.Inbound{in})[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	return r
}

func (x *fx) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := x.K.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func (x *fx) agent(t *testing.T, role hub.Role) *hub.Agent {
	t.Helper()
	a, err := x.Identity.Agents.Create(context.Background(), x.f.Admin.TenantID, identity.NewAgent{Email: hub.NewID("a") + "@t.test",
		Password: "password1", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// open runs Open in its own transaction.
func (x *fx) open(t *testing.T, ch *hub.Channel, contact, group string) (*hub.Conversation, bool) {
	t.Helper()
	var c *hub.Conversation
	var opened bool
	err := x.K.Write(context.Background(), func(tx *store.Tx) error {
		ct, err := x.Contacts.Upsert(context.Background(), tx, ch, hub.ContactInfo{ExternalID: contact})
		if err == nil {
			c, opened, err = x.s.Open(context.Background(), tx, ch, ct, group, nil)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, opened
}

// A contact has one active conversation per channel, even when opened
// concurrently; it is created (and announced) once, in the group asked for
// or the channel's default, and a new one opens only after it closed.
func TestOpenOncePerContact(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		pre, _ := x.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: ptr("售前")})
		def, _ := x.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: ptr("默认")})
		ch := &hub.Channel{TenantID: tid, Type: "api", Name: "grouped", DefaultGroupID: &def.ID}
		if err := x.Channels.Create(ctx, ch); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		ids, opened := make([]string, 6), make([]bool, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, o := x.open(t, ch, "c1", "")
				ids[i], opened[i] = c.ID, o
			}()
		}
		wg.Wait()
		n := 0
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("concurrent opens gave %v", ids)
			}
			if opened[i] {
				n++
			}
		}
		if n != 1 || x.count(t, `SELECT COUNT(*) FROM events WHERE type = 'conversation.created' AND conversation_id = ?`, ids[0]) != 1 {
			t.Fatalf("%d opens reported opening, want 1 (and one conversation.created)", n)
		}
		for _, c := range []struct{ contact, group, want string }{{"c2", "售前", pre.ID}, {"c3", "", def.ID}, {"c4", "nope", def.ID}} {
			if conv, _ := x.open(t, ch, c.contact, c.group); conversations.Deref(conv.GroupID) != c.want || conv.Status != hub.ConvQueued {
				t.Errorf("group %q: opened in %v (%s), want %s, queued", c.group, conv.GroupID, conv.Status, c.want)
			}
		}
		x.K.Write(ctx, func(tx *store.Tx) error {
			c, err := x.s.LockByID(ctx, tx, ids[0])
			if err == nil {
				err = conversations.CloseLocked(ctx, tx, c, "test", conversations.Closing{Reason: "done"})
			}
			return err
		})
		if c, o := x.open(t, ch, "c1", ""); !o || c.ID == ids[0] {
			t.Fatalf("after close: %s opened=%v, want a new conversation", c.ID, o)
		}
	})
}

// Messages take gap-free seqs; a message stored twice (the platform's
// retry) is refused by its external id and gives its seq back.
func TestInsertSeqAndDedup(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		c, _ := x.open(t, x.f.Channel, "c1", "")
		ids := map[string]string{}
		for _, st := range []struct {
			ext     string
			stored  bool
			wantSeq int64
		}{{"e1", true, 1}, {"e2", true, 2}, {"e1", false, 0}, {"e3", true, 3}} {
			var ok bool
			m := &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID,
				Direction: hub.DirectionIn, SenderType: hub.SenderContact, Type: "text", Text: st.ext, AttachmentsRaw: "[]",
				ExternalID: ptr(st.ext), Status: hub.MessageReceived, CreatedAt: x.clk.Now()}
			err := x.K.Write(ctx, func(tx *store.Tx) error {
				var err error
				ok, err = conversations.Insert(ctx, tx, m)
				return err
			})
			if err != nil || ok != st.stored || (ok && m.Seq != st.wantSeq) {
				t.Fatalf("insert %s: stored %v seq %d (%v), want %v seq %d", st.ext, ok, m.Seq, err, st.stored, st.wantSeq)
			}
			if ok {
				ids[st.ext] = m.ID
			}
		}
		if n := x.count(t, `SELECT last_seq FROM conversations WHERE id = ?`, c.ID); n != 3 {
			t.Fatalf("last_seq %d, want 3", n)
		}
		x.K.Write(ctx, func(tx *store.Tx) error {
			stored, err := conversations.StoredIn(ctx, tx, c.ChannelID, []string{"e2", "e9"})
			if err != nil || len(stored) != 1 || stored["e2"] != ids["e2"] {
				t.Errorf("StoredIn(e2, e9) = %v, %v; want only e2 as %s", stored, err, ids["e2"])
			}
			return nil
		})
	})
}
