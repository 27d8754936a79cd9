package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wecom/wecomtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIWecomKfChannel: the admin binds a 微信客服 account in the console
// (Chinese labels and limits, the URL, Token and EncodingAESKey to paste —
// which pass WeCom's URL check); for a customer the composer counts down
// the 48-hour window and 5 replies beside the rule, the replies reach
// WeCom through send_msg, and once they are used the composer is disabled
// and a sixth is a 409.
func TestUIWecomKfChannel(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	fake := wecomtest.New(t)
	e := kit.NewEnv(t, kit.Embedded)
	e.Vars["KEFU_WECOM_API_BASE"] = fake.URL
	h := e.Start()
	h.ServesUI()
	adm := h.Admin()
	agent := adm.NewAgent("ui-wecom@kefu.test", 5)
	acct := fake.NewAccount() // the account on WeCom's side; the admin binds it in the console

	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_EMAIL=ui-wecom@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_ADMIN_EMAIL=admin@kefu.test",
		"KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_KF_CORPID=" + acct.CorpID, "KEFU_KF_SECRET=" + acct.Secret,
		"KEFU_KF_OPENKFID=" + acct.OpenKfID, "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/wecom.mjs")
	args := script.Args("wecom")
	if len(args) != 3 {
		t.Fatalf("wecom step: %v", args)
	}
	url := h.Base + "/webhooks/wecom_kf/" + args[0]
	acct.Token, acct.EncodingAESKey = args[1], args[2] // pasted into WeCom's 回调配置
	fake.BindAccount(acct)
	if _, err := wecomtest.Verify(url, acct, wecomtest.Opts{}); err != nil {
		t.Fatalf("WeCom's URL check with the values the console showed: %v", err)
	}
	script.Args("online")
	user := "wmUI" + kit.RandHex(6)
	fake.Add(acct.OpenKfID, wecomtest.Text(fake.MsgID(), user, "在吗？ kf-first"))
	if r := fake.Notify(url, acct, wecomtest.Opts{}); !r.OK() {
		t.Fatalf("callback: %d %s", r.Status, r.Body)
	}
	script.Send(map[string]string{"text": "kf-first"})
	script.Args("done")
	script.Finish()
	kit.Eventually(t, 15*time.Second, "the 5 replies reach WeCom", func() bool { return len(fake.Sent()) == 5 })
	for i, s := range fake.Sent() {
		if s.To != user || s.OpenKfID != acct.OpenKfID || !strings.Contains(s.Text, "kf-") {
			t.Errorf("reply %d: %+v, want a text to %s from %s", i, s, user, acct.OpenKfID)
		}
	}
	convID := agent.ConversationOf(user, 5*time.Second)["id"].(string)
	if r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第 6 条"}); r.Status != 409 {
		t.Fatalf("a 6th reply after the UI used the quota: %d %s, want 409", r.Status, r.Body)
	}
}
