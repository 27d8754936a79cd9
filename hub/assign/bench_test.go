package assign_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
)

// BenchmarkRouteDecision is the pure decision: rank 1,000 online agents.
func BenchmarkRouteDecision(b *testing.B) {
	cs := make([]routing.Candidate, 1000)
	for i := range cs {
		cs[i] = routing.Candidate{ID: fmt.Sprintf("ag%04d", i), Status: "online", Current: i % 7, Max: 10,
			LastAssignedAt: time.Unix(int64(i*37%1000), 0)}
	}
	for _, p := range []routing.Policy{routing.Load, routing.DailyBalance, routing.RoundRobin} {
		b.Run(string(p), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				routing.Rank(p, cs)
			}
		})
	}
}

// BenchmarkRoute routes new conversations to a group of 1,000 online agents
// through the store (load candidates, rank, claim in a transaction) and
// reports p50/p99 per routing decision. PostgreSQL runs when KEFU_BENCH_PG=1.
func BenchmarkRoute(b *testing.B) {
	dialects := []string{"sqlite"}
	if os.Getenv("KEFU_BENCH_PG") == "1" {
		dialects = append(dialects, "postgres")
	}
	for _, name := range dialects {
		b.Run(name, func(b *testing.B) {
			h := hubtest.Open(b, name)
			f := h.NewTenant(b)
			ctx := context.Background()
			ids := make([]string, 1000)
			for i := range ids {
				ids[i] = h.OnlineAgent(b, f.Admin.TenantID, 1000).ID
			}
			pol := routing.Load
			g := h.NewGroup(b, f.Admin.TenantID, "g", identity.GroupPatch{AgentIDs: &ids, Policy: &pol})
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				in := f.Msg(fmt.Sprintf("m%d", i), fmt.Sprintf("c%d", i))
				in.Group = g.ID
				r := h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
				b.StartTimer()
				t0 := time.Now()
				d, err := h.Assign.Router.Route(ctx, r.ConversationID, true)
				lat = append(lat, time.Since(t0))
				if err != nil || d.Outcome != assign.Assigned {
					b.Fatalf("route: %+v %v", d, err)
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkRouteBurst is the warm-up shape of `kefu bench`: 200 new
// conversations arrive at once for 20 online agents and are routed as the
// pipeline routes them; one op is the whole burst.
func BenchmarkRouteBurst(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		if name == "postgres" && os.Getenv("KEFU_BENCH_PG") != "1" {
			continue
		}
		b.Run(name, func(b *testing.B) {
			h := hubtest.Open(b, name)
			ctx := context.Background()
			for i := -1; i < b.N; i++ { // one burst first, untimed: the statements get prepared
				b.StopTimer()
				f := h.NewTenant(b)
				for k := 0; k < 20; k++ {
					h.OnlineAgent(b, f.Admin.TenantID, 50)
				}
				ins := make([]hub.Inbound, 200)
				for k := range ins {
					ins[k] = f.Msg(fmt.Sprintf("m%d", k), fmt.Sprintf("c%d", k))
				}
				if i >= 0 {
					b.StartTimer()
				}
				for _, d := range h.Route(ctx, h.Inbox.Ingest(ctx, ins)) {
					if d.Outcome != assign.Assigned {
						b.Fatalf("route: %+v", d)
					}
				}
			}
		})
	}
}
