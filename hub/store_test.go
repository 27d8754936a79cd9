package hub_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/db"
)

// stores returns a fresh store per dialect: SQLite always, PostgreSQL
// unless KEFU_TEST_EMBEDDED_ONLY=1 (then it fails, not skips, when down).
func stores(tb testing.TB) map[string]*hub.Store {
	tb.Helper()
	out := map[string]*hub.Store{"sqlite": open(tb, "")}
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") != "1" {
		out["postgres"] = open(tb, freshPG(tb))
	}
	return out
}

func freshPG(tb testing.TB) string {
	admin, err := sql.Open("postgres", "postgres://127.0.0.1:5432/test?sslmode=disable")
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		tb.Fatalf("PostgreSQL must be reachable on 127.0.0.1:5432: %v", err)
	}
	name := "kefu_h_" + hub.NewID("x")[2:14]
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); admin.Close() })
	return "postgres://127.0.0.1:5432/" + name + "?sslmode=disable"
}

func open(tb testing.TB, url string) *hub.Store {
	tb.Helper()
	d, err := db.Open(context.Background(), url, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return hub.NewStore(d, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

type fixture struct {
	s     *hub.Store
	admin *hub.Agent
	ch    *hub.Channel
}

func setup(tb testing.TB, s *hub.Store) fixture {
	tb.Helper()
	ctx := context.Background()
	_, admin, err := s.CreateTenant(ctx, hub.NewTenant{Name: "T", AdminEmail: hub.NewID("a") + "@t.test", AdminPassword: "password1"}, false)
	if err != nil {
		tb.Fatal(err)
	}
	ch := &hub.Channel{TenantID: admin.TenantID, Type: "api", Name: "api", Secret: "whsec_x"}
	if err := s.CreateChannel(ctx, ch); err != nil {
		tb.Fatal(err)
	}
	return fixture{s, admin, ch}
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
			convs, err := s.Conversations(ctx, f.admin, hub.ConversationFilter{Status: hub.ConvQueued})
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
			evs, err := s.EventsAfter(ctx, f.admin, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range evs {
				if e.ID != int64(i+1) {
					t.Fatalf("event %d has id %d: ids must be gap-free", i, e.ID)
				}
			}
			last, _ := s.LastEventID(ctx, f.admin.TenantID)
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
			open, err := s.Conversations(ctx, f.admin, hub.ConversationFilter{})
			if err != nil || len(open) != 0 {
				t.Fatalf("%d active conversations after the replay (%v), want none", len(open), err)
			}
		})
	}
}
