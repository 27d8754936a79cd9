package robot_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/robot"
)

// TestWebhookSettingsValidated: a bot URL must be https:// (http:// only
// when the hub allows private callbacks), pass the hub's URL check, and
// the time limit stays within 10 s; a hub without the provider refuses it.
func TestWebhookSettingsValidated(t *testing.T) {
	h := hubtest.Open(t, "sqlite")
	f := h.NewTenant(t)
	ctx := context.Background()
	deps := robot.WebhookDeps{HTTP: http.DefaultClient, NewSecret: func() string { return "whsec_dGVzdA==" },
		Sign: func(http.Header, string, string, time.Time, []byte) error { return nil },
		CheckURL: func(_ context.Context, raw string) error {
			if strings.Contains(raw, "169.254.169.254") {
				return errors.New("address is loopback, private or otherwise internal")
			}
			return nil
		}}
	bot := robot.New(h.K, robot.Deps{Convs: h.Conversations, Channel: h.Channels.Get, Brain: robot.KB{Store: h.KB}, Webhook: deps})
	set := func(r *robot.Robot, url string, ms int) error {
		_, err := r.SetSettings(ctx, f.Admin.TenantID, f.Channel.ID, robot.Settings{Mode: robot.ModeFirst, MaxMisses: 2,
			Provider: robot.ProviderWebhook, WebhookURL: url, WebhookTimeoutMS: ms})
		return err
	}
	for _, c := range []struct {
		url  string
		ms   int
		want string
	}{
		{"http://bot.example.com/ask", 0, "https"},
		{"https://169.254.169.254/latest", 0, "internal"},
		{"https://bot.example.com/ask", 20000, "webhook_timeout_ms"},
		{"", 0, "webhook_url is required"},
	} {
		if err := set(bot, c.url, c.ms); !errors.As(err, new(*hub.InvalidError)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (%d ms): %v, want an invalid error saying %q", c.url, c.ms, err, c.want)
		}
	}
	if err := set(bot, "https://bot.example.com/ask", 0); err != nil {
		t.Fatal(err)
	}
	s, err := bot.Settings(ctx, f.Admin.TenantID, f.Channel.ID)
	if err != nil || s.WebhookSecret != "whsec_dGVzdA==" || s.WebhookTimeoutMS != 3000 {
		t.Errorf("saved: %+v %v", s, err)
	}
	if err := set(h.Robot, "https://bot.example.com/ask", 0); !errors.As(err, new(*hub.InvalidError)) {
		t.Errorf("a hub without the provider: %v", err)
	}
}
