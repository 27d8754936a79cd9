package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/core"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// stores returns a fresh store per dialect: SQLite always, PostgreSQL
// unless KEFU_TEST_EMBEDDED_ONLY=1 (then it fails, not skips, when down).
func stores(tb testing.TB) map[string]*rig {
	tb.Helper()
	out := map[string]*rig{}
	for _, name := range storetest.Names() {
		out[name] = build(tb, storetest.Open(tb, name, store.Options{}).Store)
	}
	return out
}

func freshPG(tb testing.TB) string { return storetest.FreshPostgres(tb) }

// rig is the hub's stores on one kernel, as serve builds them.
type rig struct {
	*core.Store
	k  *store.Store
	id *identity.Identity
	ch *channels.Store
}

func build(tb testing.TB, k *store.Store) *rig {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	id := identity.New(k, log)
	chs := channels.New(k)
	return &rig{Store: core.NewStore(k, id, chs, nil, nil, nil, log), k: k, id: id, ch: chs}
}

func open(tb testing.TB, url string) *rig {
	tb.Helper()
	k, err := store.Open(context.Background(), url, tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { k.Close() })
	if err := k.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return build(tb, k)
}

type fixture struct {
	s     *rig
	k     *store.Store
	id    *identity.Identity
	admin *hub.Agent
	ch    *hub.Channel
}

func setup(tb testing.TB, s *rig) fixture {
	tb.Helper()
	ctx := context.Background()
	_, admin, err := s.id.Tenants.Create(ctx, identity.NewTenant{Name: "T", AdminEmail: hub.NewID("a") + "@t.test", AdminPassword: "password1"}, false)
	if err != nil {
		tb.Fatal(err)
	}
	ch := &hub.Channel{TenantID: admin.TenantID, Type: "api", Name: "api", Secret: "whsec_x"}
	if err := s.ch.Create(ctx, ch); err != nil {
		tb.Fatal(err)
	}
	return fixture{s, s.k, s.id, admin, ch}
}

func (f fixture) msg(id, contact string) hub.Inbound {
	return hub.Inbound{TenantID: f.ch.TenantID, ChannelID: f.ch.ID, ExternalID: id,
		Contact: hub.ContactInfo{ExternalID: contact, Name: "C"}, Type: "text", Text: "hello " + id}
}

// Concurrent batches with repeated ids store each message once, one
// conversation per contact, with gap-free seqs.
func TestIngestDedupAndSeq(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := setup(t, s)
			ctx := context.Background()
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var batch []hub.Inbound
					for i := 0; i < 40; i++ { // every worker sends the same 40 ids
						batch = append(batch, f.msg(fmt.Sprintf("m%d", i), fmt.Sprintf("c%d", i%4)))
					}
					for _, r := range s.Ingest(ctx, batch) {
						if r.Err != nil {
							t.Error(r.Err)
						}
					}
				}()
			}
			wg.Wait()
			convs, err := s.Conversations(ctx, f.admin, core.ConversationFilter{Status: hub.ConvQueued})
			if err != nil || len(convs) != 4 {
				t.Fatalf("%d conversations (%v), want one per contact = 4", len(convs), err)
			}
			total := 0
			for _, c := range convs {
				ms, err := s.Messages(ctx, f.admin, c.ID, 0, 500)
				if err != nil {
					t.Fatal(err)
				}
				for i, m := range ms {
					if m.Seq != int64(i+1) {
						t.Fatalf("conversation %s: seq %d at position %d", c.ID, m.Seq, i)
					}
				}
				total += len(ms)
			}
			if total != 40 {
				t.Fatalf("%d messages stored, want 40", total)
			}
		})
	}
}

// Event ids are gap-free per tenant and replayable in order.
func TestEventIDsGapFree(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := setup(t, s)
			ctx := context.Background()
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < 10; i++ {
						s.Ingest(ctx, []hub.Inbound{f.msg(fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("c%d", w))})
					}
				}(w)
			}
			wg.Wait()
			evs, err := f.k.EventsAfter(ctx, f.admin, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range evs {
				if e.ID != int64(i+1) {
					t.Fatalf("event %d has id %d: ids must be gap-free", i, e.ID)
				}
			}
			last, _ := f.k.LastEventID(ctx, f.admin.TenantID)
			if last != int64(len(evs)) || len(evs) != 44 { // 40 messages + 4 conversations
				t.Fatalf("last id %d, %d events, want 44", last, len(evs))
			}
		})
	}
}

func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("sqlite/batch=%d", size), func(b *testing.B) {
			s := open(b, "")
			f := setup(b, s)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i += size {
				batch := make([]hub.Inbound, 0, size)
				for k := 0; k < size; k++ {
					batch = append(batch, f.msg(fmt.Sprintf("m%d-%d", i, k), fmt.Sprintf("c%d", k%200)))
				}
				s.Ingest(ctx, batch)
			}
		})
	}
}

// A message replayed after its conversation closed is recognised as a
// duplicate and opens no new (empty) conversation.
func TestReplayAfterCloseOpensNothing(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := setup(t, s)
			ctx := context.Background()
			r := s.Ingest(ctx, []hub.Inbound{f.msg("once", "c1")})[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if _, err := s.CloseConversation(ctx, f.admin, r.ConversationID, "done"); err != nil {
				t.Fatal(err)
			}
			again := s.Ingest(ctx, []hub.Inbound{f.msg("once", "c1")})[0]
			if again.Err != nil || !again.Duplicate || again.MessageID != r.MessageID {
				t.Fatalf("replay: %+v, want the first message as a duplicate", again)
			}
			open, err := s.Conversations(ctx, f.admin, core.ConversationFilter{})
			if err != nil || len(open) != 0 {
				t.Fatalf("%d active conversations after the replay (%v), want none", len(open), err)
			}
		})
	}
}
func ptr[T any](v T) *T { return &v }
