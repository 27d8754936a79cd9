package browser

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIAppCustomer: an app user (identified with traits and a device,
// a push token registered) writes; the agent sees the app facts beside the
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
	r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "app", "name": "商城 App",
		"config": map[string]any{"push": map[string]any{"webhook": wh.Config()}}})
	c := kefuapp.New(h.Base, r.Str("setup.app_key"))
	secret := r.Str("setup.identity_secret")

	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_EMAIL=ui-app@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/app.mjs")
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
