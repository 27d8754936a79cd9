package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUINarrowAndErrors: every workbench and console route at 375 px wide
// without a sideways scroll of the page, and three refusals worded in
// zh-CN with their detail — a duplicate agent e-mail, a bad keyword regex,
// a customer without a required custom field (workbench/ui/e2e/narrow.mjs;
// screenshots narrow-*). The hub then holds none of the refused records.
func TestUINarrowAndErrors(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"entity": "contact", "key": "hobbies", "label": "兴趣",
		"type": "multi_select", "options": []string{"读书", "旅行"}, "required": true})
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/narrow.mjs")
	script.Await("done")
	script.Finish()
	var agents struct{ Agents []struct{ Email string } }
	adm.Must(200, "GET", "/api/v1/agents", nil).JSON(t, &agents)
	if len(agents.Agents) != 1 {
		t.Errorf("the hub has the agents %+v, want the admin alone", agents.Agents)
	}
	var ks struct{ Keywords []any }
	adm.Must(200, "GET", "/api/v1/robot/keywords", nil).JSON(t, &ks)
	var cs struct{ Contacts []struct{ Name string } }
	adm.Must(200, "GET", "/api/v1/contacts", nil).JSON(t, &cs)
	if len(ks.Keywords) != 0 || len(cs.Contacts) != 0 {
		t.Errorf("the hub keeps refused records: keywords %v, contacts %+v", ks.Keywords, cs.Contacts)
	}
}
