package tickets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/tickets"
)

// defineTicketFields gives the tenant the ticket fields the tests fill: a
// required select, a text, a number and a multi select.
func defineTicketFields(t *testing.T, x *fx, tenantID string) {
	t.Helper()
	fs := fields.New(x.K)
	for _, sp := range []fields.Spec{
		{Key: ptr("product"), Label: ptr("产品线"), Type: ptr(fields.Select), Required: ptr(true), Options: ptr([]string{"手机", "平板"})},
		{Key: ptr("order_no"), Label: ptr("订单号"), Type: ptr(fields.Text)},
		{Key: ptr("amount"), Label: ptr("金额"), Type: ptr(fields.Number)},
		{Key: ptr("tags"), Label: ptr("问题标签"), Type: ptr(fields.Multi), Options: ptr([]string{"屏幕", "电池", "物流"})},
	} {
		if _, err := fs.Create(context.Background(), tenantID, fields.Ticket, sp); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTicketCustomFields(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		defineTicketFields(t, x, tid)
		off, _, _ := x.leave(x.f.Channel, "c1", "留言")
		c := mustTicket(t, x, off)
		n := func(subject string, values map[string]string) tickets.NewTicket {
			return tickets.NewTicket{Subject: subject, ContactID: c.ContactID, ChannelID: c.ChannelID, Fields: values}
		}
		// Bad values are refused naming the field; nothing is stored.
		for name, bad := range map[string]struct {
			values map[string]string
			names  string
		}{
			"required missing": {map[string]string{"order_no": "A1"}, "产品线"},
			"not an option":    {map[string]string{"product": "电脑"}, "产品线"},
			"not a number":     {map[string]string{"product": "手机", "amount": "十元"}, "金额"},
			"multi not option": {map[string]string{"product": "手机", "tags": "屏幕,售后"}, "问题标签"},
			"unknown field":    {map[string]string{"product": "手机", "color": "red"}, "color"},
		} {
			_, err := x.Tickets.Create(ctx, tid, n("坏的 "+name, bad.values))
			var inv *hub.InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), bad.names) {
				t.Errorf("%s: %v, want a 400 naming %s", name, err, bad.names)
			}
		}
		if all, _ := x.Tickets.List(ctx, tid, tickets.Filter{Text: "坏的"}); len(all) != 0 {
			t.Fatalf("refused tickets were stored: %d", len(all))
		}
		a, err := x.Tickets.Create(ctx, tid, n("屏幕碎了", map[string]string{"product": "手机", "order_no": " A-1 ", "amount": "12.50",
			"tags": "电池,屏幕,电池"}))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"product": "手机", "order_no": "A-1", "amount": "12.5", "tags": "电池,屏幕"}
		if got := mustTicket(t, x, a.ID).Custom; !equal(got, want) {
			t.Fatalf("stored values %v, want %v", got, want)
		}
		b, err := x.Tickets.Create(ctx, tid, n("平板不开机", map[string]string{"product": "平板", "tags": "物流"}))
		if err != nil {
			t.Fatal(err)
		}
		find := func(field, value string) []string {
			t.Helper()
			ts, err := x.Tickets.List(ctx, tid, tickets.Filter{Field: field, FieldValue: value})
			if err != nil {
				t.Fatal(err)
			}
			k, err := x.Tickets.Count(ctx, tid, tickets.Filter{Field: field, FieldValue: value}, 100)
			if err != nil || k != len(ts) {
				t.Fatalf("count %d, %v; the list has %d", k, err, len(ts))
			}
			return ids(ts)
		}
		for _, tc := range []struct{ field, value, want string }{
			{"product", "手机", a.ID}, {"product", "平板", b.ID}, {"order_no", "A-1", a.ID}, {"order_no", "A", ""},
			{"tags", "屏幕", a.ID}, {"tags", "物流", b.ID}, {"amount", "12.5", a.ID},
		} {
			if got := strings.Join(find(tc.field, tc.value), ","); got != tc.want {
				t.Errorf("%s = %s lists %q, want %q", tc.field, tc.value, got, tc.want)
			}
		}
		// An edit names only the fields it changes; "" clears one; the
		// filter follows.
		up, err := x.Tickets.Update(ctx, tid, a.ID, tickets.Change{Fields: map[string]string{"product": "平板", "order_no": ""}})
		if err != nil || !equal(up.Custom, map[string]string{"product": "平板", "amount": "12.5", "tags": "电池,屏幕"}) {
			t.Fatalf("edited: %v, %v", up.Custom, err)
		}
		if got := find("product", "平板"); len(got) != 2 {
			t.Fatalf("after the edit product=平板 lists %v", got)
		}
		if got := find("order_no", "A-1"); len(got) != 0 {
			t.Fatalf("a cleared value is still found: %v", got)
		}
		if _, err := x.Tickets.Update(ctx, tid, a.ID, tickets.Change{Fields: map[string]string{"product": ""}}); err == nil ||
			!strings.Contains(err.Error(), "产品线") {
			t.Fatalf("clearing a required field: %v", err)
		}
		// The other filters a saved view keeps: type, group, text.
		if _, err := x.Tickets.Update(ctx, tid, b.ID, tickets.Change{Type: ptr("退货")}); err != nil {
			t.Fatal(err)
		}
		for name, f := range map[string]tickets.Filter{"type": {Type: "退货"}, "text": {Text: "不开机"}, "id": {Text: b.ID},
			"text and field": {Text: "平板", Field: "tags", FieldValue: "物流"}} {
			if got, _ := x.Tickets.List(ctx, tid, f); len(got) != 1 || got[0].ID != b.ID {
				t.Errorf("%s lists %v", name, ids(got))
			}
		}
		if got, _ := x.Tickets.List(ctx, tid, tickets.Filter{Text: "100%"}); len(got) != 0 {
			t.Errorf("a %% in the text is a wildcard: %v", ids(got))
		}
		if got, _ := x.Tickets.List(ctx, tid, tickets.Filter{Group: "none", Field: "product", FieldValue: "平板"}); len(got) != 2 {
			t.Errorf("no group: %v", ids(got))
		}
		if _, err := x.Tickets.List(ctx, tid, tickets.Filter{Field: "product"}); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("a field without a value: %v", err)
		}
		// Another tenant: its own fields, none of these tickets.
		other := x.NewTenant(t).Admin.TenantID
		defineTicketFields(t, x, other)
		if got, _ := x.Tickets.List(ctx, other, tickets.Filter{Field: "product", FieldValue: "平板"}); len(got) != 0 {
			t.Fatalf("another tenant's filter lists %v", ids(got))
		}
		if k, _ := x.Tickets.Count(ctx, other, tickets.Filter{Field: "tags", FieldValue: "电池"}, 100); k != 0 {
			t.Fatalf("another tenant counts %d", k)
		}
		if _, err := x.Tickets.Update(ctx, other, a.ID, tickets.Change{Fields: map[string]string{"product": "手机"}}); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("another tenant edits the fields: %v", err)
		}
	})
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
