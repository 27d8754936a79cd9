package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
)

// sleeps records the waits between retries instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newPusher builds a pusher for the fakes given; HTTP clients trust them.
func newPusher(t *testing.T, cfg push.Config, ap *pushtest.APNs, fcm *pushtest.FCM) (*push.Pusher, *sleeps) {
	t.Helper()
	s := &sleeps{}
	opts := push.Options{HTTPClient: http.DefaultClient, Sleep: s.sleep}
	if ap != nil {
		opts.APNsBase, opts.APNsClient = ap.URL, ap.Client()
	}
	if fcm != nil {
		opts.FCMBase = fcm.URL
	}
	p, err := push.New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p, s
}

var note = push.Notification{ID: "msg_42", ConversationID: "conv_7", Title: "客服小王", Body: "您好，订单已发货",
	Badge: 3, CollapseID: "conv_7", Data: map[string]string{"kind": "message"}}

func outcomes(rs []push.Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Platform + ":" + r.Via + ":" + r.Outcome.String() + " ")
	}
	return strings.TrimSpace(b.String())
}

func TestWebhookOneSignedCallCarriesEveryTarget(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	p, _ := newPusher(t, push.Config{Webhook: wh.Config()}, nil, nil)
	targets := []push.Target{{Platform: push.IOS, Token: "aa01"}, {Platform: push.Android, Token: "fcm-1"}, {Platform: push.MiniProgram, Token: "openid-1"}}
	rs := p.Send(context.Background(), targets, note)
	if got := outcomes(rs); got != "ios:webhook:delivered android:webhook:delivered miniprogram:webhook:delivered" {
		t.Fatalf("outcomes %s", got)
	}
	ds := wh.Delivered()
	if len(ds) != 1 {
		t.Fatalf("%d webhook calls, want one for all targets", len(ds))
	}
	d := ds[0].Body.Data
	if ds[0].ID != "push_msg_42" || d.Title != note.Title || d.Body != note.Body || d.Badge != 3 || d.CollapseID != "conv_7" ||
		d.ConversationID != "conv_7" || d.Data["kind"] != "message" || len(d.Targets) != 3 || d.Targets[2].Token != "openid-1" {
		t.Fatalf("webhook got id %q %+v", ds[0].ID, d)
	}
}

func TestWebhookRetriesWithTheSameIDThenReportsInvalidTokens(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	wh.FailNext(pushtest.Answer{Status: 503, Reason: "busy", RetryAfter: 2 * time.Second})
	wh.Invalidate("stale")
	p, s := newPusher(t, push.Config{Webhook: wh.Config()}, nil, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "fresh"}, {Platform: push.Android, Token: "stale"}}, note)
	if got := outcomes(rs); got != "android:webhook:delivered android:webhook:invalid_token" {
		t.Fatalf("outcomes %s", got)
	}
	all := wh.Deliveries()
	if len(all) != 2 || all[0].Status != 503 || all[0].ID != all[1].ID || rs[0].Attempts != 2 {
		t.Fatalf("calls %+v, attempts %d: want a 503 then a retry with the same webhook-id", all, rs[0].Attempts)
	}
	if w := s.got(); len(w) != 1 || w[0] != 2*time.Second {
		t.Fatalf("waited %v, want Retry-After's 2s", w)
	}
}

func TestWebhookRefusalIsNotRetried(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	wh.FailNext(pushtest.Answer{Status: 400, Reason: "unknown app"})
	p, _ := newPusher(t, push.Config{Webhook: wh.Config()}, nil, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: "aa"}}, note)
	var pe *push.Error
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 1 || !errors.As(rs[0].Err, &pe) || pe.Status != 400 {
		t.Fatalf("result %+v", rs[0])
	}
}

func TestWebhookSignatureFailsWithAnotherSecret(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	wh.ExpectProblems()
	other := pushtest.NewWebhook(t)
	p, _ := newPusher(t, push.Config{Webhook: &push.WebhookConfig{URL: wh.URL, Secret: other.Secret}}, nil, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: "aa"}}, note)
	if rs[0].Outcome != push.Failed || len(wh.Delivered()) != 0 || len(wh.Problems()) != 1 {
		t.Fatalf("result %+v, problems %v: a wrong signature must be refused", rs[0], wh.Problems())
	}
}

func TestRouting(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	targets := []push.Target{{Platform: push.IOS, Token: "t-ios"}, {Platform: push.Harmony, Token: "t-hm"}, {Platform: push.Web, Token: "t-web"},
		{Platform: push.MiniProgram, Token: "openid"}, {Platform: "symbian", Token: "x"}, {Platform: push.Android, Token: ""}}
	rs := p.Send(context.Background(), targets, note)
	want := "ios:fcm:delivered harmony:fcm:delivered web:fcm:delivered miniprogram::failed symbian::failed android::failed"
	if got := outcomes(rs); got != want {
		t.Fatalf("outcomes\n got %s\nwant %s", got, want)
	}
	if !errors.Is(rs[3].Err, push.ErrNoSender) || !errors.Is(rs[4].Err, push.ErrPlatform) || !errors.Is(rs[5].Err, push.ErrNoToken) {
		t.Fatalf("errors %v / %v / %v", rs[3].Err, rs[4].Err, rs[5].Err)
	}
	if len(fcm.Delivered()) != 3 {
		t.Fatalf("fcm got %d", len(fcm.Delivered()))
	}
}

func TestNothingConfiguredFailsEveryTarget(t *testing.T) {
	p, _ := newPusher(t, push.Config{}, nil, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: "aa"}, {Platform: push.Android, Token: "b"}}, note)
	for _, r := range rs {
		if r.Outcome != push.Failed || !errors.Is(r.Err, push.ErrNoSender) || r.Attempts != 0 {
			t.Fatalf("%+v", r)
		}
	}
}

func TestProviderPicksTheSender(t *testing.T) {
	fcm, ap := pushtest.NewFCM(t), pushtest.NewAPNs(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config(), APNs: ap.Config()}, ap, fcm)
	targets := []push.Target{{Platform: push.IOS, Token: pushtest.DeviceToken()}, {Platform: push.IOS, Token: "fcm-on-ios", Provider: "fcm"},
		{Platform: push.Android, Token: "x", Provider: "webhook"}}
	rs := p.Send(context.Background(), targets, note)
	if got := outcomes(rs); got != "ios:apns:delivered ios:fcm:delivered android::failed" {
		t.Fatalf("outcomes %s", got)
	}
	if len(ap.Delivered()) != 1 || len(fcm.Delivered()) != 1 || fcm.Delivered()[0].Token != "fcm-on-ios" {
		t.Fatalf("apns %d, fcm %+v", len(ap.Delivered()), fcm.Delivered())
	}
}

func TestPushersKeepOnePusherPerConfig(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	s := push.NewPushers(push.Options{HTTPClient: http.DefaultClient})
	raw, _ := json.Marshal(push.Config{Webhook: wh.Config()})
	a, err := s.For("ch_1", raw)
	b, _ := s.For("ch_1", raw)
	if err != nil || a != b {
		t.Fatalf("For twice: %p %p %v", a, b, err)
	}
	raw2, _ := json.Marshal(push.Config{Webhook: &push.WebhookConfig{URL: wh.URL + "?v=2", Secret: wh.Secret}})
	if c, _ := s.For("ch_1", raw2); c == a {
		t.Fatal("a changed config kept the old pusher")
	}
	rs := s.Send(context.Background(), "ch_2", json.RawMessage(`{"apns":{"team_id":"x"}}`), []push.Target{{Platform: push.IOS, Token: "aa"}}, note)
	if rs[0].Outcome != push.Failed || !errors.Is(rs[0].Err, push.ErrConfig) {
		t.Fatalf("bad config: %+v", rs[0])
	}
	if rs := s.Send(context.Background(), "ch_1", raw2, []push.Target{{Platform: push.Web, Token: "w"}}, note); rs[0].Outcome != push.Delivered {
		t.Fatalf("%+v", rs[0])
	}
}

func TestWebhookLeavesOutTargetsThatCannotBe(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	p, _ := newPusher(t, push.Config{Webhook: wh.Config()}, nil, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Web, Token: ""}, {Platform: "symbian", Token: "s"},
		{Platform: push.MiniProgram, Token: "openid-9"}}, note)
	if got := outcomes(rs); got != "web::failed symbian::failed miniprogram:webhook:delivered" {
		t.Fatalf("outcomes %s", got)
	}
	if ts := wh.Delivered()[0].Body.Data.Targets; len(ts) != 1 || ts[0].Token != "openid-9" {
		t.Fatalf("webhook targets %+v", ts)
	}
	if rs := p.Send(context.Background(), []push.Target{{Platform: push.Web, Token: ""}}, note); len(wh.Deliveries()) != 1 || rs[0].Outcome != push.Failed {
		t.Fatalf("a call with no valid target was made: %+v", rs[0])
	}
}
