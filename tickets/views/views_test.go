package views_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/tickets/views"
)

func ptr[T any](v T) *T { return &v }

func TestSavedViews(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		tid := f.Admin.TenantID
		vs := views.New(h.K, h.Tickets)
		newAgent := func(tenant string, r hub.Role) *hub.Agent {
			a, err := h.Identity.Agents.Create(ctx, tenant, identity.NewAgent{Email: hub.NewID("a") + "@t.test", Password: "password1", Role: r})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		agent, other, sup := newAgent(tid, hub.RoleAgent), newAgent(tid, hub.RoleAgent), newAgent(tid, hub.RoleSupervisor)
		if _, err := fields.New(h.K).Create(ctx, tid, fields.Ticket, fields.Spec{Key: ptr("product"), Label: ptr("产品线"),
			Type: ptr(fields.Select), Options: ptr([]string{"手机", "平板"})}); err != nil {
			t.Fatal(err)
		}
		in := f.Msg(hub.NewID("m"), "c1")
		r := h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
		c, err := h.Conversations.ByID(ctx, r.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		mk := func(subject string, p tickets.Priority, assignee *string, product string) {
			_, err := h.Tickets.Create(ctx, tid, tickets.NewTicket{Subject: subject, ContactID: c.ContactID, ChannelID: c.ChannelID,
				Priority: p, AssigneeID: assignee, Fields: map[string]string{"product": product}})
			if err != nil {
				t.Fatal(err)
			}
		}
		mk("手机屏幕 1", tickets.Urgent, &agent.ID, "手机")
		mk("手机屏幕 2", tickets.Urgent, nil, "手机")
		mk("平板电池", tickets.Urgent, &other.ID, "平板")
		mk("手机电池", tickets.Low, &agent.ID, "手机")

		urgentPhones := views.Filter{Priority: tickets.Urgent, Field: "product", FieldValue: "手机"}
		mine, err := vs.Create(ctx, agent, views.Spec{Name: ptr(" 紧急手机 "), Filter: &urgentPhones})
		if err != nil || mine.Name != "紧急手机" || mine.Shared {
			t.Fatalf("saved: %+v, %v", mine, err)
		}
		if _, err := vs.Create(ctx, agent, views.Spec{Name: ptr("团队"), Shared: ptr(true)}); !errors.Is(err, hub.ErrForbidden) {
			t.Fatalf("a plain agent shares a view: %v", err)
		}
		team, err := vs.Create(ctx, sup, views.Spec{Name: ptr("我的紧急"), Shared: ptr(true),
			Filter: &views.Filter{Priority: tickets.Urgent, Assignee: "me"}})
		if err != nil {
			t.Fatal(err)
		}
		counts := func(a *hub.Agent) map[string]int {
			t.Helper()
			list, err := vs.List(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, v := range list {
				out[v.Name] = v.Count
			}
			return out
		}
		// The agent sees their own view and the shared one; "me" is whoever
		// opens it. The other agent does not see the agent's view.
		if got := counts(agent); len(got) != 2 || got["紧急手机"] != 2 || got["我的紧急"] != 1 {
			t.Fatalf("the agent's views: %v", got)
		}
		if got := counts(other); len(got) != 1 || got["我的紧急"] != 1 {
			t.Fatalf("the other agent's views: %v", got)
		}
		if got := counts(sup); len(got) != 1 || got["我的紧急"] != 0 {
			t.Fatalf("the supervisor's views: %v", got)
		}
		// What the view lists matches its count.
		v, err := vs.Get(ctx, agent, mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ts, err := h.Tickets.List(ctx, tid, v.Filter.For(agent)); err != nil || len(ts) != 2 {
			t.Fatalf("the view lists %d, %v", len(ts), err)
		}
		// A plain agent sees only their own and unassigned tickets: the
		// other agent's urgent tablet ticket is not in their count.
		all := views.Filter{Priority: tickets.Urgent}
		if _, err := vs.Update(ctx, agent, mine.ID, views.Spec{Name: ptr("全部紧急"), Filter: &all}); err != nil {
			t.Fatal(err)
		}
		if got := counts(agent); got["全部紧急"] != 2 {
			t.Fatalf("renamed view counts %v", got)
		}
		// Who may change what.
		if _, err := vs.Update(ctx, other, mine.ID, views.Spec{Name: ptr("x")}); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another agent renames the agent's view: %v", err)
		}
		if err := vs.Delete(ctx, agent, team.ID); !errors.Is(err, hub.ErrForbidden) {
			t.Fatalf("a plain agent deletes a shared view: %v", err)
		}
		admin := f.Admin
		if _, err := vs.Update(ctx, admin, team.ID, views.Spec{Name: ptr("紧急（我的）")}); err != nil {
			t.Fatalf("an admin renames a shared view: %v", err)
		}
		for name, bad := range map[string]views.Spec{
			"no name":      {Filter: &all},
			"long name":    {Name: ptr(strings.Repeat("长", 51))},
			"bad status":   {Name: ptr("x"), Filter: &views.Filter{Status: "lost"}},
			"bad priority": {Name: ptr("x"), Filter: &views.Filter{Priority: "asap"}},
			"bad field":    {Name: ptr("x"), Filter: &views.Filter{Field: "Product", FieldValue: "手机"}},
			"field only":   {Name: ptr("x"), Filter: &views.Filter{Field: "product"}},
		} {
			_, err := vs.Create(ctx, agent, bad)
			var inv *hub.InvalidError
			if !errors.As(err, &inv) && !errors.Is(err, tickets.ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Another tenant sees none of them.
		stranger := h.NewTenant(t).Admin
		if got := counts(stranger); len(got) != 0 {
			t.Fatalf("another tenant lists %v", got)
		}
		if _, err := vs.Get(ctx, stranger, team.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant opens a shared view: %v", err)
		}
		if err := vs.Delete(ctx, stranger, team.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant deletes a shared view: %v", err)
		}
		if err := vs.Delete(ctx, agent, mine.ID); err != nil {
			t.Fatal(err)
		}
		if got := counts(agent); len(got) != 1 {
			t.Fatalf("after the delete: %v", got)
		}
	})
}
