package contacts_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// Each visibility rule an admin sets widens exactly what it says, for the
// list (every way of reading it, with and without a text), one customer's
// card, merge suggestions and the export, from the next request on; another
// tenant's rules change nothing here.
func TestVisibilityRules(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		group := func(name string) string {
			g, err := h.Identity.Groups.Create(ctx, f.Admin.TenantID, identity.GroupPatch{Name: ptr(name)})
			if err != nil {
				t.Fatal(err)
			}
			return g.ID
		}
		after, before := group("售后"), group("售前")
		newAgent := func(email string, role hub.Role, g string) *hub.Agent {
			a, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: email,
				Password: "password1", Role: role, Groups: []string{g}})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		li, zhao := newAgent("li@t.test", hub.RoleAgent, after), newAgent("zhao@t.test", hub.RoleAgent, after)
		wang, boss := newAgent("wang@t.test", hub.RoleAgent, before), newAgent("boss@t.test", hub.RoleSupervisor, after)
		create := func(name string, owner *hub.Agent) *contacts.Card {
			t.Helper()
			clk.Add(time.Second)
			p := contacts.Patch{Name: ptr(name), Phone: ptr("13800000000"), OwnerID: ptr("")}
			if owner != nil {
				p.OwnerID = &owner.ID
			}
			c, err := h.Contacts.Create(ctx, f.Admin.TenantID, "", p)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		create("客户李", li)
		create("客户赵", zhao)
		create("客户王", wang)
		nobody := create("客户无主", nil)
		talked := create("客户会话", nil) // no owner, a conversation with li
		converse(t, h, &hub.Contact{ID: talked.ID, TenantID: talked.TenantID, ChannelID: talked.ChannelID}, li, before, clk.Now())
		if _, err := h.Contacts.SetRules(ctx, other.Admin.TenantID, contacts.Rules{AgentsUnowned: true, AgentsGroup: true,
			SupervisorsAll: true}); err != nil {
			t.Fatal(err)
		}

		all := []string{"客户会话", "客户无主", "客户王", "客户赵", "客户李"}
		for _, st := range []struct {
			rules contacts.Rules
			li    []string // li: 售后 agent, owns 客户李, talked with 客户会话
			wang  []string // wang: 售前 agent, alone in the group
			boss  []string // boss: 售后 supervisor (li, a member, talked with 客户会话)
		}{
			{contacts.Rules{}, []string{"客户会话", "客户李"}, []string{"客户王"}, []string{"客户会话", "客户赵", "客户李"}},
			{contacts.Rules{AgentsUnowned: true}, []string{"客户会话", "客户无主", "客户李"},
				[]string{"客户会话", "客户无主", "客户王"}, []string{"客户会话", "客户赵", "客户李"}},
			{contacts.Rules{AgentsGroup: true}, []string{"客户会话", "客户赵", "客户李"}, []string{"客户王"}, []string{"客户会话", "客户赵", "客户李"}},
			{contacts.Rules{SupervisorsAll: true}, []string{"客户会话", "客户李"}, []string{"客户王"}, all},
			{contacts.Rules{AgentsUnowned: true, AgentsGroup: true, SupervisorsAll: true},
				[]string{"客户会话", "客户无主", "客户赵", "客户李"}, []string{"客户会话", "客户无主", "客户王"}, all},
			{contacts.Rules{}, []string{"客户会话", "客户李"}, []string{"客户王"}, []string{"客户会话", "客户赵", "客户李"}}, // back
		} {
			if _, err := h.Contacts.SetRules(ctx, f.Admin.TenantID, st.rules); err != nil {
				t.Fatal(err)
			}
			if got, err := h.Contacts.Rules(ctx, f.Admin.TenantID); err != nil || got != st.rules {
				t.Fatalf("rules read back: %+v %v, want %+v", got, err, st.rules)
			}
			for _, w := range []struct {
				a    *hub.Agent
				want []string
			}{{li, st.li}, {wang, st.wang}, {boss, st.boss}, {f.Admin, all}} {
				// every plan: walking the list, and reading an agent's own
				// contacts (PostgreSQL) with or without searching first
				for _, few := range [][2]int{{0, 0}, {1 << 30, 5}, {1 << 30, 20000}} {
					undo := contacts.SetFew(few[0], few[1])
					got, text := names(t, h, w.a, contacts.Query{}), names(t, h, w.a, contacts.Query{Text: "客户"})
					undo()
					if !slices.Equal(got, w.want) || !slices.Equal(text, w.want) {
						t.Errorf("rules %+v, plan %v: %s lists %v (searching %v), want %v", st.rules, few, w.a.Email, got, text, w.want)
					}
				}
				// one card, as the list says
				ok, err := h.Contacts.Visible(ctx, w.a, nobody.ID)
				if err != nil || ok != slices.Contains(w.want, "客户无主") {
					t.Errorf("rules %+v: %s sees 客户无主: %v %v", st.rules, w.a.Email, ok, err)
				}
				// the export holds the same customers
				var b bytes.Buffer
				if err := h.Contacts.Export(ctx, w.a, contacts.Query{}, &b, sheet.CSV); err != nil {
					t.Fatal(err)
				}
				rows, err := sheet.Read(&b, sheet.CSV, 100)
				if err != nil {
					t.Fatal(err)
				}
				var exported []string
				for _, r := range rows[1:] {
					exported = append(exported, r[1])
				}
				if !slices.Equal(exported, w.want) {
					t.Errorf("rules %+v: %s exports %v, want %v", st.rules, w.a.Email, exported, w.want)
				}
				// merge suggestions (same phone) among what they see
				ss, err := h.Contacts.Suggestions(ctx, f.Admin, nobody.ID)
				if err != nil || len(ss) != len(all)-1 {
					t.Errorf("admin's suggestions: %d %v", len(ss), err)
				}
				if w.a == li {
					ss, err := h.Contacts.Suggestions(ctx, li, talked.ID)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, s := range ss {
						got = append(got, s.Contact.Name)
					}
					slices.Sort(got)
					want := slices.DeleteFunc(slices.Clone(w.want), func(n string) bool { return n == "客户会话" })
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("rules %+v: li's suggestions %v, want %v", st.rules, got, want)
					}
				}
			}
		}
		// another tenant's admin sees none of these, whatever the rules
		if got := names(t, h, other.Admin, contacts.Query{}); len(got) != 0 {
			t.Errorf("another tenant lists %v", got)
		}
	})
}
