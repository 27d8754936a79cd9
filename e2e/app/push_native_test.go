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

// TestAppNativePush: an app channel that pushes through FCM and APNs
// themselves (the fakes, reached through KEFU_FCM_API_BASE and
// KEFU_APNS_API_BASE — APNs as cleartext HTTP/2): an agent's reply to a
// user without a socket is exactly one notification per device, each
// request as the service checks it (OAuth JWT, ES256 provider token,
// headers, payload, badge, collapse id); a device APNs says is gone is
// removed while the other keeps getting pushes.
func TestAppNativePush(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		fcm, apns := pushtest.NewFCM(t), pushtest.NewAPNsCleartext(t)
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_FCM_API_BASE"], e.Vars["KEFU_APNS_API_BASE"] = fcm.URL, apns.URL
		h := e.Start()
		adm := h.Admin()
		// A key that is no APNs key is refused when the channel is saved, by name.
		bad := apns.Config()
		bad.PrivateKeyP8 = fcm.Config().ServiceAccountJSON
		if r := adm.Do("POST", "/api/v1/channels", map[string]any{"type": "app", "name": "坏配置",
			"config": map[string]any{"push": map[string]any{"apns": bad}}}); r.Status != 400 || !strings.Contains(string(r.Body), "apns.private_key_p8") {
			t.Fatalf("a bad .p8 key: %d %s", r.Status, r.Body)
		}
		c, secret := newApp(t, adm, h.Base, map[string]any{"push": map[string]any{"fcm": fcm.Config(), "apns": apns.Config()}})
		if cfg := adm.Must(200, "GET", "/api/v1/channels/"+c.AppKey, nil); strings.Contains(string(cfg.Body), "PRIVATE KEY") ||
			cfg.Str("channel.config.push.apns.team_id") != apns.TeamID {
			t.Fatalf("channel config shows a key or lost the team: %s", cfg.Body)
		}
		agent := adm.NewAgent("native-push@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)
		ctx := context.Background()
		user, err := c.Identify(ctx, kefuapp.Identity{UserID: "n-1", UserHash: kefuapp.UserHash(secret, "n-1")})
		if err != nil {
			t.Fatal(err)
		}
		iosTok, androidTok := pushtest.DeviceToken(), "fcm-"+kit.RandHex(20)
		for _, d := range [][2]string{{"ios", iosTok}, {"android", androidTok}} {
			if err := user.RegisterPush(ctx, d[0], d[1]); err != nil {
				t.Fatal(err)
			}
		}
		sent, err := user.Send(ctx, "n-m1", "发票怎么开")
		if err != nil {
			t.Fatal(err)
		}
		as.WaitFor("conversation.assigned", 15*time.Second, nil)
		reply := func(text string) {
			agent.Must(201, "POST", "/api/v1/conversations/"+sent.ConversationID+"/messages", map[string]any{"content": text})
		}

		reply("请在订单页申请")
		kit.Eventually(t, 15*time.Second, "an APNs and an FCM push", func() bool {
			return len(apns.Delivered()) > 0 && len(fcm.Delivered()) > 0
		})
		time.Sleep(time.Second) // a second push would come now
		an, fm := apns.Delivered(), fcm.Delivered()
		if len(an) != 1 || len(fm) != 1 {
			t.Fatalf("%d APNs and %d FCM pushes for one reply, want one each", len(an), len(fm))
		}
		if n := an[0]; n.Token != iosTok || n.Body != "请在订单页申请" || n.Title != "native-push" || n.Badge == nil || *n.Badge < 1 ||
			n.ThreadID != sent.ConversationID || n.CollapseID == "" || n.Topic != apns.BundleID {
			t.Fatalf("APNs push %+v", n)
		}
		if f := fm[0]; f.Token != androidTok || f.Body != "请在订单页申请" || f.NotificationCount < 1 ||
			f.Data["conversation_id"] != sent.ConversationID || f.CollapseKey == "" {
			t.Fatalf("FCM push %+v", f)
		}

		// The iPhone's app was removed: APNs answers 410 and the token goes;
		// the Android device still gets the next reply.
		apns.Unregister(iosTok)
		reply("还有别的问题吗")
		kit.Eventually(t, 15*time.Second, "the gone token removed", func() bool {
			return strings.Contains(adm.Must(200, "GET", "/api/v1/contacts/"+user.ContactID+"/app", nil).Str("app.push_result"), "invalid token")
		})
		reply("祝您愉快")
		kit.Eventually(t, 15*time.Second, "the Android push", func() bool {
			return len(fcm.Delivered()) == 3
		})
		for _, n := range apns.Notifications() {
			if n.Body == "祝您愉快" {
				t.Fatal("a removed token was pushed to")
			}
		}
		if fcm.Grants() != 1 || apns.ProviderTokens() != 1 {
			t.Fatalf("%d OAuth grants, %d provider tokens: each should be kept and reused", fcm.Grants(), apns.ProviderTokens())
		}
	})
}
