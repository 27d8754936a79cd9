package desk

// Ticket custom fields and saved ticket views (issue 15): the admin
// defines the ticket fields, agents fill them on create and edit, filter
// the list by them, and save filter sets as views with counts — their own,
// or shared with the team by a supervisor.

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// savedCounts reads the saved views' badges by name.
func savedCounts(t *testing.T, c *kit.Client) map[string]int {
	t.Helper()
	var r struct {
		Saved []struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		} `json:"saved"`
	}
	c.Must(200, "GET", "/api/v1/tickets/views", nil).JSON(t, &r)
	out := map[string]int{}
	for _, v := range r.Saved {
		out[v.Name] = v.Count
	}
	return out
}

func ticketIDs(t *testing.T, c *kit.Client, query string) []string {
	t.Helper()
	var r struct{ Tickets []kit.TicketView }
	c.Must(200, "GET", "/api/v1/tickets?"+query, nil).JSON(t, &r)
	out := []string{}
	for _, tk := range r.Tickets {
		out = append(out, tk.ID)
	}
	return out
}

func TestTicketFieldsAndSavedViews(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		li, wang := admin.NewAgent("li@kefu.test", 5), admin.NewAgent("wang@kefu.test", 5)
		admin.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "boss@kefu.test", "password": "agent-pass-1", "role": "supervisor"})
		boss := kit.Login(t, h.Base, "boss@kefu.test", "agent-pass-1")
		admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"entity": "ticket", "key": "product", "label": "产品线",
			"type": "select", "required": true, "options": []string{"手机", "平板"}})
		admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"entity": "ticket", "key": "order_no", "label": "订单号", "type": "text"})
		li.Must(403, "POST", "/api/v1/custom-fields", map[string]any{"entity": "ticket", "key": "x", "label": "x"})
		var defs struct{ Fields []struct{ Key string } }
		li.Must(200, "GET", "/api/v1/custom-fields?entity=ticket", nil).JSON(t, &defs)
		if len(defs.Fields) != 2 {
			t.Fatalf("agents read the ticket fields: %+v", defs)
		}
		contact := li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "张伟", "phone": "13800138000"}).Str("id")
		mk := func(subject string, values map[string]any) string {
			return li.Must(201, "POST", "/api/v1/tickets", map[string]any{"subject": subject, "contact_id": contact, "priority": "high",
				"fields": values}).Str("id")
		}
		// Refused values: 400 naming the field, in Chinese first.
		for _, bad := range []struct {
			values map[string]any
			names  string
		}{
			{map[string]any{"order_no": "A1"}, "产品线"},
			{map[string]any{"product": "电脑"}, "产品线"},
			{map[string]any{"product": "手机", "colour": "红"}, "colour"},
		} {
			r := li.Must(400, "POST", "/api/v1/tickets", map[string]any{"subject": "坏", "contact_id": contact, "fields": bad.values})
			if msg := r.Str("error.message"); !strings.Contains(msg, bad.names) {
				t.Errorf("%v refused with %q, want the field %s named", bad.values, msg, bad.names)
			}
		}
		li.Must(400, "POST", "/api/v1/tickets", map[string]any{"subject": "坏", "contact_id": contact, "fields": []string{"x"}})
		phone := mk("屏幕碎了", map[string]any{"product": "手机", "order_no": "NO-1"})
		pad := mk("平板不开机", map[string]any{"product": "平板"})
		r := li.Must(200, "GET", "/api/v1/tickets/"+phone, nil)
		if r.Str("fields.product") != "手机" || r.Str("fields.order_no") != "NO-1" {
			t.Fatalf("the ticket shows its fields: %s", r.Body)
		}
		// Edits name only the fields they change.
		r = li.Must(200, "PATCH", "/api/v1/tickets/"+pad, map[string]any{"fields": map[string]any{"order_no": "NO-2"}})
		if r.Str("fields.product") != "平板" || r.Str("fields.order_no") != "NO-2" {
			t.Fatalf("edited fields: %s", r.Body)
		}
		li.Must(400, "PATCH", "/api/v1/tickets/"+pad, map[string]any{"fields": map[string]any{"product": "电脑"}})
		// The list filters by select and text equality.
		if got := ticketIDs(t, li, "field=product&field_value="+url.QueryEscape("平板")); len(got) != 1 || got[0] != pad {
			t.Errorf("product=平板 lists %v", got)
		}
		if got := ticketIDs(t, li, "field=order_no&field_value=NO-1"); len(got) != 1 || got[0] != phone {
			t.Errorf("order_no=NO-1 lists %v", got)
		}
		li.Must(400, "GET", "/api/v1/tickets?field=Product&field_value=x", nil)

		// li saves a view; its count and list follow the tickets.
		mine := li.Must(201, "POST", "/api/v1/ticket-views", map[string]any{"name": "手机工单",
			"filter": map[string]any{"field": "product", "field_value": "手机", "priority": "high"}}).Str("id")
		if got := savedCounts(t, li); got["手机工单"] != 1 {
			t.Fatalf("li's saved views: %v", got)
		}
		if got := ticketIDs(t, li, "saved="+mine); len(got) != 1 || got[0] != phone {
			t.Errorf("the saved view lists %v", got)
		}
		li.Must(200, "PATCH", "/api/v1/tickets/"+pad, map[string]any{"fields": map[string]any{"product": "手机"}})
		if got := savedCounts(t, li); got["手机工单"] != 2 {
			t.Errorf("after an edit the view counts %v", got)
		}
		// Others neither see nor change it.
		wang.Must(404, "GET", "/api/v1/tickets?saved="+mine, nil)
		wang.Must(404, "PATCH", "/api/v1/ticket-views/"+mine, map[string]any{"name": "x"})
		wang.Must(404, "DELETE", "/api/v1/ticket-views/"+mine, nil)
		if got := savedCounts(t, wang); len(got) != 0 {
			t.Errorf("wang sees %v", got)
		}
		// Sharing is for supervisors and admins.
		li.Must(403, "POST", "/api/v1/ticket-views", map[string]any{"name": "团队", "shared": true})
		li.Must(403, "PATCH", "/api/v1/ticket-views/"+mine, map[string]any{"shared": true})
		team := boss.Must(201, "POST", "/api/v1/ticket-views", map[string]any{"name": "我的高优先级", "shared": true,
			"filter": map[string]any{"priority": "high", "assignee_id": "me"}}).Str("id")
		li.Must(200, "PATCH", "/api/v1/tickets/"+phone, map[string]any{"assignee_id": li.MeID()})
		// another agent's ticket: wang can neither read nor fill its fields
		wang.Must(404, "PATCH", "/api/v1/tickets/"+phone, map[string]any{"fields": map[string]any{"order_no": "X"}})
		if got := savedCounts(t, li); got["我的高优先级"] != 1 || got["手机工单"] != 2 {
			t.Errorf("li's views with the shared one: %v", got)
		}
		if got := savedCounts(t, wang); len(got) != 1 || got["我的高优先级"] != 0 {
			t.Errorf("wang's views: %v", got)
		}
		li.Must(403, "DELETE", "/api/v1/ticket-views/"+team, nil)
		boss.Must(200, "PATCH", "/api/v1/ticket-views/"+team, map[string]any{"name": "高优先级（我的）"})
		li.Must(400, "POST", "/api/v1/ticket-views", map[string]any{"name": "", "filter": map[string]any{}})
		li.Must(400, "POST", "/api/v1/ticket-views", map[string]any{"name": "x", "filter": map[string]any{"status": "lost"}})
		// Rename and delete one's own.
		li.Must(200, "PATCH", "/api/v1/ticket-views/"+mine, map[string]any{"name": "手机（全部）"})
		li.Must(200, "DELETE", "/api/v1/ticket-views/"+mine, nil)
		if got := savedCounts(t, li); len(got) != 1 || got["高优先级（我的）"] != 1 {
			t.Errorf("after rename and delete: %v", got)
		}
		li.Must(404, "GET", "/api/v1/tickets?saved="+mine, nil)
	})
}
