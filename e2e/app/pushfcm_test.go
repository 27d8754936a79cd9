package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestAppPushFCMAndAPNs: with FCM and APNs configured (their fakes, which
// check every request: OAuth grant, provider token, headers, payload), an
// agent's reply to a user who is away is one FCM message to their Android
// token and one APNs notification to their iPhone, with the reply as body
// and a badge; a token the service calls unregistered is removed.
func TestAppPushFCMAndAPNs(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		fcm, apns := pushtest.NewFCM(t), pushtest.NewAPNsCleartext(t)
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_FCM_API_BASE"], e.Vars["KEFU_APNS_API_BASE"] = fcm.URL, apns.URL
		h := e.Start()
		adm := h.Admin()
		c, secret := newApp(t, adm, h.Base, map[string]any{"push": map[string]any{
			"fcm": map[string]any{"service_account_json": fcm.ServiceAccountJSON()}, "apns": apns.Config()}})
		if b := string(adm.Must(200, "GET", "/api/v1/channels/"+c.AppKey, nil).Body); strings.Contains(b, "PRIVATE KEY") {
			t.Fatalf("the channel shows a push key: %s", b)
		}
		agent := adm.NewAgent("fcm-agent@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)
		ctx := context.Background()
		s, err := c.Identify(ctx, kefuapp.Identity{UserID: "f-1", UserHash: kefuapp.UserHash(secret, "f-1")})
		if err != nil {
			t.Fatal(err)
		}
		android, iphone := pushtest.DeviceToken(), pushtest.DeviceToken()
		if err := s.RegisterPush(ctx, "android", android); err != nil {
			t.Fatal(err)
		}
		if err := s.RegisterPush(ctx, "ios", iphone); err != nil {
			t.Fatal(err)
		}
		sent, err := s.Send(ctx, "f-m1", "订单问题")
		if err != nil {
			t.Fatal(err)
		}
		as.WaitFor("conversation.assigned", 15*time.Second, nil)
		agent.Must(201, "POST", "/api/v1/conversations/"+sent.ConversationID+"/messages", map[string]any{"content": "已退款"})
		kit.Eventually(t, 15*time.Second, "FCM and APNs", func() bool { return len(fcm.Delivered()) > 0 && len(apns.Delivered()) > 0 })
		time.Sleep(time.Second)
		f, a := fcm.Delivered(), apns.Delivered()
		if len(f) != 1 || f[0].Token != android || f[0].Body != "已退款" || f[0].Title != "fcm-agent" {
			t.Fatalf("FCM messages %+v", f)
		}
		if len(a) != 1 || a[0].Token != iphone || a[0].Body != "已退款" || a[0].Badge == nil || *a[0].Badge < 1 ||
			a[0].ThreadID != sent.ConversationID {
			t.Fatalf("APNs notifications %+v", a)
		}
		// The Android app was uninstalled: FCM says so, the token goes.
		fcm.Unregister(android)
		agent.Must(201, "POST", "/api/v1/conversations/"+sent.ConversationID+"/messages", map[string]any{"content": "请查收"})
		kit.Eventually(t, 15*time.Second, "the unregistered token removed", func() bool {
			r := adm.Must(200, "GET", "/api/v1/contacts/"+s.ContactID+"/app", nil)
			return strings.Contains(r.Str("app.push_result"), "1 invalid token(s) removed")
		})
		if n := len(apns.Delivered()); n != 2 {
			t.Fatalf("%d APNs notifications after two replies, want 2", n)
		}
		tokens, _ := kit.Dig(adm.Must(200, "GET", "/api/v1/contacts/"+s.ContactID+"/app", nil).JSONMap(t), "app", "push_tokens").([]any)
		if len(tokens) != 1 || kit.Dig(tokens[0], "platform") != "ios" {
			t.Fatalf("tokens left %v", tokens)
		}
	})
}
