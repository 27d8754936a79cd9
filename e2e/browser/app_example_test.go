package browser

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIAppExamplePage: the app SDK's example page (connectors/app/example,
// the IIFE build) served from another origin than the hub's, in a browser
// with its usual security: the user is identified, what they send reaches
// the agent once, the agent's reply shows, as text; at 375 px. Closed, the
// conversation is rated through the page's form with the tenant's level
// 不满意 and two of its reasons (workbench/ui/e2e/app-example.mjs;
// screenshots). The SDK must be built
// (make appsdk).
func TestUIAppExamplePage(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	if _, err := os.Stat(kit.Path(t, "connectors/app/sdk/js/dist/kefu.iife.js")); err != nil {
		t.Fatalf("the app SDK is not built (make appsdk): %v", err)
	}
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "app", "name": "商城App", "config": map[string]any{"identity": "hmac", "rating": true}})
	key, secret := r.Str("setup.app_key"), r.Str("setup.identity_secret")
	agent := adm.NewAgent("app-page@kefu.test", 5)
	agent.SetStatus("online")
	sock := agent.Dial(-1)
	site := httptest.NewServer(http.FileServer(http.Dir(kit.Path(t, "connectors/app")))) // another origin
	t.Cleanup(site.Close)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("user-42"))
	q := url.Values{"baseURL": {h.Base}, "appKey": {key}, "userId": {"user-42"}, "userHash": {hex.EncodeToString(mac.Sum(nil))}}
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_PAGE=" + site.URL + "/example/index.html?" + q.Encode(),
		"KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/app-example.mjs")
	script.Await("sent")
	ev := sock.WaitFor("conversation.assigned", 30*time.Second, nil)
	convID := kit.Dig(ev, "data", "conversation", "id").(string)
	kit.Eventually(t, 10*time.Second, "the page's message reaches the agent", func() bool {
		n := 0
		for _, m := range agent.Messages(convID) {
			if m.Direction == "in" && m.Text == "我在网页里提问" {
				n++
			}
		}
		return n == 1
	})
	agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "<b>您好</b>，马上为您查询"})
	script.Await("replied")
	agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{})
	script.Send(map[string]string{})
	script.Await("rated")
	var conv struct {
		Rating struct {
			Score   int      `json:"score"`
			Reasons []string `json:"reasons"`
			Comment string   `json:"comment"`
		} `json:"rating"`
	}
	agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSON(t, &conv)
	if r := conv.Rating; r.Score != 2 || strings.Join(r.Reasons, "|") != "等待时间长|问题未解决" || r.Comment != "<b>快递</b>太慢" {
		t.Errorf("the stored rating: %+v", r)
	}
	script.Send(map[string]string{})
	script.Await("done")
	script.Finish()
}
