package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIAppCustomer: the admin creates an app channel in the console with
// a push webhook; an app user (identified with traits and a device, a push
// token registered) writes; the agent sees the app facts beside the
// conversation, replies while the app is closed, and the panel shows the
// one push that went to the company's push service.
func TestUIAppCustomer(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	wh := pushtest.NewWebhook(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.NewAgent("ui-app@kefu.test", 5)

	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_EMAIL=ui-app@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_ADMIN_EMAIL=admin@kefu.test",
		"KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_PUSH_URL=" + wh.URL, "KEFU_PUSH_SECRET=" + wh.Secret,
		"KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/app.mjs")
	args := script.Args("app")
	if len(args) != 2 {
		t.Fatalf("app step: %v", args)
	}
	c, secret := kefuapp.New(h.Base, args[0]), args[1]
	if cfg := adm.Must(200, "GET", "/api/v1/channels/"+args[0], nil); cfg.Str("channel.config.push.webhook.url") != wh.URL ||
		strings.Contains(string(cfg.Body), wh.Secret) {
		t.Fatalf("the console's channel: %s", cfg.Body)
	}
	script.Args("online")
	ctx := context.Background()
	s, err := c.Identify(ctx, kefuapp.Identity{UserID: "ui-1", UserHash: kefuapp.UserHash(secret, "ui-1"), Name: "App 客户",
		Traits: map[string]any{"plan": "pro", "note": "<img src=x onerror=alert(1)>"},
		Device: &kefuapp.Device{Platform: "ios", OS: "iOS 18.1", AppVersion: "3.2.0", Model: "iPhone15,2"}})
	if err != nil {
		t.Fatal(err)
	}
	token := pushtest.DeviceToken()
	if err := s.RegisterPush(ctx, "ios", token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, "ui-m1", "App 里的问题 app-first"); err != nil {
		t.Fatal(err)
	}
	script.Send(map[string]string{"text": "app-first", "tokenTail": token[len(token)-6:]})
	script.Args("seen")
	script.Send(map[string]string{"text": "已为您处理 app-reply"})
	script.Args("replied")
	kit.Eventually(t, 15*time.Second, "the push", func() bool { return len(wh.Delivered()) == 1 })
	script.Send(map[string]string{})
	script.Args("done")
	script.Finish()
	if d := wh.Delivered(); len(d) != 1 || d[0].Body.Data.Body != "已为您处理 app-reply" || d[0].Body.Data.Targets[0].Token != token {
		t.Fatalf("pushes %+v", d)
	}
}
