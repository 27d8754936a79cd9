package contacts_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
)

// The customer search finds, through its indexes, exactly the contacts a
// plain substring match over every field and handle finds — for texts of
// one, two, three and more characters, common and rare ones, whichever
// way a contact was written (entered by hand, from a channel, edited, given
// or stripped of handles, merged, unmerged, imported, written by plain
// SQL), and with the index used or bypassed.
func TestSearchMatchesEveryWrite(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		rng := rand.New(rand.NewSource(15))
		const han = "张王李赵刘陈杨黄周吴伟芳娜敏静丽强磊军洋华为科技有限公司"
		word := func(n int) string {
			r := []rune(han)
			var b strings.Builder
			for range n {
				b.WriteRune(r[rng.Intn(len(r))])
			}
			return b.String()
		}
		var ids []string
		for i := range 60 {
			p := contacts.Patch{Name: ptr(word(2 + i%2)), Phone: ptr(fmt.Sprintf("1%02d%08d", 30+i%9, rng.Intn(1e8)))}
			switch i % 4 {
			case 0:
				p.Email = ptr(fmt.Sprintf("User%d@Example.COM", i))
				p.QQ = ptr(fmt.Sprint(10000 + rng.Intn(90000)))
			case 1:
				p.Company = ptr(word(4))
				p.Tags = &[]string{word(2), "VIP"}
			case 2:
				p.WeChat = ptr(fmt.Sprintf("wx_%s_%d", word(1), i))
				p.Custom = &map[string]string{"会员号": fmt.Sprintf("M-%d", i)}
			}
			c, err := h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		for i := range 15 {
			c := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: fmt.Sprintf("openid_%d", i), Name: word(2), Email: fmt.Sprintf("c%d@qq.com", i)})
			ids = append(ids, c.ID)
		}
		upsert(t, h, other.Channel, hub.ContactInfo{ExternalID: "o1", Name: "张伟", Phone: "13000000000"})

		// texts: pieces of every length cut from what was stored (80 of
		// them), and some never stored
		texts := func() []string {
			var all []string
			for _, id := range ids {
				c, err := h.Contacts.Card(ctx, f.Admin.TenantID, id)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{c.Name, c.Phone, c.Email, c.Company, c.QQ, c.WeChat, c.ExternalID} {
					if r := []rune(s); len(r) > 0 {
						n := 1 + rng.Intn(min(len(r), 6))
						at := rng.Intn(len(r) - n + 1)
						all = append(all, string(r[at:at+n]))
					}
				}
			}
			rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			return append(all[:80], "伟", "张伟", "vip", "EXAMPLE", "m-1", "_", "%", "@", "nobody", "丽丽丽", "99999", "qq.c", "openid_1")
		}
		// want is the plain match, by the condition alone (no index narrows it)
		want := func(text string) []string {
			tx := strings.ToLower(text)
			p := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(tx) + "%"
			var out []string
			err := h.K.Select(ctx, &out, `SELECT id FROM contacts WHERE tenant_id = ? AND merged_into IS NULL AND
				(LOWER(name || '\x01' || email || '\x01' || phone || '\x01' || company || '\x01' || external_id || '\x01' ||
				tags || '\x01' || custom) LIKE ? ESCAPE '\' OR id IN (SELECT contact_id FROM contact_handles
				WHERE tenant_id = ? AND LOWER(handle) LIKE ? ESCAPE '\')) ORDER BY id`, f.Admin.TenantID, p, f.Admin.TenantID, p)
			if err != nil {
				t.Fatal(err)
			}
			return append([]string{}, out...)
		}
		checks := 0
		check := func(stage string) {
			t.Helper()
			for _, common := range []int{1, 5000} {
				undo := contacts.SetCommon(common)
				for _, text := range texts() {
					for _, sort := range []string{"", "name"} {
						p, err := h.Contacts.Search(ctx, f.Admin, contacts.Query{Text: text, Sort: sort, Limit: 200})
						if err != nil {
							t.Fatal(err)
						}
						got := []string{}
						for _, c := range p.Contacts {
							got = append(got, c.ID)
						}
						slices.Sort(got)
						if w := want(text); !slices.Equal(got, w) {
							t.Errorf("%s: search %q (sort %q, common %d): %d contacts, want %d", stage, text, sort, common, len(got), len(w))
						}
						checks++
					}
				}
				undo()
			}
		}
		check("created")
		if n := len(want("张伟")) + len(want("伟")); n == 0 {
			t.Fatal("the generated contacts hold no 伟: the test checks nothing")
		}

		// edits: new names and handles found, old ones gone
		for i, id := range ids[:20] {
			p := contacts.Patch{Name: ptr("改名" + word(2)), QQ: ptr(""), WeChat: ptr(fmt.Sprintf("new_wx_%d", i))}
			if i%2 == 0 {
				p.Company = ptr("新公司" + word(2))
				p.Tags = &[]string{"老客户"}
			}
			err := h.K.Write(ctx, func(tx *store.Tx) error { _, err := contacts.UpdateCard(ctx, tx, f.Admin.TenantID, id, p); return err })
			if err != nil {
				t.Fatal(err)
			}
		}
		check("edited")
		if got := want("new_wx_3"); len(got) != 1 || got[0] != ids[3] {
			t.Fatalf("edited handle: %v", got)
		}

		// merges and an unmerge
		var last *contacts.Merge
		for i := 20; i < 30; i += 2 {
			m, err := h.Contacts.MergeInto(ctx, f.Admin, ids[i], ids[i+1])
			if err != nil {
				t.Fatal(err)
			}
			last = m
		}
		check("merged")
		if _, err := h.Contacts.Unmerge(ctx, f.Admin, last.ID); err != nil {
			t.Fatal(err)
		}
		check("unmerged")

		// an import, and writes by plain SQL (as migrations and tools do)
		csv := "name,phone,email\n导入客户甲,13911112222,imp1@example.com\n导入客户乙,13933334444,imp2@example.com\n"
		if rep, err := h.Contacts.Import(ctx, f.Admin, strings.NewReader(csv), sheet.CSV, false); err != nil || rep.Created != 2 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		if _, err := h.K.Exec(ctx, `UPDATE contacts SET phone = '18600000001' WHERE id = ?`, ids[40]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.K.Exec(ctx, `DELETE FROM contact_handles WHERE contact_id = ?`, ids[0]); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ids[40]) // cut texts from it twice
		check("imported")
		for _, q := range []struct{ text, name string }{{"导入客户乙", "导入客户乙"}, {"客户甲", "导入客户甲"}, {"18600000001", ""}} {
			got := names(t, h, f.Admin, contacts.Query{Text: q.text})
			if len(got) != 1 || (q.name != "" && got[0] != q.name) {
				t.Errorf("search %q: %v", q.text, got)
			}
		}
		if got := names(t, h, other.Admin, contacts.Query{Text: "张伟"}); !slices.Equal(got, []string{"张伟"}) {
			t.Errorf("the other tenant searching 张伟: %v", got)
		}
		t.Logf("%d searches compared", checks)
	})
}
