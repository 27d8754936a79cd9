package pushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
)

// APNs is a fake of Apple's push service, token-based: HTTP/2 only,
// POST /3/device/{token}, an ES256 provider token checked with the key's
// public half, the apns-* headers and the payload checked as APNs checks
// them. Point push.Options.APNsBase at URL and use Client (or, for the
// cleartext fake, any HTTP/2 client such as push.NewAPNsClient).
type APNs struct {
	checker
	queue
	URL                     string
	TeamID, KeyID, BundleID string

	key *ecdsa.PrivateKey
	srv *httptest.Server

	mu           sync.Mutex
	unregistered map[string]time.Time
	notes        []APNsNotification
	bearers      map[string]bool // provider tokens seen → expired
}

// APNsNotification is one request the fake answered.
type APNsNotification struct {
	Token                             string
	Title, Body                       string
	Badge                             *int
	Sound, ThreadID                   string
	Topic, PushType, Priority, APNsID string
	CollapseID                        string
	Expiration                        int64
	// Custom are the payload's keys beside aps.
	Custom map[string]any
	// Status is what the fake answered (200 delivered) and Reason its reason.
	Status int
	Reason string
	At     time.Time

	retryAfter time.Duration
}

// NewAPNs starts the fake over TLS with HTTP/2, as APNs runs; Client
// trusts its certificate. It stops when the test ends.
func NewAPNs(t testing.TB) *APNs {
	a := newAPNs(t)
	a.srv.EnableHTTP2 = true
	a.srv.StartTLS()
	a.URL = a.srv.URL
	return a
}

// NewAPNsCleartext starts the fake speaking HTTP/2 without TLS (prior
// knowledge), for a hub process that cannot be told to trust a test
// certificate: KEFU_APNS_API_BASE=URL (http://…).
func NewAPNsCleartext(t testing.TB) *APNs {
	a := newAPNs(t)
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	a.srv.Config.Protocols = &p
	a.srv.Start()
	a.URL = a.srv.URL
	return a
}

func newAPNs(t testing.TB) *APNs {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := &APNs{TeamID: "TEAM" + strings.ToUpper(randHex(3)), KeyID: "KEY" + strings.ToUpper(randHex(4))[:7],
		BundleID: "com.example.kefu", key: k, unregistered: map[string]time.Time{}, bearers: map[string]bool{}}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	a.cleanup(t, "APNs")
	return a
}

// Client is an HTTP/2 client that trusts the fake (TLS) or speaks
// cleartext HTTP/2 to it.
func (a *APNs) Client() *http.Client {
	if a.srv.TLS != nil {
		return a.srv.Client()
	}
	return push.NewAPNsClient()
}

// PrivateKeyP8 is the auth key as the developer portal's .p8 file.
func (a *APNs) PrivateKeyP8() string {
	der, _ := x509.MarshalPKCS8PrivateKey(a.key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// Config is the push config of the fake's team, key and app.
func (a *APNs) Config() *push.APNsConfig {
	return &push.APNsConfig{TeamID: a.TeamID, KeyID: a.KeyID, PrivateKeyP8: a.PrivateKeyP8(), BundleID: a.BundleID}
}

// Notifications are every request answered, in order.
func (a *APNs) Notifications() []APNsNotification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]APNsNotification(nil), a.notes...)
}

// Delivered are the notifications answered 200.
func (a *APNs) Delivered() []APNsNotification {
	var out []APNsNotification
	for _, n := range a.Notifications() {
		if n.Status == http.StatusOK {
			out = append(out, n)
		}
	}
	return out
}

// ProviderTokens is how many different provider tokens were used.
func (a *APNs) ProviderTokens() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.bearers)
}

// Unregister makes a device token answer 410 Unregistered.
func (a *APNs) Unregister(token string) {
	a.mu.Lock()
	a.unregistered[token] = time.Now()
	a.mu.Unlock()
}

// ExpireProviderTokens makes every provider token used so far answer 403
// ExpiredProviderToken.
func (a *APNs) ExpireProviderTokens() {
	a.mu.Lock()
	for t := range a.bearers {
		a.bearers[t] = true
	}
	a.mu.Unlock()
}
