package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/metrics"
)

// One tenant floods 5,000 new chats (10 agents, 5 seats each: most of them
// queue) just before another tenant's customers arrive: even a single
// routing worker assigns the second tenant's chats after the flood's first
// turn, not after the flood.
func TestTenantFloodDoesNotDelayOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("floods 5,000 conversations")
	}
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		agents := func(tn hubtest.Tenant, n int) {
			for i := 0; i < n; i++ {
				h.OnlineAgent(t, tn.Admin.TenantID, 5)
			}
		}
		flood, quiet := h.NewTenant(t), h.NewTenant(t)
		agents(flood, 10)
		agents(quiet, 2)
		p := New(Deps{Store: h.K, Inbox: h.Inbox, Router: h.Assign.Router, Metrics: metrics.New(func() float64 { return 0 }),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		ingest := func(tn hubtest.Tenant, n int, prefix string) {
			for start := 0; start < n; start += p.MaxBatch {
				var batch []hub.Inbound
				for i := start; i < min(start+p.MaxBatch, n); i++ {
					batch = append(batch, tn.Msg(fmt.Sprintf("%s-m%d", prefix, i), fmt.Sprintf("%s-c%d", prefix, i)))
				}
				for _, r := range p.Inbox.Ingest(ctx, batch) {
					if r.Err != nil {
						t.Fatal(r.Err)
					}
					p.turns.add(r.TenantID, r.Stored())
				}
			}
		}
		ingest(flood, 5000, "flood")
		ingest(quiet, 10, "quiet")
		start := time.Now()
		var wg sync.WaitGroup // one routing worker: the strictest case
		wg.Add(1)
		go func() { defer wg.Done(); p.router(ctx) }()
		defer wg.Wait()
		defer cancel()
		count := func(tenantID, status string) int {
			var n int
			q := `SELECT COUNT(*) FROM conversations WHERE tenant_id = ? AND status = ?`
			if err := h.K.Get(ctx, &n, q, tenantID, status); err != nil {
				t.Fatal(err)
			}
			return n
		}
		deadline := time.Now().Add(5 * time.Minute)
		for count(quiet.Admin.TenantID, "open") < 10 {
			if time.Now().After(deadline) {
				t.Fatalf("the quiet tenant's chats were not assigned (%d of 10)", count(quiet.Admin.TenantID, "open"))
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("the quiet tenant's 10 chats assigned %v after the routing workers started", time.Since(start).Round(time.Millisecond))
		// The flood was still being routed when the quiet tenant was served.
		if left := p.turns.backlog(); left < 4500 {
			t.Fatalf("the quiet tenant was served only after the flood: %d of the flood's 5,000 left to route", left)
		}
		if n := count(flood.Admin.TenantID, "open"); n > 50 {
			t.Fatalf("%d of the flood's chats open with 50 seats", n)
		}
	})
}
