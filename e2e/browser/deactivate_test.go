package browser

import (
	"net/http"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIDeactivate: an admin deactivates an agent in the console through
// the confirm dialog, handing their open chat to another agent; the agent
// is signed out and the chat moved. Then a web channel: its widget config
// answers 410 and its direct chat page says 客服暂不可用; both come back
// when reactivated (workbench/ui/e2e/deactivate.mjs; screenshots).
func TestUIDeactivate(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	admin := h.Admin()
	leaver := admin.NewAgent("wang@kefu.test", 5)
	admin.Must(200, "PATCH", "/api/v1/agents/"+leaver.MeID(), map[string]any{"name": "小王"})
	leaver.SetStatus("online")
	ch := admin.NewAPIChannel("", nil)
	if st, b := ch.Post(t, h.Base, kit.TextMsg("ud-1", "cust-ud", "快递还没到")); st != 200 {
		t.Fatalf("inbound: %d %s", st, b)
	}
	conv := admin.ConversationOf("cust-ud", 15*time.Second)
	convID := conv["id"].(string)
	kit.Eventually(t, 15*time.Second, "the chat goes to 小王", func() bool { st, _ := admin.ConvStatus(convID); return st == "open" })
	heir := admin.NewAgent("li@kefu.test", 5)
	heirID := heir.MeID()
	admin.Must(200, "PATCH", "/api/v1/agents/"+heirID, map[string]any{"name": "小李"})
	heir.SetStatus("online")
	webID, _ := admin.NewWebChannel(map[string]any{})

	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/deactivate.mjs")
	script.Send(map[string]string{"leaver": "wang@kefu.test", "heir": "li@kefu.test", "web": webID})
	script.Await("agent-deactivated")
	if _, who := admin.ConvStatus(convID); who != heirID {
		t.Errorf("the chat is with %q, want 小李 (%s)", who, heirID)
	}
	if r := leaver.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the deactivated agent's session: %d", r.Status)
	}
	script.Send(map[string]string{})
	script.Await("channel-deactivated")
	res, err := http.Get(h.Base + "/webhooks/web/" + webID + "/config")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusGone {
		t.Errorf("the deactivated channel's widget config: %d, want 410", res.StatusCode)
	}
	script.Send(map[string]string{})
	script.Await("done")
	script.Finish()
}
