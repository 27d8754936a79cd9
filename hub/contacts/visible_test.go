package contacts_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// Every way of reading the customer list gives the page the plain query
// gives — visibility written out (an agent: own contacts, those of their
// conversations and the survivors of those merged away; a supervisor, in
// addition, their groups' members' and conversations'; an admin: all),
// the text a plain substring match — page by page, for every sort, text
// and filter, whether a plain agent's list is read from their own contacts
// (PostgreSQL; with the list's first contacts searched for the page first,
// or not, or, for a common text, the agent's owned matches read through
// their index without that search) or by walking the tenant's list, and search texts matched either
// way.
func TestListPlansAgree(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		var groups []string
		for _, g := range []string{"售后", "售前"} {
			gr, err := h.Identity.Groups.Create(ctx, f.Admin.TenantID, identity.GroupPatch{Name: ptr(g)})
			if err != nil {
				t.Fatal(err)
			}
			groups = append(groups, gr.ID)
		}
		newAgent := func(email string, role hub.Role, group string) *hub.Agent {
			a, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: email,
				Password: "password1", Role: role, Groups: []string{group}})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		li, zhao := newAgent("li@t.test", hub.RoleAgent, "售后"), newAgent("zhao@t.test", hub.RoleAgent, "售后")
		wang, boss := newAgent("wang@t.test", hub.RoleAgent, "售前"), newAgent("boss@t.test", hub.RoleSupervisor, "售后")
		staff := []*hub.Agent{li, zhao, wang, boss, nil}

		rng := rand.New(rand.NewSource(7))
		const han = "张王李赵刘陈伟芳娜敏静丽强华为科技"
		word := func(n int) string {
			r := []rune(han)
			var b strings.Builder
			for range n {
				b.WriteRune(r[rng.Intn(len(r))])
			}
			return b.String()
		}
		var cs []*hub.Contact
		for i := range 90 {
			if i%3 != 0 {
				clk.Add(time.Second) // every third shares its second: ties broken by id
			}
			owner := staff[rng.Intn(len(staff))]
			p := contacts.Patch{Name: ptr(word(2 + i%2)), Phone: ptr(fmt.Sprintf("139%08d", rng.Intn(1e8))), OwnerID: ptr("")}
			if owner != nil {
				p.OwnerID = &owner.ID
			}
			if i%4 == 0 {
				p.Tags = &[]string{"VIP"}
				p.Custom = &map[string]string{"level": "金卡"}
			}
			if i%5 == 0 {
				p.WeChat = ptr("wx_" + word(1))
			}
			c, err := h.Contacts.Create(ctx, f.Admin.TenantID, "", p)
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, &hub.Contact{ID: c.ID, TenantID: c.TenantID, ChannelID: c.ChannelID, CreatedAt: c.CreatedAt})
			if i%7 == 0 {
				if _, err := h.K.Exec(ctx, `UPDATE contacts SET next_followup_at = ? WHERE id = ?`, clk.Now(), c.ID); err != nil {
					t.Fatal(err)
				}
			}
			if i%3 == 1 {
				converse(t, h, cs[i], staff[rng.Intn(len(staff))], groups[rng.Intn(2)], clk.Now())
			}
		}
		upsert(t, h, other.Channel, hub.ContactInfo{ExternalID: "o1", Name: "张伟"})
		// merged contacts whose conversations li or zhao held: their
		// survivors are in that agent's list
		for i := 0; i < 12; i += 2 {
			converse(t, h, cs[40+i], []*hub.Agent{li, zhao}[i%4/2], "", clk.Now())
			if _, err := h.Contacts.MergeInto(ctx, f.Admin, cs[41+i].ID, cs[40+i].ID); err != nil {
				t.Fatal(err)
			}
		}
		// contacts.updated_at order, unlike created, differs from the ids'
		for range 20 {
			clk.Add(time.Second)
			if _, err := h.K.Exec(ctx, `UPDATE contacts SET updated_at = ? WHERE id = ?`, clk.Now(), cs[rng.Intn(len(cs))].ID); err != nil {
				t.Fatal(err)
			}
		}

		// want is the page of the plain query
		want := func(a *hub.Agent, q contacts.Query) []string {
			vis, args := `TRUE`, []any{f.Admin.TenantID}
			mine := `SELECT contact_id FROM conversations WHERE assignee_id = ?`
			switch a.Role {
			case hub.RoleAgent:
				vis = `(owner_id = ? OR id IN (` + mine + `) OR id IN (SELECT merged_into FROM contacts WHERE id IN (` + mine + `)))`
				args = append(args, a.ID, a.ID, a.ID)
			case hub.RoleSupervisor:
				members := `SELECT agent_id FROM group_members WHERE group_id IN (SELECT group_id FROM group_members WHERE agent_id = ?)`
				vis = `(owner_id = ? OR owner_id IN (` + members + `) OR id IN (SELECT contact_id FROM conversations WHERE
					assignee_id = ? OR assignee_id IN (` + members + `) OR group_id IN (SELECT group_id FROM group_members WHERE agent_id = ?)))`
				args = append(args, a.ID, a.ID, a.ID, a.ID, a.ID)
			}
			sql := `SELECT id FROM contacts WHERE tenant_id = ? AND merged_into IS NULL AND ` + vis
			if t := strings.ToLower(q.Text); t != "" {
				p := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
				sql += ` AND (LOWER(name || '\x01' || email || '\x01' || phone || '\x01' || company || '\x01' || external_id ||
					'\x01' || tags || '\x01' || custom) LIKE ? ESCAPE '\' OR id IN (SELECT contact_id FROM contact_handles WHERE LOWER(handle) LIKE ? ESCAPE '\'))`
				args = append(args, p, p)
			}
			if q.Tag != "" {
				sql, args = sql+` AND tags LIKE ?`, append(args, `%"`+q.Tag+`"%`)
			}
			if q.Owner != "" {
				sql, args = sql+` AND owner_id = ?`, append(args, q.Owner)
			}
			if q.Field != "" {
				sql += ` AND id IN (SELECT contact_id FROM contact_field_values WHERE field = ? AND value = ?)`
				args = append(args, q.Field, q.FieldValue)
			}
			if q.DueBy != nil {
				sql, args = sql+` AND next_followup_at <= ?`, append(args, *q.DueBy)
			}
			if q.CreatedFrom != nil {
				sql, args = sql+` AND created_at >= ?`, append(args, *q.CreatedFrom)
			}
			if q.CreatedTo != nil {
				sql, args = sql+` AND created_at < ?`, append(args, *q.CreatedTo)
			}
			order := map[string]string{"": "created_at DESC, id DESC", "created_asc": "created_at, id",
				"updated": "updated_at DESC, id DESC", "name": "name, id"}[q.Sort]
			var out []string
			if err := h.K.Select(ctx, &out, sql+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...); err != nil {
				t.Fatal(err)
			}
			return append([]string{}, out...)
		}
		due := clk.Now()
		var queries []contacts.Query
		sorts := []string{"", "created_asc", "updated", "name"}
		for i, text := range []string{"", "张", "伟", "王芳", "139", "vip", "wx_", "金卡", "nobody"} {
			queries = append(queries, contacts.Query{Text: text, Sort: sorts[i%4]}, contacts.Query{Text: text, Sort: sorts[(i+1)%4]})
		}
		queries = append(queries, contacts.Query{Tag: "VIP"}, contacts.Query{Owner: li.ID}, contacts.Query{Owner: zhao.ID, Text: "张"},
			contacts.Query{Field: "level", FieldValue: "金卡"}, contacts.Query{Field: "level", FieldValue: "金卡", Sort: "name"},
			contacts.Query{DueBy: &due, Text: "1"})
		// created in the list's middle third, and up to its last third
		mid, late := cs[30].CreatedAt, cs[60].CreatedAt
		queries = append(queries, contacts.Query{CreatedFrom: &mid, CreatedTo: &late},
			contacts.Query{CreatedFrom: &mid, CreatedTo: &late, Text: "张", Sort: "name"},
			contacts.Query{CreatedTo: &late, Sort: "created_asc"}, contacts.Query{CreatedFrom: &late, Owner: li.ID})
		type plan struct{ few, probe, common, own int }
		var plans []plan
		for _, p := range []plan{{0, 0, 0, 0}, {1 << 30, 20000, 0, 0}, {1 << 30, 5, 0, 0}, {1 << 30, 5, 0, 1 << 30}} {
			for _, common := range []int{1, 5000} {
				p.common = common
				plans = append(plans, p)
			}
		}
		compared, seen := 0, map[string]int{}
		for _, a := range []*hub.Agent{li, zhao, wang, boss, f.Admin} {
			for _, q := range queries {
				for q.Limit, q.Offset = 7, 0; q.Offset < 21; q.Offset += 14 {
					w := want(a, q)
					seen[a.Email] += len(w)
					for _, pl := range plans {
						undo, undoCommon, undoOwn := contacts.SetFew(pl.few, pl.probe), contacts.SetCommon(pl.common), contacts.SetFewOwn(pl.own)
						p, err := h.Contacts.Search(ctx, a, q)
						undo()
						undoCommon()
						undoOwn()
						if err != nil {
							t.Fatal(err)
						}
						got := []string{}
						for _, c := range p.Contacts {
							got = append(got, c.ID)
						}
						if !slices.Equal(got, w) {
							t.Errorf("%s, plan %+v, %+v: %v, want %v", a.Email, pl, q, got, w)
						}
						compared++
					}
				}
			}
		}
		for _, a := range []*hub.Agent{li, zhao, wang, boss, f.Admin} {
			if seen[a.Email] == 0 {
				t.Errorf("%s saw nothing: the test compares empty pages", a.Email)
			}
		}
		t.Logf("%d pages compared (%v contacts listed by each)", compared, seen)
	})
}

// A plain agent's search follows the conversations and the customers as
// they change, whichever way the list is read: a customer renamed is found
// by the new name and no longer the old; a conversation moved to another
// agent takes its customer out of the first agent's list (unless another
// of their conversations keeps it) and into the other's; a customer merged
// away shows its survivor; a queued conversation's customer appears once
// the conversation is assigned and leaves when it is deleted.
func TestAgentSearchFollowsChanges(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		newAgent := func(email string) *hub.Agent {
			a, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: email, Password: "password1",
				Role: hub.RoleAgent})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		li, zhao := newAgent("li@t.test"), newAgent("zhao@t.test")
		mk := func(name string) *hub.Contact {
			clk.Add(time.Second)
			c, err := h.Contacts.Create(ctx, f.Admin.TenantID, "", contacts.Patch{Name: ptr(name), OwnerID: ptr("")})
			if err != nil {
				t.Fatal(err)
			}
			return &hub.Contact{ID: c.ID, TenantID: c.TenantID, ChannelID: c.ChannelID}
		}
		alice, bob, survivor := mk("旧名甲"), mk("旧名乙"), mk("合并后丙")
		converse(t, h, alice, li, "", clk.Now())
		converse(t, h, bob, li, "", clk.Now())
		converse(t, h, bob, li, "", clk.Now())
		search := func(a *hub.Agent, text string) []string {
			t.Helper()
			var first []string
			// the plain walk, and (PostgreSQL) the agent's contacts read
			// from their owner and conversations
			for i, few := range []int{0, 1 << 30} {
				undo, undoCommon, undoOwn := contacts.SetFew(few, 0), contacts.SetCommon(1), contacts.SetFewOwn(1<<30)
				p, err := h.Contacts.Search(ctx, a, contacts.Query{Text: text})
				undo()
				undoCommon()
				undoOwn()
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, c := range p.Contacts {
					ids = append(ids, c.ID)
				}
				if i == 0 {
					first = ids
				} else if !slices.Equal(ids, first) {
					t.Fatalf("%s searching %q: %v read from their contacts, %v walking the list", a.Email, text, ids, first)
				}
			}
			return first
		}
		if got := search(li, "旧名"); !slices.Equal(got, []string{bob.ID, alice.ID}) {
			t.Fatalf("li finds %v, want bob and alice", got)
		}
		err := h.K.Write(ctx, func(tx *store.Tx) error {
			_, err := contacts.UpdateCard(ctx, tx, f.Admin.TenantID, alice.ID, contacts.Patch{Name: ptr("新名甲")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := search(li, "新名"); !slices.Equal(got, []string{alice.ID}) {
			t.Fatalf("li searching the new name finds %v", got)
		}
		if got := search(li, "旧名"); !slices.Equal(got, []string{bob.ID}) {
			t.Fatalf("li searching the old name finds %v, want bob alone", got)
		}
		// move alice's conversation and one of bob's two to zhao
		for _, c := range []*hub.Contact{alice, bob} {
			if _, err := h.K.Exec(ctx, `UPDATE conversations SET assignee_id = ? WHERE id = (SELECT MIN(id) FROM conversations
				WHERE contact_id = ?)`, zhao.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got := search(li, "名"); !slices.Equal(got, []string{bob.ID}) {
			t.Fatalf("li after the transfers finds %v, want bob (one conversation left)", got)
		}
		if got := search(zhao, "名"); !slices.Equal(got, []string{bob.ID, alice.ID}) {
			t.Fatalf("zhao after the transfers finds %v", got)
		}
		// a conversation waiting in the queue is nobody's until it is
		// assigned, and a deleted one takes its customer out again
		queued := mk("排队丁")
		converse(t, h, queued, nil, "", clk.Now())
		if got := search(li, "排队"); len(got) != 0 {
			t.Fatalf("li finds the customer of an unassigned conversation: %v", got)
		}
		if _, err := h.K.Exec(ctx, `UPDATE conversations SET assignee_id = ? WHERE contact_id = ?`, li.ID, queued.ID); err != nil {
			t.Fatal(err)
		}
		if got := search(li, "排队"); !slices.Equal(got, []string{queued.ID}) {
			t.Fatalf("li after the queued conversation was assigned finds %v", got)
		}
		if _, err := h.K.Exec(ctx, `DELETE FROM conversations WHERE contact_id = ?`, queued.ID); err != nil {
			t.Fatal(err)
		}
		if got := search(li, "排队"); len(got) != 0 {
			t.Fatalf("li after the conversation was deleted finds %v", got)
		}
		if _, err := h.Contacts.MergeInto(ctx, f.Admin, survivor.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if got := search(li, "合并后"); !slices.Equal(got, []string{survivor.ID}) {
			t.Fatalf("li after bob was merged finds %v, want the survivor", got)
		}
		if got := search(li, "旧名"); len(got) != 0 {
			t.Fatalf("li finds the merged contact: %v", got)
		}
	})
}
