package browser

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/weibo/weibotest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIWeiboChannel: the admin binds a Weibo account in the console and
// sees what to paste into Weibo; for a Weibo customer the composer (at
// 375 px) counts down the 48-hour window with no reply count, and after an
// @mention allows one reply, then is disabled and says why.
func TestUIWeiboChannel(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	fake := weibotest.New(t)
	e := kit.NewEnv(t, kit.Embedded)
	e.Vars["KEFU_WEIBO_API_BASE"] = fake.URL
	h := e.Start()
	h.ServesUI()
	adm := h.Admin()
	agent := adm.NewAgent("ui-wb@kefu.test", 5)
	app := fake.NewApp()

	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_EMAIL=ui-wb@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_ADMIN_EMAIL=admin@kefu.test",
		"KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_WB_APPKEY=" + app.AppKey, "KEFU_WB_SECRET=" + app.Secret,
		"KEFU_WB_TOKEN=" + app.AccessToken, "KEFU_WB_UID=" + app.UID, "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/weibo.mjs")
	await := script.Args
	args := await("weibo")
	if len(args) != 1 {
		t.Fatalf("weibo step: %v", args)
	}
	push := func(m weibotest.Msg) {
		t.Helper()
		if r := weibotest.Push(http.DefaultClient, h.Base+"/webhooks/weibo/"+args[0], app, m, weibotest.PushOpts{}); !r.OK() {
			t.Fatalf("push: %d %q %v", r.Status, r.Body, r.Err)
		}
	}
	await("online")
	user := weibotest.NewUID()
	push(weibotest.Text(user, "在吗？ wb-first"))
	script.Send(map[string]string{"text": "wb-first"})
	await("mention")
	push(weibotest.Mention(user, "@官方微博 快递丢了 wb-mention-in"))
	script.Send(map[string]string{"text": "wb-mention-in"})
	await("done")
	script.Finish()
	kit.Eventually(t, 15*time.Second, "the 7 replies reach Weibo", func() bool {
		n := 0
		for _, s := range fake.Sends() {
			if s.ReceiverID == strconv.FormatInt(user, 10) && strings.Contains(s.Text, "wb-") {
				n++
			}
		}
		return n == 7
	})
	convID := agent.ConversationOf(strconv.FormatInt(user, 10), 5*time.Second)["id"].(string)
	if r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第二条"}); r.Status != 409 {
		t.Fatalf("a second reply to the @mention: %d %s, want 409", r.Status, r.Body)
	}
}
