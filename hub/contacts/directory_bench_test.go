package contacts_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// BenchmarkSearch measures the customer list at scale on both dialects:
// KEFU_BENCH_CONTACTS contacts (100,000 by default) in one tenant, 1 in 50
// owned by the agent, a conversation for 1 in 100, custom field values on
// each (1 in 10 金卡), a company on 1 in 10,000 (深圳…), a due follow-up on
// 1 in 1,000, then each query the
// customer list sends, reporting the p99 latency (p99-ms) beside the mean.
// Seeding is outside the timed loop.
//
//	KEFU_BENCH_CONTACTS=1000000 go test -tags=ne ./hub/contacts/ -run '^$' -bench Search -benchtime 20x
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("KEFU_BENCH_CONTACTS")); err == nil && v > 0 {
		n = v
	}
	for _, dialect := range storetest.Names() {
		b.Run(dialect, func(b *testing.B) {
			h := hubtest.Build(storetest.Open(b, dialect, store.Options{}).Store)
			f := h.NewTenant(b)
			agent, err := h.Identity.Agents.Create(context.Background(), f.Admin.TenantID,
				identity.NewAgent{Email: "li@t.test", Password: "password1", Role: hub.RoleAgent})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			seed(b, h, f, agent, n)
			due := time.Now()
			// a day of contacts created in the middle of the list
			from := due.Add(-time.Duration(n/2) * time.Second)
			to := from.Add(24 * time.Hour)
			b.Logf("%s: %d contacts seeded in %s", dialect, n, time.Since(start).Round(time.Millisecond))
			for _, q := range []struct {
				name string
				who  *hub.Agent
				q    contacts.Query
			}{
				{"first_page", f.Admin, contacts.Query{}},
				{"name_substring", f.Admin, contacts.Query{Text: "客户4242"}},
				{"phone_rare", f.Admin, contacts.Query{Text: "13900099999"}},
				{"no_match", f.Admin, contacts.Query{Text: "nobody-at-all"}},
				{"tag", f.Admin, contacts.Query{Tag: "VIP"}},
				{"owner", f.Admin, contacts.Query{Owner: agent.ID}},
				{"agent_scope", agent, contacts.Query{}},
				{"agent_scope_search", agent, contacts.Query{Text: "客户1"}},
				{"page_100", f.Admin, contacts.Query{Offset: 5000, Limit: 50}},
				{"custom_select", f.Admin, contacts.Query{Field: "level", FieldValue: "金卡"}},
				{"custom_select_rare", f.Admin, contacts.Query{Field: "no", FieldValue: "会员4242"}},
				{"short_common", f.Admin, contacts.Query{Text: "金卡"}},
				{"short_rare", f.Admin, contacts.Query{Text: "深圳"}},
				{"custom_text", f.Admin, contacts.Query{Text: "会员4242"}},
				{"followup_due", f.Admin, contacts.Query{DueBy: &due}},
				{"created_range", f.Admin, contacts.Query{CreatedFrom: &from, CreatedTo: &to}},
				{"agent_created_range", agent, contacts.Query{CreatedFrom: &from, CreatedTo: &to}},
			} {
				b.Run(q.name, func(b *testing.B) {
					ctx := context.Background()
					storetest.P99(b, func() error { _, err := h.Contacts.Search(ctx, q.who, q.q); return err })
				})
			}
		})
	}
}

// seed inserts n contacts in batches, with conversations for some.
func seed(b *testing.B, h *hubtest.Hub, f hubtest.Tenant, agent *hub.Agent, n int) {
	b.Helper()
	ctx := context.Background()
	const batch = 500
	base := time.Now().Add(-time.Duration(n) * time.Second).UTC()
	for i := 0; i < n; i += batch {
		var rows, convs []string
		var args, cargs []any
		for j := i; j < min(i+batch, n); j++ {
			id, at := fmt.Sprintf("ct_b%07d", j), base.Add(time.Duration(j)*time.Second)
			var owner any
			if j%50 == 0 {
				owner = agent.ID
			}
			tags := `[]`
			if j%20 == 0 {
				tags = `["VIP"]`
			}
			custom := fmt.Sprintf(`{"level":"银卡","no":"会员%d"}`, j)
			if j%10 == 0 {
				custom = fmt.Sprintf(`{"level":"金卡","no":"会员%d"}`, j)
			}
			company := ""
			if j%10000 == 7 {
				company = "深圳市科技有限公司"
			}
			var next any
			if j%1000 == 0 {
				next = at
			}
			rows = append(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, id, f.Admin.TenantID, f.Channel.ID, fmt.Sprintf("ext-%d", j), fmt.Sprintf("客户%d", j),
				fmt.Sprintf("c%d@example.com", j), fmt.Sprintf("139%08d", j), company, tags, custom, next, owner, at, at)
			if j%100 == 0 {
				convs = append(convs, "(?, ?, ?, ?, ?, 'closed', ?, ?, ?)")
				cargs = append(cargs, "cv_b"+id, f.Admin.TenantID, f.Channel.ID, id, agent.ID, at, at, at)
			}
		}
		err := h.K.Write(ctx, func(tx *store.Tx) error {
			q := `INSERT INTO contacts (id, tenant_id, channel_id, external_id, name, email, phone, company, tags, custom, next_followup_at,
				owner_id, created_at, updated_at) VALUES ` + strings.Join(rows, ", ")
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
			if len(convs) == 0 {
				return nil
			}
			q = `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, assignee_id, status, created_at, updated_at,
				last_message_at) VALUES ` + strings.Join(convs, ", ")
			_, err := tx.Exec(ctx, q, cargs...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := h.K.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}
