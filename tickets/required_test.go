package tickets_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// A text value longer than 200 characters (a text field holds 1,000) is
// found by the field filter like any other, in the list and in a count,
// whether the value is rare or common; tickets whose values share their
// first 200 characters are told apart; the migration indexes the long
// values stored before it.
func TestLongFieldValuesFound(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		defineTicketFields(t, x, tid)
		off, _, _ := x.leave(x.f.Channel, "c1", "留言")
		c := mustTicket(t, x, off)
		head := strings.Repeat("长", 200)
		mk := func(order string) string {
			t.Helper()
			tk, err := x.Tickets.Create(ctx, tid, tickets.NewTicket{Subject: "长值", ContactID: c.ContactID, ChannelID: c.ChannelID,
				Fields: map[string]string{"product": "手机", "order_no": order}})
			if err != nil {
				t.Fatal(err)
			}
			return tk.ID
		}
		a, b, exact := mk(head+"甲"+strings.Repeat("x", 700)), mk(head+"乙"), mk(head)
		for _, common := range []bool{false, true} {
			if common {
				defer tickets.SetCommonValue(1)()
			}
			for _, tc := range []struct{ value, want string }{
				{head + "甲" + strings.Repeat("x", 700), a}, {head + "乙", b}, {head, exact},
				{head + "…", ""}, {head + "丙", ""}, {" " + head + "乙 ", b},
			} {
				f := tickets.Filter{Field: "order_no", FieldValue: tc.value}
				got, err := x.Tickets.List(ctx, tid, f)
				if err != nil {
					t.Fatal(err)
				}
				n, err := x.Tickets.Count(ctx, tid, f, 100)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(ids(got), ",") != tc.want || n != len(got) {
					t.Errorf("common %v: a value of %d characters lists %v (count %d), want %q", common,
						len([]rune(tc.value)), ids(got), n, tc.want)
				}
			}
		}
		if _, err := x.Tickets.List(ctx, tid, tickets.Filter{Field: "order_no", FieldValue: strings.Repeat("长", 1001)}); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("a value longer than a field holds: %v", err)
		}
		// Before the migration long values had no row: it adds theirs.
		if _, err := x.K.Exec(ctx, `DELETE FROM ticket_field_values WHERE ticket_id IN (?, ?)`, a, b); err != nil {
			t.Fatal(err)
		}
		if got, _ := x.Tickets.List(ctx, tid, tickets.Filter{Field: "order_no", FieldValue: head + "乙"}); len(got) != 0 {
			t.Fatalf("without its row the ticket is found: %v", ids(got))
		}
		raw, err := fs.ReadFile(store.Migrations(x.K.Postgres), "00055_ticket_field_values_long.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		for _, stmt := range strings.Split(up, ";") {
			if i := strings.Index(stmt, "INSERT "); i >= 0 {
				if _, err := x.K.Exec(ctx, stmt[i:]); err != nil {
					t.Fatal(err)
				}
			}
		}
		for v, want := range map[string]string{head + "乙": b, head + "甲" + strings.Repeat("x", 700): a, "手机": ""} {
			got, _ := x.Tickets.List(ctx, tid, tickets.Filter{Field: "order_no", FieldValue: v})
			if strings.Join(ids(got), ",") != want {
				t.Errorf("after the migration %d characters list %v, want %q", len([]rune(v)), ids(got), want)
			}
		}
	})
}

// A ticket made from an offline message (留言) has no form: it is made
// without its required fields, listed and shown with them missing, and
// cannot be solved or closed until an agent fills them (a conflict naming
// them); filled in the same change, it can. Pending and other changes go
// on meanwhile.
func TestOfflineTicketRequiredFields(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		defineTicketFields(t, x, tid)
		id, created, _ := x.leave(x.f.Channel, "c9", "我的手机屏幕碎了")
		if !created {
			t.Fatal("no ticket from the offline message")
		}
		tk := mustTicket(t, x, id)
		if strings.Join(tk.Missing, ",") != "product" {
			t.Fatalf("missing fields %v, want [product]", tk.Missing)
		}
		list, err := x.Tickets.List(ctx, tid, tickets.Filter{})
		if err != nil || len(list) != 1 || strings.Join(list[0].Missing, ",") != "product" {
			t.Fatalf("list: %v, %v", list, err)
		}
		for _, to := range []tickets.Status{tickets.Solved, tickets.Closed} {
			_, err := x.Tickets.Update(ctx, tid, id, tickets.Change{Status: &to})
			var coded *hub.CodedError
			if !errors.Is(err, hub.ErrConflict) || !errors.As(err, &coded) || coded.Code != "ticket_fields_required" ||
				coded.Params["fields"] != "product" || !strings.Contains(err.Error(), "产品线") {
				t.Fatalf("%s with a required field empty: %v", to, err)
			}
		}
		if _, err := x.Tickets.Solve(ctx, tid, id); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("solve: %v", err)
		}
		if got := mustTicket(t, x, id); got.Status != tickets.Open || got.SolvedAt != nil {
			t.Fatalf("a refused solve changed the ticket: %s", got.Status)
		}
		pending := tickets.Pending
		if _, err := x.Tickets.Update(ctx, tid, id, tickets.Change{Status: &pending, Type: ptr("售后")}); err != nil {
			t.Fatalf("pending with fields missing: %v", err)
		}
		solved := tickets.Solved
		got, err := x.Tickets.Update(ctx, tid, id, tickets.Change{Status: &solved, Fields: map[string]string{"product": "手机"}})
		if err != nil || got.Status != tickets.Solved || len(got.Missing) != 0 {
			t.Fatalf("solved with the field filled in the same change: %v, %v", got, err)
		}
		// Reopened and closed again: the value is kept, nothing missing.
		if _, err := x.Tickets.Reopen(ctx, tid, id); err != nil {
			t.Fatal(err)
		}
		closed := tickets.Closed
		if _, err := x.Tickets.Update(ctx, tid, id, tickets.Change{Status: &closed}); err != nil {
			t.Fatalf("close with every required field: %v", err)
		}
	})
}
