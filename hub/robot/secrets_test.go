package robot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/robot"
	"github.com/kefu-hub/kefu/hub/secrets"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// TestBotSecretSealed: a channel's bot secret is sealed in its row, read
// back in clear by the admin, kept when the settings change without it,
// and re-sealed by ResealSecrets under a new key.
func TestBotSecretSealed(t *testing.T) {
	a, b := secrets.NewKey(), secrets.NewKey()
	storetest.Each(t, store.Options{Keys: storetest.Ring(t, a)}, func(t *testing.T, d storetest.Dialect) {
		ctx := context.Background()
		h := hubtest.Build(d.Store)
		f := h.NewTenant(t)
		const secret = "whsec_Ym90LXNlY3JldC12YWx1ZQ=="
		s := robot.Settings{Mode: robot.ModeOff, MaxMisses: 2, WebhookURL: "https://bot.example.com/ask", WebhookSecret: secret}
		if _, err := h.Robot.SetSettings(ctx, f.Admin.TenantID, f.Channel.ID, s); err != nil {
			t.Fatal(err)
		}
		raw := func(k *store.Store) string {
			var v string
			if err := k.Get(ctx, &v, `SELECT webhook_secret FROM robot_settings WHERE channel_id = ?`, f.Channel.ID); err != nil {
				t.Fatal(err)
			}
			return v
		}
		if v := raw(d.Store); strings.Contains(v, "Ym90LXNlY3JldC12YWx1ZQ") || !secrets.Sealed(v) {
			t.Fatalf("stored %q, want it sealed", v)
		}
		s.WebhookSecret, s.Greeting = "", "您好"
		if got, err := h.Robot.SetSettings(ctx, f.Admin.TenantID, f.Channel.ID, s); err != nil || got.WebhookSecret != secret {
			t.Fatalf("a change without the secret: %+v %v, want the secret kept", got, err)
		}
		if n, err := robot.ResealSecrets(ctx, d.Store); err != nil || n != 0 {
			t.Errorf("ResealSecrets with the same key: %d, %v", n, err)
		}
		rotated, err := store.Open(ctx, d.URL, d.Dir, store.Options{Keys: storetest.Ring(t, b, a)})
		if err != nil {
			t.Fatal(err)
		}
		defer rotated.Close()
		if n, err := robot.ResealSecrets(ctx, rotated); err != nil || n != 1 {
			t.Fatalf("rotation: ResealSecrets = %d, %v", n, err)
		}
		if v := raw(d.Store); !strings.HasPrefix(v, storetest.Ring(t, b).CurrentPrefix()) {
			t.Fatalf("after rotation the row holds %q", v)
		}
		if got, err := hubtest.Build(rotated).Robot.Settings(ctx, f.Admin.TenantID, f.Channel.ID); err != nil || got.WebhookSecret != secret {
			t.Errorf("read with the new key: %+v %v", got, err)
		}
	})
}
