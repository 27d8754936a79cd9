package qa_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/qa"
)

func ptr[T any](v T) *T { return &v }

var day = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// fx is a tenant with an admin, a supervisor, two agents and a template,
// and an outsider of another tenant.
type fx struct {
	h              *hubtest.Hub
	q              *qa.Store
	ten            hubtest.Tenant
	admin, sup     *hub.Agent
	a, b, outsider *hub.Agent
	tpl            *qa.Template
}

func agent(t *testing.T, h *hubtest.Hub, tenantID string, role hub.Role) *hub.Agent {
	t.Helper()
	a, err := h.Identity.Agents.Create(context.Background(), tenantID, identity.NewAgent{Email: hub.NewID("a") + "@t.test",
		Password: "password1", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// serviceTemplate is worth 100: greeting 10, accuracy 60 (−20 wrong
// answer, −10 slow), attitude 30 (−15 impatient), and a fatal item.
func serviceTemplate() qa.TemplateIn {
	return qa.TemplateIn{Name: "服务质检", Items: []qa.Item{
		{Name: "问候语", MaxPoints: 10, Deductions: []qa.Deduction{{Label: "未问候", Points: 10}}},
		{Name: "解答准确", MaxPoints: 60, Deductions: []qa.Deduction{{Label: "答错", Points: 20}, {Label: "响应慢", Points: 10}}},
		{Name: "服务态度", MaxPoints: 30, Deductions: []qa.Deduction{{Label: "不耐烦", Points: 15}}},
		{Name: "辱骂客户", Fatal: true},
	}}
}

func setup(t *testing.T, h *hubtest.Hub) *fx {
	t.Helper()
	x := &fx{h: h, q: qa.New(h.K, conversations.NewSampler(h.K)), ten: h.NewTenant(t)}
	x.admin = x.ten.Admin
	tid := x.admin.TenantID
	x.sup, x.a, x.b = agent(t, h, tid, hub.RoleSupervisor), agent(t, h, tid, hub.RoleAgent), agent(t, h, tid, hub.RoleAgent)
	x.outsider = h.NewTenant(t).Admin
	var err error
	if x.tpl, err = x.q.CreateTemplate(context.Background(), x.sup, serviceTemplate()); err != nil {
		t.Fatal(err)
	}
	return x
}

// conv stores a conversation of the tenant's channel taken by agent,
// closed at closed (open when zero), with n customer/agent messages
// alternating (the texts given first), and a rating when score > 0.
func (x *fx) conv(t testing.TB, agent *hub.Agent, closed time.Time, n, score int, texts ...string) string {
	t.Helper()
	ctx, k := context.Background(), x.h.K
	id, ct := hub.NewID("cv"), hub.NewID("ct")
	tid, ch := x.admin.TenantID, x.ten.Channel.ID
	if _, err := k.Exec(ctx, `INSERT INTO contacts (id, tenant_id, channel_id, external_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, ct, tid, ch, ct, day, day); err != nil {
		t.Fatal(err)
	}
	status, closedAt := "closed", &closed
	if closed.IsZero() {
		status, closedAt = "open", nil
	}
	if _, err := k.Exec(ctx, `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, assignee_id, status, last_seq,
		created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, tid, ch, ct, agent.ID, status, n, day,
		day, closedAt); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		dir, text := "in", fmt.Sprintf("message %d", i)
		if i%2 == 1 {
			dir = "out"
		}
		if i < len(texts) {
			text = texts[i]
		}
		if _, err := k.Exec(ctx, `INSERT INTO messages (id, tenant_id, conversation_id, channel_id, seq, direction, sender_type,
			type, text, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'customer', 'text', ?, 'sent', ?)`,
			hub.NewID("ms"), tid, id, ch, i+1, dir, text, day); err != nil {
			t.Fatal(err)
		}
	}
	if score > 0 {
		if _, err := k.Exec(ctx, `INSERT INTO ratings (conversation_id, tenant_id, score, created_at) VALUES (?, ?, ?, ?)`,
			id, tid, score, closed); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func convIDs(t *testing.T, x *fx, b *qa.Batch) []string {
	t.Helper()
	rs, err := x.q.Reviews(context.Background(), x.sup, qa.Filter{BatchID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.ConversationID)
	}
	sort.Strings(out)
	return out
}

func sorted(ids ...string) []string { sort.Strings(ids); return ids }

func is(err, target error) bool { return errors.Is(err, target) }

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}
