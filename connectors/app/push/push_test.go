package push_test

import (
	"context"
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
	targets := []push.Target{{push.IOS, "aa01"}, {push.Android, "fcm-1"}, {push.MiniProgram, "openid-1"}}
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
	rs := p.Send(context.Background(), []push.Target{{push.Android, "fresh"}, {push.Android, "stale"}}, note)
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
	rs := p.Send(context.Background(), []push.Target{{push.IOS, "aa"}}, note)
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
	rs := p.Send(context.Background(), []push.Target{{push.IOS, "aa"}}, note)
	if rs[0].Outcome != push.Failed || len(wh.Delivered()) != 0 || len(wh.Problems()) != 1 {
		t.Fatalf("result %+v, problems %v: a wrong signature must be refused", rs[0], wh.Problems())
	}
}

func TestRouting(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	targets := []push.Target{{push.IOS, "t-ios"}, {push.Harmony, "t-hm"}, {push.Web, "t-web"},
		{push.MiniProgram, "openid"}, {"symbian", "x"}, {push.Android, ""}}
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
	rs := p.Send(context.Background(), []push.Target{{push.IOS, "aa"}, {push.Android, "b"}}, note)
	for _, r := range rs {
		if r.Outcome != push.Failed || !errors.Is(r.Err, push.ErrNoSender) || r.Attempts != 0 {
			t.Fatalf("%+v", r)
		}
	}
}
