package desk

// The customer center's second part (issue 15) through the REST API:
// custom fields an admin defines and the customer form fills, the
// follow-up log with its due filter, merge and unmerge, import with a dry
// run and export with formulas defused.

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// sheetCall sends a raw body (a CSV) and returns the answer.
func sheetCall(t *testing.T, c *kit.Client, method, path, body string) kit.Resp {
	t.Helper()
	return c.DoRaw(method, path, "text/csv", strings.NewReader(body))
}

func TestCustomerCenterAPI(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		li := admin.NewAgent("li@kefu.test", 5)

		// Fields: admins only; a bad value answers 400 naming the field.
		li.Must(403, "POST", "/api/v1/custom-fields", map[string]any{"key": "x", "label": "x"})
		admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "level", "label": "会员等级", "type": "select",
			"options": []string{"金卡", "银卡"}, "required": true})
		admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "budget", "label": "预算", "type": "number"})
		admin.Must(409, "POST", "/api/v1/custom-fields", map[string]any{"key": "budget", "label": "又一个"})
		var fs struct{ Fields []struct{ Key, Label string } }
		li.Must(200, "GET", "/api/v1/custom-fields", nil).JSON(t, &fs)
		if len(fs.Fields) != 2 || fs.Fields[0].Label != "会员等级" {
			t.Fatalf("fields as an agent sees them: %+v", fs)
		}
		r := li.Must(400, "POST", "/api/v1/contacts", map[string]any{"name": "坏", "custom": map[string]any{"level": "金卡", "budget": "很多"}})
		if !strings.Contains(string(r.Body), "预算") || kit.Dig(r.JSONMap(t), "error", "params", "field") != "budget" {
			t.Errorf("a bad number: %s", r.Body)
		}
		li.Must(400, "POST", "/api/v1/contacts", map[string]any{"name": "没等级"})
		gold := li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "金卡客户", "phone": "13900000001",
			"custom": map[string]any{"level": "金卡", "budget": "3000"}}).Str("id")
		li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "银卡客户", "custom": map[string]any{"level": "银卡"}})
		if got := listed(t, li, "field=level&field_value=金卡"); strings.Join(got, ",") != "金卡客户" {
			t.Errorf("select filter: %v", got)
		}
		if got := listed(t, li, "q=3000"); strings.Join(got, ",") != "金卡客户" {
			t.Errorf("search a custom value: %v", got)
		}

		// Follow-ups: logged, due later, listed as due.
		next := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		li.Must(201, "POST", "/api/v1/contacts/"+gold+"/followups", map[string]any{"note": "电话回访", "next_at": next})
		li.Must(400, "POST", "/api/v1/contacts/"+gold+"/followups", map[string]any{"note": ""})
		if got := listed(t, li, "due=true"); strings.Join(got, ",") != "金卡客户" {
			t.Errorf("due follow-ups: %v", got)
		}

		// Merge: the same phone is suggested, merged, and undone.
		dup := li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "重复的", "phone": "13900000001",
			"email": "gold@example.com", "custom": map[string]any{"level": "金卡"}}).Str("id")
		var ss struct {
			Suggestions []struct {
				Contact struct{ ID string }
				Reasons []string
			}
		}
		li.Must(200, "GET", "/api/v1/contacts/"+gold+"/merge-suggestions", nil).JSON(t, &ss)
		if len(ss.Suggestions) != 1 || ss.Suggestions[0].Contact.ID != dup {
			t.Fatalf("suggestions: %+v", ss)
		}
		li.Must(400, "POST", "/api/v1/contacts/"+gold+"/merge", map[string]any{"merged_id": gold})
		// A customer li cannot see (same phone, nobody's) is neither offered nor mergeable by li.
		hidden := admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "别人的", "phone": "13900000001",
			"owner_id": "", "custom": map[string]any{"level": "银卡"}}).Str("id")
		li.Must(404, "POST", "/api/v1/contacts/"+gold+"/merge", map[string]any{"merged_id": hidden})
		li.Must(404, "POST", "/api/v1/contacts/"+hidden+"/merge", map[string]any{"merged_id": dup})
		mg := li.Must(201, "POST", "/api/v1/contacts/"+gold+"/merge", map[string]any{"merged_id": dup}).Str("id")
		if got := listed(t, li, "q=1390000000"); strings.Join(got, ",") != "金卡客户" {
			t.Errorf("list after the merge: %v", got)
		}
		if e := li.Must(200, "GET", "/api/v1/contacts/"+gold, nil).Str("email"); e != "gold@example.com" {
			t.Errorf("survivor's email: %q", e)
		}
		li.Must(200, "POST", "/api/v1/contact-merges/"+mg+"/undo", nil)
		li.Must(409, "POST", "/api/v1/contact-merges/"+mg+"/undo", nil)
		if got := listed(t, li, "q=1390000000"); strings.Join(got, ",") != "重复的,金卡客户" {
			t.Errorf("list after the unmerge: %v", got)
		}

		// Import: a dry run reports rows, a bad sheet is refused whole.
		bad := "姓名,电话,会员等级\n张三,1,金卡\n李四,2,钻石卡\n"
		r = sheetCall(t, li, "POST", "/api/v1/contacts/import?dry_run=true", bad)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"row":3`) || !strings.Contains(string(r.Body), "钻石卡") {
			t.Errorf("dry run: %d %s", r.Status, r.Body)
		}
		r = sheetCall(t, li, "POST", "/api/v1/contacts/import?dry_run=false", bad)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"committed":false`) || len(listed(t, li, "q=张三")) != 0 {
			t.Errorf("commit of a bad sheet: %d %s", r.Status, r.Body)
		}
		for _, body := range []string{"", "姓名\n", "\"unterminated", "{"} {
			if r := sheetCall(t, li, "POST", "/api/v1/contacts/import", body); r.Status != 400 {
				t.Errorf("import of %q: %d %s", body, r.Status, r.Body)
			}
		}
		if r := sheetCall(t, li, "POST", "/api/v1/contacts/import?format=xlsx", "not a workbook"); r.Status != 400 {
			t.Errorf("import of a false xlsx: %d %s", r.Status, r.Body)
		}
		good := "姓名,电话,会员等级\n=1+2,1,金卡\n"
		if r := sheetCall(t, li, "POST", "/api/v1/contacts/import?dry_run=false", good); r.Status != 200 ||
			!strings.Contains(string(r.Body), `"created":1`) {
			t.Errorf("import: %d %s", r.Status, r.Body)
		}

		// Export: li's customers only, formulas defused.
		admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "管理员自己的", "owner_id": "",
			"custom": map[string]any{"level": "银卡"}})
		res, body := li.Download("/api/v1/contacts/export?format=csv")
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), ".csv") {
			t.Fatalf("export: %d %s", res.StatusCode, body)
		}
		out := string(body)
		if !strings.Contains(out, "'=1+2") || !strings.Contains(out, "会员等级") || strings.Contains(out, "管理员自己的") {
			t.Errorf("export:\n%s", out)
		}
		li.Must(400, "GET", "/api/v1/contacts/export?format=pdf", nil)
	})
}
