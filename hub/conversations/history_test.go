package conversations_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// Categories are unique per tenant; closing with one files the
// conversation under it, and deleting it leaves the conversation without.
func TestCategories(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		other := x.NewTenant(t)
		cats := conversations.NewCategories(x.K)
		for _, n := range []string{"投诉", "咨询"} {
			if _, err := cats.Create(ctx, tid, n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cats.Create(ctx, tid, " 投诉 "); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("duplicate category: %v", err)
		}
		if _, err := cats.Create(ctx, tid, " "); !isInvalid(err) {
			t.Fatalf("empty category: %v", err)
		}
		foreign, _ := cats.Create(ctx, other.Admin.TenantID, "投诉")
		list, _ := cats.List(ctx, tid)
		if len(list) != 2 {
			t.Fatalf("categories %+v", list)
		}
		cat := list[0]
		if cat.Name != "咨询" {
			cat = list[1]
		}
		r := x.ingest(t, x.f.Channel, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}})
		closeWith := func(id string) error {
			return x.K.Write(ctx, func(tx *store.Tx) error {
				if err := conversations.CheckCategory(ctx, tx, tid, id); err != nil {
					return err
				}
				c, err := x.s.Lock(ctx, tx, x.f.Admin, r.ConversationID)
				if err != nil {
					return err
				}
				return conversations.CloseLocked(ctx, tx, c, x.f.Admin.ID, conversations.Closing{Reason: "ok", CategoryID: id})
			})
		}
		if err := closeWith(foreign.ID); !isInvalid(err) {
			t.Fatalf("another tenant's category: %v", err)
		}
		if err := closeWith(cat.ID); err != nil {
			t.Fatal(err)
		}
		list2, _ := x.s.List(ctx, x.f.Admin, conversations.Filter{Status: "all", CategoryID: cat.ID})
		if len(list2) != 1 || list2[0].ID != r.ConversationID {
			t.Fatalf("by category: %+v", list2)
		}
		if err := cats.Delete(ctx, tid, cat.ID); err != nil {
			t.Fatal(err)
		}
		if c, _ := x.s.Get(ctx, x.f.Admin, r.ConversationID); c.CategoryID != nil {
			t.Fatalf("category %v kept after delete", *c.CategoryID)
		}
		if err := cats.Delete(ctx, tid, cat.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if err := cats.Delete(ctx, tid, foreign.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("delete another tenant's: %v", err)
		}
	})
}

// List filters by status, contact and text (wildcards match themselves)
// and pages with a cursor that neither repeats nor skips.
func TestListFiltersAndPaging(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		convOf := map[string]string{}
		for i, c := range []struct{ name, email, text string }{
			{"张三", "ZS@x.test", "我要退款"}, {"Li_Si", "", "invoice 100%"}, {"LiXSi", "", "invoice 1000"},
			{"Wang%Wu", "", "hello"}, {"赵六", "", "hello"}, {"孙七", "", "hello"}, {"周八", "", "hello"},
		} {
			r := x.ingest(t, x.f.Channel, fmt.Sprint("m", i), hub.Inbound{Text: c.text,
				Contact: hub.ContactInfo{ExternalID: fmt.Sprint("u", i), Name: c.name, Email: c.email}})
			convOf[c.name] = r.ConversationID
			if i%2 == 0 {
				x.clk.Add(time.Second) // some share their updated_at, some do not
			}
		}
		x.K.Write(ctx, func(tx *store.Tx) error {
			c, _ := x.s.LockByID(ctx, tx, convOf["周八"])
			return conversations.CloseLocked(ctx, tx, c, "", conversations.Closing{})
		})
		names := func(f conversations.Filter) (string, error) {
			cs, err := x.s.List(ctx, x.f.Admin, f)
			var ns []string
			for _, c := range cs {
				ns = append(ns, c.Contact.Name)
			}
			sort.Strings(ns)
			return fmt.Sprint(ns), err
		}
		for _, c := range []struct {
			f    conversations.Filter
			want string
		}{
			{conversations.Filter{Status: hub.ConvClosed}, "[周八]"},
			{conversations.Filter{Contact: "li_"}, "[Li_Si]"},
			{conversations.Filter{Contact: "%"}, "[Wang%Wu]"},
			{conversations.Filter{Contact: "zs@X"}, "[张三]"},
			{conversations.Filter{Q: "INVOICE 100%"}, "[Li_Si]"},
			{conversations.Filter{Q: "invoice"}, "[LiXSi Li_Si]"},
			{conversations.Filter{Q: "退款"}, "[张三]"},
			{conversations.Filter{Q: "hello", Status: "all"}, "[Wang%Wu 周八 孙七 赵六]"},
			{conversations.Filter{Q: "hello"}, "[Wang%Wu 孙七 赵六]"},
			{conversations.Filter{ChannelID: "ch_other"}, "[]"},
		} {
			if got, err := names(c.f); err != nil || got != c.want {
				t.Errorf("List(%+v) = %s, %v; want %s", c.f, got, err, c.want)
			}
		}
		if _, err := x.s.List(ctx, x.f.Admin, conversations.Filter{Status: "pending"}); !isInvalid(err) {
			t.Errorf("unknown status: %v", err)
		}
		if _, err := x.s.List(ctx, x.f.Admin, conversations.Filter{Before: "cv_nope"}); !isInvalid(err) {
			t.Errorf("unknown cursor: %v", err)
		}
		all, _ := x.s.List(ctx, x.f.Admin, conversations.Filter{Status: "all"})
		var paged []string
		for before := ""; ; {
			page, err := x.s.List(ctx, x.f.Admin, conversations.Filter{Status: "all", Limit: 2, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				paged = append(paged, c.ID)
			}
			before = page[len(page)-1].ID
		}
		var want []string
		for _, c := range all {
			want = append(want, c.ID)
		}
		if len(all) != 7 || fmt.Sprint(paged) != fmt.Sprint(want) {
			t.Fatalf("paged %v, want %v", paged, want)
		}
	})
}

// A plain agent sees only their own conversations: another agent's does
// not exist for them, whatever they ask.
func TestVisibility(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		a, b, sup := x.agent(t, hub.RoleAgent), x.agent(t, hub.RoleAgent), x.agent(t, hub.RoleSupervisor)
		cards := conversations.NewCards(x.K, x.Contacts)
		r := x.ingest(t, x.f.Channel, "m1", hub.Inbound{Contact: hub.ContactInfo{ExternalID: "u1"}})
		if err := x.K.Write(ctx, func(tx *store.Tx) error {
			c, err := x.s.LockByID(ctx, tx, r.ConversationID)
			if err == nil {
				err = conversations.Take(ctx, tx, c, b.ID, nil)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		conv, _ := x.s.Get(ctx, b, r.ConversationID)
		notFound := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("%s by another agent: %v, want ErrNotFound", what, err)
			}
		}
		_, err := x.s.Get(ctx, a, r.ConversationID)
		notFound("Get", err)
		_, err = x.s.Messages(ctx, a, r.ConversationID, 0, 10)
		notFound("Messages", err)
		_, err = x.s.SendReply(ctx, a, r.ConversationID, conversations.Reply{Content: "hi"})
		notFound("SendReply", err)
		_, err = x.s.AddNote(ctx, a, r.ConversationID, "note")
		notFound("AddNote", err)
		notFound("RequestRating", x.s.RequestRating(ctx, a, r.ConversationID))
		_, err = cards.Get(ctx, a, conv.ContactID)
		notFound("Card", err)
		_, err = x.s.Get(ctx, x.NewTenant(t).Admin, r.ConversationID)
		notFound("Get by another tenant's admin", err)
		for _, f := range []conversations.Filter{{}, {Assignee: b.ID}, {Status: "all"}} {
			if l, _ := x.s.List(ctx, a, f); len(l) != 0 {
				t.Errorf("List(%+v) by another agent shows %d", f, len(l))
			}
		}
		if _, err := x.s.List(ctx, a, conversations.Filter{Before: r.ConversationID}); !isInvalid(err) {
			t.Errorf("another agent's conversation as a cursor: %v", err)
		}
		for _, who := range []*hub.Agent{b, sup, x.f.Admin} {
			if _, err := x.s.Get(ctx, who, r.ConversationID); err != nil {
				t.Errorf("%s: %v", who.Role, err)
			}
			if l, _ := x.s.List(ctx, who, conversations.Filter{}); len(l) != 1 {
				t.Errorf("%s lists %d", who.Role, len(l))
			}
			if _, err := cards.Get(ctx, who, conv.ContactID); err != nil {
				t.Errorf("%s reads the card: %v", who.Role, err)
			}
		}
		if _, err := cards.Update(ctx, b, conv.ContactID, contacts.Patch{Name: ptr("王五")}); err != nil {
			t.Fatal(err)
		}
	})
}
