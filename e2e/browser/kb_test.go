package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIKnowledgeBase: the console's knowledge base from empty: a keyword
// auto-reply (a bad regex refused in Chinese, a rule with a link card
// saved), a CSV import with a row error, the CSV and Excel exports
// downloaded, an edit, its versions and a restore, the external bot's
// settings, a rich answer (dropped by a plain edit, restored from its
// version into the editor left open, whose save keeps it), a group's robot saved and cleared, and the page at 375 px (workbench/ui/e2e/kb.mjs;
// screenshots). The hub then holds what the browser did.
func TestUIKnowledgeBase(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	group := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
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
	var full struct {
		Articles []struct{ ID, Question, Answer string }
	}
	adm.Must(200, "GET", "/api/v1/kb/articles?q=运费怎么收", nil).JSON(t, &full)
	if len(full.Articles) != 1 || full.Articles[0].Answer != "全场满99元包邮。" {
		t.Fatalf("the restored article %+v", full.Articles)
	}
	var vs struct {
		Versions []struct {
			Version  int
			Action   string
			EditedBy string `json:"edited_by"`
		}
	}
	adm.Must(200, "GET", "/api/v1/kb/articles/"+full.Articles[0].ID+"/versions", nil).JSON(t, &vs)
	if len(vs.Versions) != 3 || vs.Versions[0].Action != "restore" || vs.Versions[1].Action != "update" ||
		vs.Versions[2].Action != "import" || vs.Versions[0].EditedBy == "" {
		t.Errorf("the hub keeps the versions %+v", vs.Versions)
	}
	var ship struct{ Articles []struct{ ID, Answer string } }
	adm.Must(200, "GET", "/api/v1/kb/articles?q=发什么快递", nil).JSON(t, &ship)
	if len(ship.Articles) != 1 || !strings.HasPrefix(ship.Articles[0].Answer, "默认发中通\n\n• 偏远地区发EMS") {
		t.Errorf("the rich answer's text is not the article's answer: %+v", ship.Articles)
	} else if html := adm.Must(200, "GET", "/api/v1/kb/articles/"+ship.Articles[0].ID+"/rich", nil).Str("html"); !strings.Contains(html, "<ul><li>偏远地区发EMS</li></ul>") ||
		strings.Contains(html, "onerror") || strings.Contains(html, "javascript") {
		t.Errorf("the hub keeps the rich answer %q", html)
	}
	if len(ship.Articles) == 1 {
		var rv struct {
			Versions []struct{ Action, Rich string }
		}
		adm.Must(200, "GET", "/api/v1/kb/articles/"+ship.Articles[0].ID+"/versions", nil).JSON(t, &rv)
		// newest first: the open editor's save after the restore, the
		// restore, the plain edit.
		if len(rv.Versions) < 4 || rv.Versions[0].Action != "update" || rv.Versions[1].Action != "restore" ||
			!strings.Contains(rv.Versions[0].Rich, "<ul><li>偏远地区发EMS</li></ul>") || rv.Versions[0].Rich != rv.Versions[1].Rich ||
			rv.Versions[2].Rich != "" {
			t.Errorf("the rich answer's restore, then the open editor's save, in the versions: %+v", rv.Versions)
		}
	}
	script.Await("group-saved")
	gr := adm.Must(200, "GET", "/api/v1/groups/"+group+"/robot", nil)
	if gr.Str("mode") != "first" || gr.Str("greeting") != "售后小助手为您服务" || !strings.Contains(string(gr.Body), `"threshold":0.5`) {
		t.Errorf("the hub keeps the group's robot %s", gr.Body)
	}
	script.Send(nil)
	script.Await("done")
	if gr := adm.Must(200, "GET", "/api/v1/groups/"+group+"/robot", nil); !strings.Contains(string(gr.Body), `"mode":null`) ||
		!strings.Contains(string(gr.Body), `"threshold":null`) {
		t.Errorf("the console's clear left the group's robot %s", gr.Body)
	}
	script.Finish()
}
