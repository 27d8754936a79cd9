package browser

// The workbench as served (its CSP, the API beside it) and the WeChat reply
// window in the composer. On CI (CI=true) a missing chromium, node or UI
// build fails the test; on a laptop it skips and says what is missing.

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// The hub serves the UI at / with a strict CSP, and /api/* stays JSON.
func TestUIServed(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	get := func(path string) (*http.Response, string) {
		res, err := http.Get(h.Base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, p := range []string{"/", "/conversations/cv_1", "/console", "/console/agents"} {
		res, body := get(p)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html") {
			t.Fatalf("GET %s: %d %s %.200s", p, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("GET %s: CSP %q", p, csp)
		}
	}
	for _, p := range []string{"/api/v1/nope", "/webhooks/nope", "/missing.js"} {
		res, body := get(p)
		if res.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Fatalf("GET %s: %d %.200s", p, res.StatusCode, body)
		}
	}
}

// TestUIWechatReplyWindow: for a WeChat customer the composer shows the
// reply window counting down (48 h, 5 replies) and, once the 5 replies are
// used, is disabled and says why.
func TestUIWechatReplyWindow(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	_, h, adm, fake := kit.WechatHub(t, kit.Embedded)
	h.ServesUI()
	agent := adm.NewAgent("ui-wx@kefu.test", 5)
	app := fake.NewApp("safe") // the account on WeChat's side; the admin binds it in the console

	shots := kit.ShotsDir(t)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_EMAIL=ui-wx@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_ADMIN_EMAIL=admin@kefu.test",
		"KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_WX_APPID=" + app.AppID, "KEFU_WX_SECRET=" + app.Secret,
		"KEFU_SHOTS=" + shots}, "e2e/wechat.mjs")
	await := script.Args

	// What the console showed is what the admin pastes into WeChat.
	args := await("wechat")
	if len(args) != 3 {
		t.Fatalf("wechat step: %v", args)
	}
	app.Token, app.AESKey = args[1], args[2]
	fake.AddApp(app)
	wx := kit.WxChannel{ID: args[0], URL: h.Base + "/webhooks/wechat/" + args[0], App: app}
	await("online")
	user := "oUI_" + kit.RandHex(6)
	wx.MustPush(t, wechattest.Text(user, "在吗？ wx-first", kit.NextMsgID()))
	script.Send(map[string]string{"text": "wx-first"})
	await("done")
	script.Finish()
	convID := agent.ConversationOf(user, 5*time.Second)["id"].(string)
	if r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第 6 条"}); r.Status != 409 {
		t.Fatalf("a 6th reply after the UI used the quota: %d %s, want 409", r.Status, r.Body)
	}
}
