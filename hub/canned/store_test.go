package canned_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/canned"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
)

func ptr[T any](v T) *T { return &v }

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

type fx struct {
	*hubtest.Hub
	s                  *canned.Store
	admin, sup, a, b   *hub.Agent
	outsider           *hub.Agent
	shared, ownA, ownB *canned.Reply
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

// setup makes a tenant with an admin, a supervisor and two agents, one
// shared and two personal replies, and an agent of another tenant.
func setup(t *testing.T, h *hubtest.Hub) *fx {
	t.Helper()
	ctx := context.Background()
	f := h.NewTenant(t)
	x := &fx{Hub: h, s: canned.New(h.K), admin: f.Admin}
	x.sup, x.a, x.b = agent(t, h, f.Admin.TenantID, hub.RoleSupervisor), agent(t, h, f.Admin.TenantID, hub.RoleAgent),
		agent(t, h, f.Admin.TenantID, hub.RoleAgent)
	x.outsider = h.NewTenant(t).Admin
	var err error
	if x.shared, err = x.s.Create(ctx, x.admin, canned.Patch{Title: ptr("退款流程"), Text: ptr("退款请在订单页申请，3个工作日内到账。"),
		Category: ptr("售后"), Shared: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if x.ownA, err = x.s.Create(ctx, x.a, canned.Patch{Title: ptr("问候"), Text: ptr("您好，很高兴为您服务"), Category: ptr("常用")}); err != nil {
		t.Fatal(err)
	}
	if x.ownB, err = x.s.Create(ctx, x.b, canned.Patch{Title: ptr("B's 100% reply"), Text: ptr("secret"), Category: ptr("私人")}); err != nil {
		t.Fatal(err)
	}
	return x
}

func titles(rs []canned.Reply) string {
	var ts []string
	for _, r := range rs {
		ts = append(ts, r.Title)
	}
	sort.Strings(ts)
	return fmt.Sprint(ts)
}

// An agent uses their own replies and the tenant's shared ones, never
// another agent's; only admins and supervisors create or change shared ones.
func TestVisibilityAndRights(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		if !x.shared.Shared || x.shared.OwnerAgentID != nil || x.ownA.Shared || *x.ownA.OwnerAgentID != x.a.ID {
			t.Fatalf("created: shared %+v personal %+v", x.shared, x.ownA)
		}
		for _, c := range []struct {
			who  *hub.Agent
			want string
		}{
			{x.a, "[退款流程 问候]"}, {x.b, "[B's 100% reply 退款流程]"}, {x.admin, "[退款流程]"}, {x.outsider, "[]"},
		} {
			if got, err := x.s.List(ctx, c.who, "", ""); err != nil || titles(got) != c.want {
				t.Errorf("%s lists %s (%v), want %s", c.who.Role, titles(got), err, c.want)
			}
		}
		for _, c := range []struct {
			name string
			err  error
			want error
		}{
			{"an agent creates a shared reply", second(x.s.Create(ctx, x.a, canned.Patch{Title: ptr("t"), Text: ptr("x"), Shared: ptr(true)})), hub.ErrForbidden},
			{"an agent edits a shared reply", second(x.s.Update(ctx, x.a, x.shared.ID, canned.Patch{Text: ptr("x")})), hub.ErrForbidden},
			{"an agent deletes a shared reply", x.s.Delete(ctx, x.a, x.shared.ID), hub.ErrForbidden},
			{"an agent edits another's reply", second(x.s.Update(ctx, x.a, x.ownB.ID, canned.Patch{Text: ptr("x")})), hub.ErrNotFound},
			{"an admin edits an agent's reply", second(x.s.Update(ctx, x.admin, x.ownB.ID, canned.Patch{Text: ptr("x")})), hub.ErrNotFound},
			{"another tenant deletes a shared reply", x.s.Delete(ctx, x.outsider, x.shared.ID), hub.ErrNotFound},
		} {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
			}
		}
		if got, _ := x.s.List(ctx, x.b, "", ""); titles(got) != "[B's 100% reply 退款流程]" {
			t.Fatalf("refused changes changed something: %s", titles(got))
		}
		if _, err := x.s.Update(ctx, x.sup, x.shared.ID, canned.Patch{Shared: ptr(false)}); !isInvalid(err) {
			t.Fatalf("making a shared reply personal: %v", err)
		}
		up, err := x.s.Update(ctx, x.sup, x.shared.ID, canned.Patch{Title: ptr("退款须知")})
		if err != nil || up.Title != "退款须知" || !up.Shared || up.Text != x.shared.Text {
			t.Fatalf("a supervisor edits a shared reply: %+v, %v", up, err)
		}
		if sh, err := x.s.Create(ctx, x.sup, canned.Patch{Title: ptr("s"), Text: ptr("x"), Shared: ptr(true)}); err != nil || !sh.Shared {
			t.Fatalf("a supervisor creates a shared reply: %+v, %v", sh, err)
		}
		if err := x.s.Delete(ctx, x.a, x.ownA.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := x.s.List(ctx, x.a, "", ""); titles(got) != "[s 退款须知]" {
			t.Fatalf("after deleting their own: %s", titles(got))
		}
	})
}

func second[T any](_ T, err error) error { return err }

// Search matches title or text in any case, its wildcards matching
// themselves; categories are those of the replies the agent may use.
func TestSearchAndCategories(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		x.s.Create(ctx, x.b, canned.Patch{Title: ptr("1000 ways"), Text: ptr("no"), Category: ptr("私人")})
		x.s.Create(ctx, x.b, canned.Patch{Title: ptr("Plain"), Text: ptr("nothing")})
		for _, c := range []struct {
			who          *hub.Agent
			q, cat, want string
		}{
			{x.b, "100%", "", "[B's 100% reply]"},
			{x.b, "SECRET", "", "[B's 100% reply]"},
			{x.b, "到账", "", "[退款流程]"},
			{x.b, "", "私人", "[1000 ways B's 100% reply]"},
			{x.b, "way", "售后", "[]"},
			{x.a, "secret", "", "[]"},
		} {
			if got, err := x.s.List(ctx, c.who, c.q, c.cat); err != nil || titles(got) != c.want {
				t.Errorf("List(q=%q, category=%q) = %s, %v; want %s", c.q, c.cat, titles(got), err, c.want)
			}
		}
		for _, c := range []struct {
			who  *hub.Agent
			want string
		}{{x.a, "[售后 常用]"}, {x.b, "[售后 私人]"}, {x.outsider, "[]"}} {
			cats, err := x.s.Categories(ctx, c.who)
			sort.Strings(cats)
			if err != nil || fmt.Sprint(cats) != c.want {
				t.Errorf("categories of %s: %v, %v; want %s", c.who.Email, cats, err, c.want)
			}
		}
	})
}

func TestValidation(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		for name, p := range map[string]canned.Patch{
			"no title":      {Text: ptr("x")},
			"blank title":   {Title: ptr("  "), Text: ptr("x")},
			"no text":       {Title: ptr("t")},
			"long title":    {Title: ptr(strings.Repeat("题", 101)), Text: ptr("x")},
			"long text":     {Title: ptr("t"), Text: ptr(strings.Repeat("x", 5001))},
			"long category": {Title: ptr("t"), Text: ptr("x"), Category: ptr(strings.Repeat("c", 51))},
		} {
			if _, err := x.s.Create(ctx, x.a, p); !isInvalid(err) {
				t.Errorf("%s: %v, want an InvalidError", name, err)
			}
		}
		if _, err := x.s.Update(ctx, x.a, x.ownA.ID, canned.Patch{Text: ptr(" ")}); !isInvalid(err) {
			t.Errorf("blanking the text: %v", err)
		}
		if got, _ := x.s.List(ctx, x.a, "", ""); len(got) != 2 {
			t.Fatalf("refused creates stored something: %s", titles(got))
		}
	})
}
