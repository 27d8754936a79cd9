package core_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/core"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// twoStores opens two stores on one fresh PostgreSQL database, as two hub
// processes would (separate pools).
func twoStores(t *testing.T) map[string][2]*rig {
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" {
		t.Skip("PostgreSQL only")
	}
	url := freshPG(t)
	return map[string][2]*rig{"postgres": {open(t, url), open(t, url)}}
}

// routeAll routes every conversation from 8 goroutines over both stores at
// once, as arrivals do, then drains the queue from all of them, as the
// sweepers do.
func routeAll(t *testing.T, ss [2]*rig, tenantID string, ids []string) {
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := ss[w%2]
			for i := range ids {
				id := ids[(i*7+w*13)%len(ids)]
				if _, err := s.Route(context.Background(), id, false); err != nil {
					t.Error(err)
					return
				}
			}
			for k := 0; k < 3; k++ {
				if _, err := s.Drain(context.Background(), tenantID); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}

// Several processes routing the same burst on PostgreSQL: no agent above
// their maximum, no conversation assigned twice, and round robin shared
// across processes (each agent within one of the others).
func TestConcurrentRoutingPostgres(t *testing.T) {
	for name, ss := range twoStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := setup(t, ss[0])
			for _, tc := range []struct {
				group      string
				max, convs int
			}{{"capped", 3, 200}, {"rotation", 1000, 300}} {
				g, err := f.id.Groups.Create(ctx, f.admin.TenantID, identity.GroupPatch{Name: &tc.group, Policy: ptr(routing.RoundRobin)})
				if err != nil {
					t.Fatal(err)
				}
				var agents []*hub.Agent
				for i := 0; i < 10; i++ {
					a, err := f.id.Agents.Create(ctx, f.admin.TenantID, identity.NewAgent{Email: fmt.Sprintf("%s%d-%s@t.test", tc.group, i, hub.NewID("x")[3:9]),
						Password: "password1", MaxChats: tc.max, Groups: []string{g.ID}})
					if err != nil {
						t.Fatal(err)
					}
					if err := f.id.Agents.SetStatus(ctx, a, hub.StatusOnline); err != nil {
						t.Fatal(err)
					}
					agents = append(agents, a)
				}
				var batch []hub.Inbound
				for i := 0; i < tc.convs; i++ {
					m := f.msg(fmt.Sprintf("%s-m%d", tc.group, i), fmt.Sprintf("%s-c%d", tc.group, i))
					m.Group = g.ID
					batch = append(batch, m)
				}
				var ids []string
				for _, r := range f.s.Ingest(ctx, batch) {
					if r.Err != nil {
						t.Fatal(r.Err)
					}
					ids = append(ids, r.ConversationID)
				}
				routeAll(t, ss, f.admin.TenantID, ids)
				counts := map[string]int{}
				open := 0
				for _, a := range agents {
					got, err := f.id.Agents.Get(ctx, f.admin.TenantID, a.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.CurrentChats > tc.max {
						t.Fatalf("%s: agent holds %d chats, max %d", tc.group, got.CurrentChats, tc.max)
					}
					convs, err := f.s.Conversations(ctx, f.admin, core.ConversationFilter{Status: hub.ConvOpen, Assignee: a.ID, Limit: 500})
					if err != nil {
						t.Fatal(err)
					}
					if len(convs) != got.CurrentChats {
						t.Fatalf("%s: %d open conversations but current_chats %d", tc.group, len(convs), got.CurrentChats)
					}
					counts[a.ID] = len(convs)
					open += len(convs)
				}
				want := min(tc.convs, 10*tc.max)
				if open != want {
					t.Fatalf("%s: %d conversations assigned, want %d", tc.group, open, want)
				}
				lo, hi := tc.convs, 0
				for _, n := range counts {
					lo, hi = min(lo, n), max(hi, n)
				}
				if hi-lo > 1 {
					t.Fatalf("%s: round robin spread %d..%d across agents: %v", tc.group, lo, hi, counts)
				}
				var twice int
				q := `SELECT COUNT(*) FROM (SELECT conversation_id FROM assignments GROUP BY conversation_id HAVING COUNT(*) > 1) x`
				if err := f.k.R.Get(&twice, q); err != nil || twice != 0 {
					t.Fatalf("%d conversations assigned more than once (%v)", twice, err)
				}
			}
		})
	}
}

// A greeting timer armed by one process fires once, after a restart (a new
// store on the same database), even with two processes sweeping at once.
func TestTimerFiresOnceAcrossProcesses(t *testing.T) {
	urls := map[string]string{"sqlite": ""}
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") != "1" {
		urls["postgres"] = freshPG(t)
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			openAt := func() *rig {
				if url != "" {
					return open(t, url)
				}
				return openDir(t, dir)
			}
			s := openAt()
			f := setup(t, s)
			if _, err := s.PutAutomations(ctx, f.admin.TenantID, "", []byte(`{"greeting":{"enabled":true,"after_seconds":1,"text":"欢迎"}}`)); err != nil {
				t.Fatal(err)
			}
			r := s.Ingest(ctx, []hub.Inbound{f.msg("g1", "gc")})[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if _, err := s.FireDueTimers(ctx, 10); err != nil { // not due yet
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			others := []*rig{openAt(), openAt()} // "restarted" processes
			s.DB().Close()                       // the first one is gone
			s = others[0]
			var wg sync.WaitGroup
			for _, o := range others {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := o.FireDueTimers(ctx, 10); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			ms, err := s.Messages(ctx, f.admin, r.ConversationID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, m := range ms {
				if m.Text == "欢迎" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("the greeting was sent %d times, want once", n)
			}
		})
	}
}

// openDir opens a SQLite store in dir (several stores may share it).
func openDir(tb testing.TB, dir string) *rig {
	tb.Helper()
	k, err := store.Open(context.Background(), "", dir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { k.Close() })
	if err := k.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return build(tb, k)
}
