package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIReports: two customers write, the agent answers both; the console's
// reports show them in the tiles (with definitions), the chart, the
// heatmap, the agent table, the tickets report, the agent's attendance
// (考勤) and where the conversations came from, download CSV and XLSX, say when a period is empty,
// and fit a 375 px phone; a supervisor opens them from the workbench (workbench/ui/e2e/reports.mjs; screenshots,
// the volume by week and by month among them).
func TestUIReports(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "sup-report@kefu.test", "password": "agent-pass-1",
		"name": "组长", "role": "supervisor"})
	li := adm.NewAgent("li-report@kefu.test", 5)
	li.SetStatus("online")
	sock := li.Dial(-1)
	ch := adm.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	for _, c := range []string{"cust-a", "cust-b"} {
		// both came from a search result, one on a phone's browser page
		if st, b := ch.Post(t, h.Base, map[string]any{"id": "m-" + c, "type": "text", "text": "你好",
			"contact": map[string]any{"id": c}, "visitor": map[string]any{"referrer": "https://www.baidu.com/s?wd=客服",
				"keyword": "客服", "page": "https://shop.test/" + c, "region": "浙江 杭州"}}); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		ev := sock.WaitFor("conversation.assigned", 15*time.Second, nil)
		conv, _ := kit.Dig(ev, "data", "conversation", "id").(string)
		li.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "您好"})
		if c == "cust-a" { // a follow-up ticket, urgent
			li.Must(201, "POST", "/api/v1/tickets", map[string]any{"conversation_id": conv, "priority": "urgent"})
		}
	}
	var s struct{ Answered int }
	for deadline := time.Now().Add(20 * time.Second); s.Answered < 2 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		adm.Must(200, "GET", "/api/v1/reports/summary", nil).JSON(t, &s)
	}
	var me struct{ Name, Email string }
	li.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	name := me.Name
	if name == "" {
		name = me.Email
	}
	script := kit.RunBrowserScript(t, "workbench/ui", 4*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_AGENT_NAME=" + name, "KEFU_SUP_EMAIL=sup-report@kefu.test",
		"KEFU_SHOTS=" + kit.ShotsDir(t),
		"KEFU_TZ=Asia/Shanghai"}, "e2e/reports.mjs") // the tenant's: its today is the page's today
	script.Await("done")
	script.Finish()
}
