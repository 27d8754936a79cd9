package tickets_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/tickets/views"
)

// BenchmarkList measures the ticket list and its view badges at scale on
// both dialects: KEFU_BENCH_TICKETS tickets (100,000 by default) in one
// tenant — 40 % unresolved, 1 in 10 assigned to the agent, 1 in 3 in the
// agent's group, 1 in 100 followed by the agent, 1 in 20 of the unresolved
// past due, each with a custom field product (one of four values) and a
// unique order number — then each list the tickets page asks for, and the
// badges of five saved views (views.List), reporting the p99 latency
// (p99-ms) beside the mean. Seeding is outside the timed loop.
//
//	go test -tags=ne ./tickets/ -run '^$' -bench List -benchtime 50x
func BenchmarkList(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("KEFU_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	for _, dialect := range storetest.Names() {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			h := hubtest.Build(storetest.Open(b, dialect, store.Options{}).Store)
			f := h.NewTenant(b)
			tid := f.Admin.TenantID
			agent, err := h.Identity.Agents.Create(ctx, tid, identity.NewAgent{Email: "li@t.test", Password: "password1", Role: hub.RoleAgent})
			if err != nil {
				b.Fatal(err)
			}
			name, members := "售后", []string{agent.ID}
			g, err := h.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: &name, AgentIDs: &members})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			seedTickets(b, h, f, agent.ID, g.ID, n)
			b.Logf("%s: %d tickets seeded in %s", dialect, n, time.Since(start).Round(time.Millisecond))
			admin, me := f.Admin.ID, agent.ID
			for _, q := range []struct {
				name string
				f    tickets.Filter
			}{
				{"all_first_page", tickets.Filter{Me: admin, Limit: 50}},
				{"all_by_due", tickets.Filter{Me: admin, Sort: "due", Limit: 50}},
				{"overdue", tickets.Filter{View: "overdue", Me: admin, Limit: 50}},
				{"unassigned", tickets.Filter{View: "unassigned", Me: admin, Limit: 50}},
				{"status_open", tickets.Filter{Status: tickets.Open, Me: admin, Limit: 50}},
				{"page_100", tickets.Filter{Me: admin, Limit: 50, Offset: 5000}},
				{"agent_mine", tickets.Filter{View: "mine", Me: me, Viewer: me, Limit: 50}},
				{"agent_group", tickets.Filter{View: "group", Me: me, Viewer: me, Limit: 50}},
				{"agent_following", tickets.Filter{View: "following", Me: me, Viewer: me, Limit: 50}},
				{"agent_all_by_due", tickets.Filter{Me: me, Viewer: me, Sort: "due", Limit: 50}},
				{"field_select", tickets.Filter{Me: admin, Field: "product", FieldValue: "手机", Limit: 50}},
				{"field_text_one", tickets.Filter{Me: admin, Field: "order_no", FieldValue: "NO-77777", Limit: 50}},
				{"text_none", tickets.Filter{Me: admin, Text: "没有这个", Limit: 50}},
			} {
				b.Run(q.name, func(b *testing.B) {
					storetest.P99(b, func() error { _, err := h.Tickets.List(ctx, tid, q.f); return err })
				})
			}
			b.Run("counts_admin", func(b *testing.B) {
				storetest.P99(b, func() error { _, err := h.Tickets.Counts(ctx, tid, admin, ""); return err })
			})
			b.Run("counts_agent", func(b *testing.B) {
				storetest.P99(b, func() error { _, err := h.Tickets.Counts(ctx, tid, me, me); return err })
			})
			// five saved views an agent typically has: by a field, urgent
			// unresolved, their own high ones, a rare value, a subject text
			// matching nothing (the worst: no index serves it)
			vs := views.New(h.K, h.Tickets)
			for _, sp := range []views.Filter{{Field: "product", FieldValue: "手机"}, {Status: tickets.Open, Priority: tickets.Urgent},
				{Assignee: "me", Priority: tickets.High}, {Field: "order_no", FieldValue: "NO-12345"}, {Text: "没有这个"}} {
				name := "v"
				if _, err := vs.Create(ctx, agent, views.Spec{Name: &name, Filter: &sp}); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("saved_views_agent", func(b *testing.B) {
				storetest.P99(b, func() error { _, err := vs.List(ctx, agent); return err })
			})
			b.Run("sweep_nothing_due", func(b *testing.B) {
				storetest.P99(b, func() error { _, err := h.Tickets.Sweep(ctx); return err })
			})
		})
	}
}

// seedTickets inserts n tickets in batches, as the sweeper has left them
// (past-due ones already flagged), and the agent's follows.
func seedTickets(b *testing.B, h *hubtest.Hub, f hubtest.Tenant, agentID, groupID string, n int) {
	b.Helper()
	ctx := context.Background()
	const batch = 400
	now := time.Now().UTC()
	base := now.Add(-time.Duration(n) * time.Minute)
	statuses := []string{"new", "open", "pending", "open", "solved", "closed", "solved", "closed", "solved", "closed"}
	prios := []string{"low", "normal", "normal", "high", "urgent"}
	products := []string{"手机", "平板", "电脑", "耳机"}
	for i := 0; i < n; i += batch {
		var rows, follows, values []string
		var args, fargs, vargs []any
		for j := i; j < min(i+batch, n); j++ {
			id, at := fmt.Sprintf("tc_b%07d", j), base.Add(time.Duration(j)*time.Minute)
			status := statuses[j%len(statuses)]
			var assignee, group, due, next any
			if j%10 == 0 {
				assignee = agentID
			}
			if j%3 == 0 {
				group = groupID
			}
			breached := 0
			if status == "new" || status == "open" || status == "pending" {
				d := now.Add(time.Duration(j%500) * time.Minute)
				if j%20 == 1 {
					d, breached = now.Add(-time.Hour), 2
				}
				due = d
				if status != "pending" {
					next = d
				}
			}
			product, order := products[j%len(products)], fmt.Sprintf("NO-%d", j)
			rows = append(rows, "(?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, 'agent', ?, ?, ?, ?, ?)")
			args = append(args, id, f.Admin.TenantID, f.Channel.ID, fmt.Sprintf("ct_b%07d", j), status, assignee,
				fmt.Sprintf("工单 %d", j), at, at, prios[j%len(prios)], group, due, due, breached, next,
				`{"order_no":"`+order+`","product":"`+product+`"}`)
			values = append(values, "(?, 'product', ?, ?)", "(?, 'order_no', ?, ?)")
			vargs = append(vargs, id, product, f.Admin.TenantID, id, order, f.Admin.TenantID)
			if j%100 == 7 {
				follows = append(follows, "(?, ?, ?, ?)")
				fargs = append(fargs, id, agentID, f.Admin.TenantID, at)
			}
		}
		err := h.K.Write(ctx, func(tx *store.Tx) error {
			q := `INSERT INTO tickets (id, tenant_id, channel_id, contact_id, conversation_id, status, assignee_id, subject,
				created_at, updated_at, priority, group_id, origin, due_at, resolution_warn_at, resolution_sla, next_due_at, custom)
				VALUES ` + strings.Join(rows, ", ")
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
			q = `INSERT INTO ticket_field_values (ticket_id, field, value, tenant_id) VALUES ` + strings.Join(values, ", ")
			if _, err := tx.Exec(ctx, q, vargs...); err != nil {
				return err
			}
			if len(follows) > 0 {
				q = `INSERT INTO ticket_followers (ticket_id, agent_id, tenant_id, created_at) VALUES ` + strings.Join(follows, ", ")
				_, err := tx.Exec(ctx, q, fargs...)
				return err
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
