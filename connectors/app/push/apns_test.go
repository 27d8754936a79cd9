package push_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
)

func TestAPNsSendsOverHTTP2WithOneProviderToken(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	p, _ := newPusher(t, push.Config{APNs: ap.Config()}, ap, nil)
	tok := pushtest.DeviceToken()
	for range 2 {
		rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: tok}}, note)
		if rs[0].Outcome != push.Delivered || rs[0].Via != push.ViaAPNs || rs[0].Attempts != 1 {
			t.Fatalf("result %+v", rs[0])
		}
	}
	if ap.ProviderTokens() != 1 {
		t.Fatalf("%d provider tokens for two sends, want one reused", ap.ProviderTokens())
	}
	n := ap.Delivered()[0]
	if n.Token != tok || n.Title != note.Title || n.Body != note.Body || n.Badge == nil || *n.Badge != 3 || n.Sound != "default" ||
		n.ThreadID != "conv_7" || n.CollapseID != "conv_7" || n.Topic != ap.BundleID || n.Priority != "10" || n.PushType != "alert" {
		t.Fatalf("notification %+v", n)
	}
	if n.Custom["conversation_id"] != "conv_7" || n.Custom["kind"] != "message" {
		t.Fatalf("custom keys %v", n.Custom)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(n.APNsID) ||
		n.APNsID != ap.Delivered()[1].APNsID {
		t.Fatalf("apns-id %q: want a UUID derived from the notification id, the same each time", n.APNsID)
	}
	if left := time.Until(time.Unix(n.Expiration, 0)); left < 23*time.Hour || left > 25*time.Hour {
		t.Fatalf("apns-expiration in %s, want the 24h TTL", left)
	}
}

func TestAPNsInvalidTokens(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	gone, ok := pushtest.DeviceToken(), pushtest.DeviceToken()
	ap.Unregister(gone)
	p, _ := newPusher(t, push.Config{APNs: ap.Config()}, ap, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: gone}, {Platform: push.IOS, Token: "not/a/token"}, {Platform: push.IOS, Token: ok}}, note)
	if got := outcomes(rs); got != "ios:apns:invalid_token ios:apns:invalid_token ios:apns:delivered" {
		t.Fatalf("outcomes %s", got)
	}
	var pe *push.Error
	if pe, _ = rs[0].Err.(*push.Error); pe == nil || pe.Status != http.StatusGone || pe.Reason != "Unregistered" {
		t.Fatalf("err %v", rs[0].Err)
	}
}

func TestAPNsRenewsAnExpiredProviderTokenOnce(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	p, _ := newPusher(t, push.Config{APNs: ap.Config()}, ap, nil)
	tok := pushtest.DeviceToken()
	p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: tok}}, note)
	ap.ExpireProviderTokens()
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: tok}}, note)
	if rs[0].Outcome != push.Delivered || ap.ProviderTokens() != 2 {
		t.Fatalf("result %+v, %d provider tokens", rs[0], ap.ProviderTokens())
	}
	if ns := ap.Notifications(); len(ns) != 3 || ns[1].Reason != "ExpiredProviderToken" {
		t.Fatalf("requests %+v", ns)
	}
}

func TestAPNsRetriesTooManyRequests(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	ap.FailNext(pushtest.Answer{Status: 429, Reason: "TooManyRequests"}, pushtest.Answer{Status: 503, Reason: "ServiceUnavailable", RetryAfter: 5 * time.Second})
	p, s := newPusher(t, push.Config{APNs: ap.Config()}, ap, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: pushtest.DeviceToken()}}, note)
	if rs[0].Outcome != push.Delivered || rs[0].Attempts != 3 {
		t.Fatalf("result %+v", rs[0])
	}
	if w := s.got(); len(w) != 2 || w[0] != 500*time.Millisecond || w[1] != 5*time.Second {
		t.Fatalf("waited %v", w)
	}
}

func TestAPNsRetryAfterBeyondTheBoundGivesUp(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	ap.FailNext(pushtest.Answer{Status: 429, Reason: "TooManyRequests", RetryAfter: time.Hour})
	p, s := newPusher(t, push.Config{APNs: ap.Config()}, ap, nil)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: pushtest.DeviceToken()}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 1 || len(s.got()) != 0 || !strings.Contains(rs[0].Err.Error(), "TooManyRequests") {
		t.Fatalf("result %+v", rs[0])
	}
}

func TestAPNsLongBodyStillFits(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	p, _ := newPusher(t, push.Config{APNs: ap.Config()}, ap, nil)
	n := note
	n.Body = strings.Repeat("您的订单", 2000)
	n.CollapseID = strings.Repeat("c", 100)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: pushtest.DeviceToken()}}, n)
	if rs[0].Outcome != push.Delivered {
		t.Fatalf("result %+v", rs[0])
	}
	got := ap.Delivered()[0]
	if !strings.HasPrefix(got.Body, "您的订单您的订单") || !strings.HasSuffix(got.Body, "…") || len(got.CollapseID) != 64 {
		t.Fatalf("body %d bytes, collapse id %q", len(got.Body), got.CollapseID)
	}
}

// The cleartext fake is what a hub process under test talks to
// (KEFU_APNS_API_BASE=http://…): the default client speaks HTTP/2 to it.
func TestAPNsCleartextHTTP2WithTheDefaultClient(t *testing.T) {
	ap := pushtest.NewAPNsCleartext(t)
	p, err := push.New(push.Config{APNs: ap.Config()}, push.Options{APNsBase: ap.URL})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: pushtest.DeviceToken()}}, note)
	if rs[0].Outcome != push.Delivered {
		t.Fatalf("result %+v", rs[0])
	}
}

// An unanswered request's error names neither the URL nor the device
// token (agents see the last result).
func TestAPNsTransportErrorHidesTheToken(t *testing.T) {
	ap := pushtest.NewAPNs(t)
	p, err := push.New(push.Config{APNs: ap.Config()}, push.Options{APNsBase: "http://127.0.0.1:1", Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	tok := pushtest.DeviceToken()
	rs := p.Send(context.Background(), []push.Target{{Platform: push.IOS, Token: tok}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 3 || strings.Contains(rs[0].Err.Error(), tok[:16]) {
		t.Fatalf("result %+v", rs[0])
	}
}
