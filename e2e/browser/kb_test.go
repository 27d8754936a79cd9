package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIKnowledgeBase: the console's knowledge base from empty: a keyword
// auto-reply (a bad regex refused in Chinese, a rule with a link card
// saved), a CSV import with a row error, the export downloaded, the
// external bot's settings, and the page at 375 px (workbench/ui/e2e/kb.mjs;
// screenshots). The hub then holds what the browser did.
func TestUIKnowledgeBase(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/kb.mjs")
	script.Await("desk-done")
	var ks struct {
		Keywords []struct {
			Pattern string `json:"pattern"`
			Always  bool   `json:"always"`
			Card    *struct{ URL string }
		}
	}
	adm.Must(200, "GET", "/api/v1/robot/keywords", nil).JSON(t, &ks)
	if len(ks.Keywords) != 1 || ks.Keywords[0].Pattern != "发票" || !ks.Keywords[0].Always || ks.Keywords[0].Card == nil ||
		ks.Keywords[0].Card.URL != "https://shop.example.com/invoice" {
		t.Errorf("the hub keeps the rules %+v", ks.Keywords)
	}
	var as struct{ Articles []struct{ Question string } }
	adm.Must(200, "GET", "/api/v1/kb/articles", nil).JSON(t, &as)
	if len(as.Articles) != 2 {
		t.Errorf("the hub keeps the articles %+v", as.Articles)
	}
	script.Await("done")
	script.Finish()
}
