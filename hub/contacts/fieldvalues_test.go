package contacts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
)

// The custom field filter (a select's value, one of a multi select's
// values) finds, through its index or walking the list, exactly the
// contacts whose stored JSON holds the value — for an admin and for an
// agent, who still sees only their own customers — whichever way the
// values were written: entered, edited, merged, unmerged, imported, or by
// plain SQL (an update, a delete), and never another tenant's; values too
// long for the index (a text field's 1,000 characters) are found too.
func TestFieldFilterMatchesEveryWrite(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		defineFields(t, h, f.Admin.TenantID)
		defineFields(t, h, other.Admin.TenantID)
		li, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: "li@t.test", Password: "password1",
			Role: hub.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		levels, hobbies := []string{"金卡", "银卡"}, []string{"", "读书", "篮球", "读书,篮球", "篮球,读书"}
		var lb strings.Builder // more than an index entry holds, and not compressible
		for i := range 1000 {
			lb.WriteRune(rune(0x4e00 + i*7919%20000))
		}
		long := lb.String()
		var ids []string
		for i := range 40 {
			p := contacts.Patch{Name: ptr(fmt.Sprintf("客户%02d", i)),
				Custom: &map[string]string{"level": levels[i%3%2], "hobbies": hobbies[i%5]}}
			if i%4 == 0 {
				p.OwnerID = &li.ID
			}
			if i%7 == 0 {
				(*p.Custom)["memo"] = long
			}
			clk.Add(1e9)
			c, err := h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		if _, err := h.Contacts.Create(ctx, other.Admin.TenantID, other.Admin.ID, contacts.Patch{Name: ptr("别家"),
			Custom: &map[string]string{"level": "金卡", "hobbies": "读书"}}); err != nil {
			t.Fatal(err)
		}
		// want is the plain match, read from each contact's stored JSON
		want := func(a *hub.Agent, field, value string) []string {
			var rows []struct {
				ID     string `db:"id"`
				Custom string `db:"custom"`
			}
			if err := h.K.Select(ctx, &rows, `SELECT id, custom FROM contacts WHERE tenant_id = ? AND merged_into IS NULL`,
				f.Admin.TenantID); err != nil {
				t.Fatal(err)
			}
			visible := map[string]bool{}
			p, err := h.Contacts.Search(ctx, a, contacts.Query{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Contacts {
				visible[c.ID] = true
			}
			out := []string{}
			for _, r := range rows {
				var m map[string]string
				if err := json.Unmarshal([]byte(r.Custom), &m); err != nil {
					t.Fatal(err)
				}
				if v, ok := m[field]; ok && slices.Contains(strings.Split(v, ","), value) && visible[r.ID] {
					out = append(out, r.ID)
				}
			}
			slices.Sort(out)
			return out
		}
		checks, found := 0, 0
		check := func(stage string) {
			t.Helper()
			for _, common := range []int{1, 5000} {
				undo := contacts.SetCommon(common)
				for _, a := range []*hub.Agent{f.Admin, li} {
					for _, q := range [][2]string{{"level", "金卡"}, {"level", "银卡"}, {"level", "金"}, {"hobbies", "读书"},
						{"hobbies", "篮球"}, {"hobbies", "读书,篮球"}, {"hobbies", ""}, {"budget", "1"},
						{"memo", long}, {"memo", long[:600]}} {
						for _, sort := range []string{"", "name"} {
							p, err := h.Contacts.Search(ctx, a, contacts.Query{Field: q[0], FieldValue: q[1], Sort: sort, Limit: 200})
							if err != nil {
								t.Fatal(err)
							}
							got := []string{}
							for _, c := range p.Contacts {
								got = append(got, c.ID)
							}
							slices.Sort(got)
							if w := want(a, q[0], q[1]); !slices.Equal(got, w) {
								t.Errorf("%s: %s=%q for %s (sort %q, common %d): %d contacts, want %d", stage, q[0], q[1], a.Role,
									sort, common, len(got), len(w))
							}
							checks, found = checks+1, found+len(got)
						}
					}
				}
				undo()
			}
		}
		check("created")
		if n := len(want(li, "level", "金卡")); n == 0 || n == len(want(f.Admin, "level", "金卡")) {
			t.Fatalf("the agent sees %d of the 金卡 customers: the visibility rule is not tested", n)
		}

		for i, id := range ids[:10] {
			p := contacts.Patch{Custom: &map[string]string{"level": levels[(i+1)%2], "hobbies": hobbies[(i+2)%5]}}
			err := h.K.Write(ctx, func(tx *store.Tx) error { _, err := contacts.UpdateCard(ctx, tx, f.Admin.TenantID, id, p); return err })
			if err != nil {
				t.Fatal(err)
			}
		}
		check("edited")
		var last *contacts.Merge
		for i := 10; i < 20; i += 2 {
			if last, err = h.Contacts.MergeInto(ctx, f.Admin, ids[i], ids[i+1]); err != nil {
				t.Fatal(err)
			}
		}
		check("merged")
		if _, err := h.Contacts.Unmerge(ctx, f.Admin, last.ID); err != nil {
			t.Fatal(err)
		}
		check("unmerged")
		csv := "name,会员等级,兴趣\n导入甲,金卡,\"篮球,读书\"\n导入乙,银卡,读书\n"
		if rep, err := h.Contacts.Import(ctx, f.Admin, strings.NewReader(csv), sheet.CSV, false); err != nil || rep.Created != 2 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		if _, err := h.K.Exec(ctx, `UPDATE contacts SET custom = '{"level":"金卡","hobbies":"篮球"}' WHERE id = ?`, ids[21]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.K.Exec(ctx, `UPDATE contacts SET custom = '{}' WHERE id = ?`, ids[22]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.K.Exec(ctx, `DELETE FROM contacts WHERE id = ?`, ids[23]); err != nil {
			t.Fatal(err)
		}
		// an update naming custom that leaves it as it was (the triggers
		// skip it) keeps its values; a customer created with no custom
		// fields (nothing for the triggers to keep) gets them later
		if _, err := h.K.Exec(ctx, `UPDATE contacts SET custom = custom, name = '客户24' WHERE id = ?`, ids[24]); err != nil {
			t.Fatal(err)
		}
		if r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("m-bare", "bare")})[0]; r.Err != nil {
			t.Fatal(r.Err)
		}
		if n, err := h.K.Exec(ctx, `UPDATE contacts SET custom = '{"level":"银卡","hobbies":"读书"}'
			WHERE channel_id = ? AND external_id = 'bare'`, f.Channel.ID); err != nil || n != 1 {
			t.Fatalf("the customer who wrote in: %d updated, %v", n, err)
		}
		check("imported and written by SQL")
		if got := names(t, h, other.Admin, contacts.Query{Field: "level", FieldValue: "金卡"}); !slices.Equal(got, []string{"别家"}) {
			t.Errorf("the other tenant's 金卡: %v", got)
		}
		if found == 0 {
			t.Fatal("no filter found anything")
		}
		t.Logf("%d filters compared, %d contacts found", checks, found)
	})
}
