package contacts_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
)

// Blocking is checked inside the ingest transaction, lasts until unblocked,
// and blocking twice keeps the first entry.
func TestBlacklist(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		bad := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "spam", Name: "广告"})
		upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "good"})
		block := func(reason string) (*contacts.Blocked, error) {
			var b *contacts.Blocked
			err := h.K.Write(ctx, func(tx *store.Tx) error {
				var err error
				b, err = contacts.Block(ctx, tx, f.Admin.TenantID, f.Channel.ID, bad.ID, reason, f.Admin.ID)
				return err
			})
			return b, err
		}
		blocked := func(ext string) bool {
			var yes bool
			if err := h.K.Write(ctx, func(tx *store.Tx) error {
				k, err := contacts.Lookup(ctx, tx, f.Channel.ID, []string{ext})
				yes = k.Blocked[ext]
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return yes
		}
		if _, err := block(strings.Repeat("x", 501)); !isInvalid(err) {
			t.Fatalf("long reason: %v", err)
		}
		e, err := block("广告")
		if err != nil || e.ContactID != bad.ID || e.Name != "广告" || e.ExternalID != "spam" || e.CreatedBy != f.Admin.ID {
			t.Fatalf("block: %+v, %v", e, err)
		}
		if again, err := block("again"); err != nil || again.ID != e.ID || again.Reason != "广告" {
			t.Fatalf("block twice: %+v, %v; want the first entry", again, err)
		}
		if !blocked("spam") || blocked("good") || blocked("unknown") {
			t.Fatal("IsBlocked: want only spam blocked")
		}
		if list, _ := h.Contacts.Blacklist(ctx, f.Admin.TenantID, 0); len(list) != 1 || list[0].ID != e.ID {
			t.Fatalf("blacklist %+v", list)
		}
		if list, _ := h.Contacts.Blacklist(ctx, other.Admin.TenantID, 0); len(list) != 0 {
			t.Fatalf("another tenant's blacklist %+v", list)
		}
		if err := h.Contacts.Unblock(ctx, other.Admin.TenantID, e.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant unblocks: %v", err)
		}
		if err := h.Contacts.Unblock(ctx, f.Admin.TenantID, e.ID); err != nil {
			t.Fatal(err)
		}
		if blocked("spam") {
			t.Fatal("still blocked after Unblock")
		}
		if err := h.Contacts.Unblock(ctx, f.Admin.TenantID, e.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("unblock twice: %v", err)
		}
	})
}

// Matching finds a tenant's contacts by name, email or phone, any case, with
// the LIKE wildcards of the search matching themselves.
func TestMatching(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		for i, info := range []hub.ContactInfo{
			{Name: "50% off"}, {Name: "500 off"}, {Name: "a_b"}, {Name: "axb"}, {Name: `back\slash`}, {Name: "backxslash"},
			{Name: "Zhang", Email: "Zhang@Example.COM"}, {Name: "Li", Phone: "+86 138-0013"},
		} {
			info.ExternalID = fmt.Sprint("u", i)
			upsert(t, h, f.Channel, info)
		}
		upsert(t, h, other.Channel, hub.ContactInfo{ExternalID: "x", Name: "a_b"})
		for _, c := range []struct{ search, want string }{
			{"50%", "[50% off]"},
			{"a_b", "[a_b]"},
			{`k\s`, `[back\slash]`},
			{"example.com", "[Zhang]"},
			{"ZHANG", "[Zhang]"},
			{"138-00", "[Li]"},
			{"off", "[50% off 500 off]"},
			{"nobody", "[]"},
		} {
			sub, args := contacts.Matching(f.Admin.TenantID, store.Like(c.search))
			var names []string
			if err := h.K.Select(ctx, &names, `SELECT name FROM contacts WHERE id IN (`+sub+`)`, args...); err != nil {
				t.Fatal(err)
			}
			sort.Strings(names) // in Go: collations differ
			if fmt.Sprint(names) != c.want {
				t.Errorf("search %q found %v, want %s", c.search, names, c.want)
			}
		}
	})
}
