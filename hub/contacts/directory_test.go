package contacts_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
)

// names lists the names of a search's contacts, in order.
func names(t *testing.T, h *hubtest.Hub, a *hub.Agent, q contacts.Query) []string {
	t.Helper()
	p, err := h.Contacts.Search(context.Background(), a, q)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, c := range p.Contacts {
		out = append(out, c.Name)
	}
	return out
}

// converse stores a conversation of a contact, assigned and routed as given.
func converse(t *testing.T, h *hubtest.Hub, c *hub.Contact, assignee *hub.Agent, group string, last time.Time) {
	t.Helper()
	var a, g any
	if assignee != nil {
		a = assignee.ID
	}
	if group != "" {
		g = group
	}
	const q = `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, group_id, assignee_id, status, created_at,
		updated_at, last_message_at) VALUES (?, ?, ?, ?, ?, ?, 'closed', ?, ?, ?)`
	if _, err := h.K.Exec(context.Background(), q, hub.NewID("cv"), c.TenantID, c.ChannelID, c.ID, g, a, last, last, last); err != nil {
		t.Fatal(err)
	}
}

// Contacts entered by hand and contacts from channels are one list:
// searched across every field agents know, filtered, sorted and paged,
// each agent seeing only their own customers.
func TestDirectory(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		newAgent := func(email string, role hub.Role, groups ...string) *hub.Agent {
			a, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: email,
				Password: "password1", Role: role, Groups: groups})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		for _, g := range []string{"售后", "售前"} {
			if _, err := h.Identity.Groups.Create(ctx, f.Admin.TenantID, identity.GroupPatch{Name: ptr(g)}); err != nil {
				t.Fatal(err)
			}
		}
		li, wang := newAgent("li@t.test", hub.RoleAgent, "售后"), newAgent("wang@t.test", hub.RoleAgent, "售前")
		boss := newAgent("boss@t.test", hub.RoleSupervisor, "售后")
		create := func(by *hub.Agent, p contacts.Patch) *contacts.Card {
			t.Helper()
			clk.Add(time.Second)
			c, err := h.Contacts.Create(ctx, by.TenantID, by.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		zhang := create(li, contacts.Patch{Name: ptr("张伟"), Phone: ptr("13800138000"), Company: ptr("华为技术"),
			Tags: &[]string{"VIP", "投诉"}, QQ: ptr("77889")})
		create(wang, contacts.Patch{Name: ptr("王芳"), Email: ptr("Fang@Example.com"), Custom: &map[string]string{"会员号": "M-42"}})
		create(f.Admin, contacts.Patch{Name: ptr("Admin 100%"), OwnerID: ptr("")})
		clk.Add(time.Second)
		wx := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "wx_openid_9", Name: "微信访客"})
		converse(t, h, wx, li, "", clk.Now())
		upsert(t, h, other.Channel, hub.ContactInfo{ExternalID: "o1", Name: "张伟"})

		if zhang.OwnerID == nil || *zhang.OwnerID != li.ID || zhang.ChannelID == f.Channel.ID || zhang.ExternalID != zhang.ID {
			t.Fatalf("hand-entered contact: %+v", zhang)
		}
		all := contacts.Query{}
		for _, st := range []struct {
			who  *hub.Agent
			q    contacts.Query
			want []string
		}{
			{f.Admin, all, []string{"微信访客", "Admin 100%", "王芳", "张伟"}},
			{li, all, []string{"微信访客", "张伟"}},
			{wang, all, []string{"王芳"}},
			{boss, all, []string{"微信访客", "张伟"}}, // li is in the supervisor's group
			{f.Admin, contacts.Query{Text: "138001"}, []string{"张伟"}},
			{f.Admin, contacts.Query{Text: "fang@example"}, []string{"王芳"}},
			{f.Admin, contacts.Query{Text: "华为"}, []string{"张伟"}},
			{f.Admin, contacts.Query{Text: "77889"}, []string{"张伟"}},
			{f.Admin, contacts.Query{Text: "openid_9"}, []string{"微信访客"}},
			{f.Admin, contacts.Query{Text: "m-42"}, []string{"王芳"}},
			{f.Admin, contacts.Query{Text: "vip"}, []string{"张伟"}},
			{f.Admin, contacts.Query{Text: "100%"}, []string{"Admin 100%"}},
			{f.Admin, contacts.Query{Text: "%"}, []string{"Admin 100%"}},
			{wang, contacts.Query{Text: "张"}, []string{}},
			{f.Admin, contacts.Query{Tag: "投诉"}, []string{"张伟"}},
			{f.Admin, contacts.Query{Tag: "投"}, []string{}},
			{f.Admin, contacts.Query{Owner: li.ID}, []string{"张伟"}},
			{f.Admin, contacts.Query{Owner: "none"}, []string{"微信访客", "Admin 100%"}},
			{f.Admin, contacts.Query{Channel: "manual"}, []string{"Admin 100%", "王芳", "张伟"}},
			{f.Admin, contacts.Query{Channel: f.Channel.ID}, []string{"微信访客"}},
			{f.Admin, contacts.Query{ContactedFrom: ptr(clk.Now().Add(-time.Minute))}, []string{"微信访客"}},
			{f.Admin, contacts.Query{ContactedTo: ptr(clk.Now().Add(-time.Minute))}, []string{}},
			// created: 张伟 1 s, 王芳 2 s, Admin 3 s after the start, 微信访客 5 s
			{f.Admin, contacts.Query{CreatedFrom: &zhang.CreatedAt, CreatedTo: ptr(zhang.CreatedAt.Add(3 * time.Second))},
				[]string{"Admin 100%", "王芳", "张伟"}},
			{f.Admin, contacts.Query{CreatedFrom: ptr(zhang.CreatedAt.Add(time.Second)), CreatedTo: ptr(zhang.CreatedAt.Add(2 * time.Second))},
				[]string{"王芳"}},
			{f.Admin, contacts.Query{CreatedFrom: ptr(zhang.CreatedAt.Add(3 * time.Second))}, []string{"微信访客"}},
			{li, contacts.Query{CreatedTo: ptr(zhang.CreatedAt.Add(time.Second))}, []string{"张伟"}},
			{wang, contacts.Query{CreatedTo: ptr(zhang.CreatedAt.Add(time.Second))}, []string{}},
			{f.Admin, contacts.Query{CreatedFrom: ptr(zhang.CreatedAt.Add(time.Hour))}, []string{}},
			{other.Admin, contacts.Query{CreatedTo: &zhang.CreatedAt}, []string{}}, // another tenant's 张伟 is newer
			{other.Admin, contacts.Query{CreatedFrom: &zhang.CreatedAt}, []string{"张伟"}},
			{f.Admin, contacts.Query{Sort: "created_asc", Limit: 2}, []string{"张伟", "王芳"}},
			{f.Admin, contacts.Query{Sort: "created_asc", Limit: 2, Offset: 2}, []string{"Admin 100%", "微信访客"}},
			{other.Admin, all, []string{"张伟"}},
		} {
			if got := names(t, h, st.who, st.q); !slices.Equal(got, st.want) {
				t.Errorf("%s searching %+v: %v, want %v", st.who.Email, st.q, got, st.want)
			}
		}
		if p, _ := h.Contacts.Search(ctx, f.Admin, contacts.Query{Limit: 3}); !p.More || len(p.Contacts) != 3 {
			t.Errorf("first page of 3 out of 4: %d contacts, more %v", len(p.Contacts), p.More)
		}
		if _, err := h.Contacts.Search(ctx, f.Admin, contacts.Query{Sort: "id; DROP TABLE contacts"}); !isInvalid(err) {
			t.Errorf("unknown sort: %v", err)
		}
		// Who may see one contact follows the list.
		for _, st := range []struct {
			who  *hub.Agent
			want bool
		}{{li, true}, {wang, false}, {boss, true}, {f.Admin, true}, {other.Admin, false}} {
			if ok, err := h.Contacts.Visible(ctx, st.who, zhang.ID); err != nil || ok != st.want {
				t.Errorf("%s sees 张伟: %v (%v), want %v", st.who.Email, ok, err, st.want)
			}
		}
		// Refused: no identity at all, an owner from another tenant.
		if _, err := h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, contacts.Patch{Company: ptr("x")}); !isInvalid(err) {
			t.Errorf("contact without name, phone or email: %v", err)
		}
		_, err := h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, contacts.Patch{Name: ptr("x"), OwnerID: &other.Admin.ID})
		if !isInvalid(err) {
			t.Errorf("owner from another tenant: %v", err)
		}
		if n := len(names(t, h, f.Admin, all)); n != 4 {
			t.Errorf("refused creations stored contacts: %d listed", n)
		}
		// The manual channel is not among the channels admins bind.
		chs, err := h.Channels.List(ctx, f.Admin.TenantID)
		if err != nil || len(chs) != 1 || chs[0].ID != f.Channel.ID {
			t.Errorf("channels listed: %+v, %v", chs, err)
		}
		if _, err := h.Contacts.Card(ctx, other.Admin.TenantID, zhang.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant reads a hand-entered contact: %v", err)
		}
	})
}
