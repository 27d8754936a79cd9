package push_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
)

// The default client is the hub's guarded one: a webhook URL on an
// internal address is refused at dial time, once, not retried.
func TestDefaultClientRefusesInternalWebhooks(t *testing.T) {
	wh := pushtest.NewWebhook(t)
	p, err := push.New(push.Config{Webhook: wh.Config()}, push.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: "aa"}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 1 || !errors.Is(rs[0].Err, connectors.ErrPrivateAddress) || len(wh.Deliveries()) != 0 {
		t.Fatalf("result %+v, %d calls", rs[0], len(wh.Deliveries()))
	}
}

func TestUnreachableServiceIsRetriedThenFails(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	s := &sleeps{}
	p, err := push.New(push.Config{Webhook: &push.WebhookConfig{URL: down.URL, Secret: pushtest.NewWebhook(t).Secret}},
		push.Options{HTTPClient: http.DefaultClient, Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: "aa"}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 3 || len(s.got()) != 2 {
		t.Fatalf("result %+v, waits %v", rs[0], s.got())
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.FailNext(pushtest.Answer{Reason: "UNAVAILABLE"}, pushtest.Answer{Reason: "UNAVAILABLE"})
	ctx, cancel := context.WithCancel(context.Background())
	p, err := push.New(push.Config{FCM: fcm.Config()}, push.Options{HTTPClient: http.DefaultClient, FCMBase: fcm.URL,
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Send(ctx, []push.Target{{Platform: push.Android, Token: "t"}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 1 || !errors.Is(rs[0].Err, context.Canceled) {
		t.Fatalf("result %+v", rs[0])
	}
}

// A key file naming Google's token_uri, with OAuthBase pointing at a relay
// (the fake): the token request goes to the relay, the JWT's audience
// stays Google's.
func TestOAuthBaseKeepsTheAudience(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.Audience = "https://oauth2.googleapis.com/token"
	p, err := push.New(push.Config{FCM: fcm.Config()}, push.Options{HTTPClient: http.DefaultClient, FCMBase: fcm.URL, OAuthBase: fcm.URL})
	if err != nil {
		t.Fatal(err)
	}
	if rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "t"}}, note); rs[0].Outcome != push.Delivered || fcm.Grants() != 1 {
		t.Fatalf("result %+v, %d grants", rs[0], fcm.Grants())
	}
}

func TestManyTargetsShareOneAccessToken(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	targets := make([]push.Target, 40)
	for i := range targets {
		targets[i] = push.Target{Platform: push.Android, Token: pushtest.DeviceToken()}
	}
	for i, r := range p.Send(context.Background(), targets, note) {
		if r.Outcome != push.Delivered || r.Token != targets[i].Token {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if fcm.Grants() != 1 || len(fcm.Delivered()) != 40 {
		t.Fatalf("%d grants, %d delivered", fcm.Grants(), len(fcm.Delivered()))
	}
}

// memTokens is a shared token store, as the hub's database is for every
// process of a cluster.
type memTokens struct {
	mu sync.Mutex
	m  map[string]struct {
		tok string
		exp time.Time
	}
}

func (s *memTokens) PlatformToken(_ context.Context, name string) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.m[name]
	return v.tok, v.exp, nil
}

func (s *memTokens) SavePlatformToken(_ context.Context, name, tok string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = struct {
		tok string
		exp time.Time
	}{tok, exp}
	return nil
}

func (s *memTokens) DropPlatformToken(_ context.Context, name, tok string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[name].tok == tok {
		delete(s.m, name)
	}
	return nil
}

func TestTwoProcessesShareTheAccessToken(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	store := &memTokens{m: map[string]struct {
		tok string
		exp time.Time
	}{}}
	for range 2 {
		p, err := push.New(push.Config{FCM: fcm.Config()}, push.Options{HTTPClient: http.DefaultClient, FCMBase: fcm.URL, Tokens: store})
		if err != nil {
			t.Fatal(err)
		}
		if rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "t"}}, note); rs[0].Outcome != push.Delivered {
			t.Fatalf("%+v", rs[0])
		}
	}
	if fcm.Grants() != 1 {
		t.Fatalf("%d grants for two processes sharing a store, want 1", fcm.Grants())
	}
}

// The provider token is renewed once it is 40 minutes old (APNs refuses
// one older than an hour), not before.
func TestAPNsProviderTokenAgesOut(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	var mu sync.Mutex
	now := time.Now().Add(-50 * time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p, err := push.New(push.Config{APNs: ap.Config()}, push.Options{APNsBase: ap.URL, APNsClient: ap.Client(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tok := pushtest.DeviceToken()
	for _, step := range []time.Duration{0, 39 * time.Minute, 2 * time.Minute} {
		mu.Lock()
		now = now.Add(step)
		mu.Unlock()
		if rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: tok}}, note); rs[0].Outcome != push.Delivered {
			t.Fatalf("after %s: %+v", step, rs[0])
		}
	}
	if ap.ProviderTokens() != 2 {
		t.Fatalf("%d provider tokens, want the first kept 39 minutes and renewed at 41", ap.ProviderTokens())
	}
}

// A Retry-After longer than what is left of the send's time is not
// waited for: the caller's worker is freed.
func TestRetryStopsAtTheSendTimeout(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.FailNext(pushtest.Answer{Reason: "UNAVAILABLE", RetryAfter: 5 * time.Second})
	s := &sleeps{}
	p, err := push.New(push.Config{FCM: fcm.Config()}, push.Options{HTTPClient: http.DefaultClient, FCMBase: fcm.URL,
		Sleep: s.sleep, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "t"}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 1 || len(s.got()) != 0 || !strings.Contains(rs[0].Err.Error(), "deadline") {
		t.Fatalf("result %+v, waits %v", rs[0], s.got())
	}
}
