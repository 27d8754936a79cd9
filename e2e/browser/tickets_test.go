package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUITicketFieldsAndViews: the admin defines ticket fields in the
// console, a ticket made on the tickets page fills them, the list filtered
// by a field is saved as a shared view shown with its count, the ticket's
// fields are edited and the view renamed, the page at 375 px
// (workbench/ui/e2e/tickets.mjs; screenshots workbench-ticket-saved-view
// and workbench-ticket-saved-view-375). What the browser did is then read
// back through the API.
func TestUITicketFieldsAndViews(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	admin := h.Admin()
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/tickets.mjs")
	script.Await("fields")
	contact := admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "张伟", "phone": "13800138000"}).Str("id")
	admin.Must(201, "POST", "/api/v1/tickets", map[string]any{"subject": "平板不开机", "contact_id": contact,
		"fields": map[string]any{"product": "平板"}})
	script.Send(map[string]string{"contact": contact})
	script.Await("done")
	script.Finish()

	var list struct{ Tickets []kit.TicketView }
	admin.Must(200, "GET", "/api/v1/tickets?field=order_no&field_value=NO-2", nil).JSON(t, &list)
	if len(list.Tickets) != 1 {
		t.Fatalf("the ticket's edited order number: %+v", list.Tickets)
	}
	tk := admin.Must(200, "GET", "/api/v1/tickets/"+list.Tickets[0].ID, nil)
	if tk.Str("subject") != "手机屏幕碎了" || tk.Str("fields.product") != "手机" {
		t.Fatalf("the ticket made in the browser: %s", tk.Body)
	}
	var vs struct {
		Views []struct {
			ID, Name string
			Shared   bool
			Count    int
			Filter   map[string]string
		}
	}
	admin.Must(200, "GET", "/api/v1/ticket-views", nil).JSON(t, &vs)
	if len(vs.Views) != 1 || vs.Views[0].Name != "手机（全部）" || !vs.Views[0].Shared || vs.Views[0].Count != 1 ||
		vs.Views[0].Filter["field"] != "product" || vs.Views[0].Filter["field_value"] != "手机" {
		t.Fatalf("the view saved in the browser: %+v", vs.Views)
	}
	admin.Must(200, "DELETE", "/api/v1/ticket-views/"+vs.Views[0].ID, nil)
}

// TestUITicketFiltersAndRequiredFields: on the tickets page the list is
// filtered by group and by type and saved as a view keeping both; an
// offline ticket (留言), made without the form, is flagged as missing the
// required 产品线 and cannot be solved until it is filled, then is
// (workbench/ui/e2e/ticket-filters.mjs; screenshots
// workbench-ticket-group-type-filter, workbench-ticket-missing-fields and
// their 375 px forms). The API then shows what the browser did.
func TestUITicketFiltersAndRequiredFields(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	admin := h.Admin()
	admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"entity": "ticket", "key": "product", "label": "产品线",
		"type": "select", "required": true, "options": []string{"手机", "平板"}})
	group := admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后组"}).Str("id")
	contact := admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "张伟", "phone": "13800138000"}).Str("id")
	for _, tk := range []map[string]any{
		{"subject": "退货申请", "type": "退货", "group_id": group},
		{"subject": "换货申请", "type": "换货", "group_id": group},
		{"subject": "咨询价格", "type": "咨询"},
	} {
		tk["contact_id"], tk["fields"] = contact, map[string]any{"product": "平板"}
		admin.Must(201, "POST", "/api/v1/tickets", tk)
	}
	// Nobody is online: the customer's message becomes an offline ticket.
	ch := admin.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	if st, b := ch.Post(t, h.Base, kit.TextMsg("m-1", "buyer-1", "屏幕碎了")); st != 200 {
		t.Fatalf("inbound: %d %s", st, b)
	}
	off := kit.WaitTicket(t, admin, []string{"屏幕碎了"})
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/ticket-filters.mjs")
	script.Await("view-saved")
	var vs struct {
		Views []struct {
			Name   string
			Count  int
			Filter map[string]string
		}
	}
	admin.Must(200, "GET", "/api/v1/ticket-views", nil).JSON(t, &vs)
	if len(vs.Views) != 1 || vs.Views[0].Name != "售后退货" || vs.Views[0].Count != 1 || vs.Views[0].Filter["group_id"] != group ||
		vs.Views[0].Filter["type"] != "退货" {
		t.Fatalf("the view saved in the browser: %+v", vs.Views)
	}
	script.Await("solved")
	tk := admin.Must(200, "GET", "/api/v1/tickets/"+off.ID, nil)
	if tk.Str("status") != "solved" || tk.Str("fields.product") != "手机" {
		t.Fatalf("the offline ticket after the browser: %s", tk.Body)
	}
	if st, b := ch.Post(t, h.Base, kit.TextMsg("m-2", "buyer-2", "电池鼓包")); st != 200 {
		t.Fatalf("inbound: %d %s", st, b)
	}
	late := kit.WaitTicket(t, admin, []string{"电池鼓包"})
	admin.Must(409, "PATCH", "/api/v1/tickets/"+late.ID, map[string]any{"status": "closed"})
	script.Send(map[string]string{})
	script.Await("done")
	script.Finish()
}
