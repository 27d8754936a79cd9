package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/qq/qqtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIQQReplyWindow: the admin binds a QQ bot in the console (Chinese
// labels and limits, the callback URL to paste); for a QQ customer the
// composer counts down the 60-minute window and 5 replies, the replies
// reach QQ as answers to the customer's message with msg_seq 1…5, and
// once they are used the composer is disabled and a sixth is a 409.
func TestUIQQReplyWindow(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	fake := qqtest.New(t)
	e := kit.NewEnv(t, kit.Embedded)
	e.Vars["KEFU_QQ_API_BASE"] = fake.URL
	h := e.Start()
	h.ServesUI()
	adm := h.Admin()
	agent := adm.NewAgent("ui-qq@kefu.test", 5)
	app := fake.NewApp() // the bot on QQ's side; the admin binds it in the console

	shots := kit.ShotsDir(t)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_EMAIL=ui-qq@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_ADMIN_EMAIL=admin@kefu.test",
		"KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_QQ_APPID=" + app.AppID, "KEFU_QQ_SECRET=" + app.Secret,
		"KEFU_SHOTS=" + shots}, "e2e/qq.mjs")
	await := script.Args

	args := await("qq")
	if len(args) != 1 {
		t.Fatalf("qq step: %v", args)
	}
	url := h.Base + "/webhooks/qq/" + args[0]
	if err := qqtest.Validate(url, app); err != nil {
		t.Fatalf("the platform's address check of the URL the console showed: %v", err)
	}
	await("online")
	user, msgID := "UUI"+kit.RandHex(6), "ROBOT1.0_"+kit.RandHex(10)
	if r := fake.Push(url, app, qqtest.C2C(user, msgID, "在吗？ qq-first"), qqtest.Opts{}); !r.Acked() {
		t.Fatalf("push: %d %s", r.Status, r.Body)
	}
	script.Send(map[string]string{"text": "qq-first"})
	await("done")
	script.Finish()
	kit.Eventually(t, 15*time.Second, "the 5 replies reach QQ", func() bool { return len(fake.Sends()) == 5 })
	for i, s := range fake.Sends() {
		if s.To != user || s.MsgID != msgID || s.MsgSeq != i+1 {
			t.Errorf("answer %d: %+v, want to %s answering %s with msg_seq %d", i, s, user, msgID, i+1)
		}
	}
	convID := agent.ConversationOf(user, 5*time.Second)["id"].(string)
	if r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第 6 条"}); r.Status != 409 {
		t.Fatalf("a 6th reply after the UI used the quota: %d %s, want 409", r.Status, r.Body)
	}
}
