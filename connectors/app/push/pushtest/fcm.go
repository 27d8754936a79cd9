package pushtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
)

// FCM is a fake of Google's OAuth 2.0 token endpoint (POST /token, the
// JWT bearer grant) and FCM HTTP v1 (POST /v1/projects/{id}/messages:send).
// Point push.Options.FCMBase at URL; ServiceAccountJSON names URL+"/token"
// as its token_uri (see Audience).
type FCM struct {
	checker
	queue
	URL                               string
	ProjectID, ClientEmail, PrivKeyID string
	// AccessTokenTTL is the expires_in of the tokens it hands out.
	AccessTokenTTL time.Duration
	// Audience is the token_uri its key files name and the aud it wants;
	// default TokenURI. Set it to Google's to test a relay
	// (push.Options.OAuthBase) that forwards to the fake.
	Audience string

	key *rsa.PrivateKey
	srv *httptest.Server

	grantErrs    queue
	mu           sync.Mutex
	access       map[string]time.Time // access token → expiry
	unregistered map[string]bool
	invalid      map[string]bool
	msgs         []FCMMessage
	grants       int
}

// FCMMessage is one messages:send request the fake answered.
type FCMMessage struct {
	Token       string
	Title, Body string
	Data        map[string]string
	// Android options.
	CollapseKey, Priority, TTL string
	Tag                        string
	NotificationCount          int
	// APNs options (for iOS devices reached through FCM).
	APNsHeaders map[string]string
	APNsPayload map[string]any
	// WebpushHeaders are the Web Push options.
	WebpushHeaders map[string]string
	// Status is what the fake answered (200 delivered).
	Status int
	Reason string
	At     time.Time
}

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// NewFCM starts the fake; it stops when the test ends.
func NewFCM(t testing.TB) *FCM {
	f := &FCM{ProjectID: "kefu-test-" + randHex(3), ClientEmail: "push@kefu-test.iam.gserviceaccount.com",
		PrivKeyID: randHex(20), AccessTokenTTL: time.Hour, key: rsaKey(), access: map[string]time.Time{},
		unregistered: map[string]bool{}, invalid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", f.token)
	mux.HandleFunc("/v1/projects/{project}/{send}", f.send)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	f.cleanup(t, "FCM")
	return f
}

// TokenURI is the fake's token endpoint.
func (f *FCM) TokenURI() string { return f.URL + "/token" }

func (f *FCM) audience() string {
	if f.Audience != "" {
		return f.Audience
	}
	return f.TokenURI()
}

// ServiceAccountJSON is a key file for the fake's project, as the Firebase
// console hands it out.
func (f *FCM) ServiceAccountJSON() string {
	der, _ := x509.MarshalPKCS8PrivateKey(f.key)
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": f.ProjectID, "private_key_id": f.PrivKeyID,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": f.ClientEmail, "client_id": "1" + randHex(10)[:20],
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": f.audience(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
	})
	return string(b)
}

// Config is the push config of the fake's project.
func (f *FCM) Config() *push.FCMConfig {
	return &push.FCMConfig{ServiceAccountJSON: f.ServiceAccountJSON()}
}

// Messages are every messages:send request answered, in order.
func (f *FCM) Messages() []FCMMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FCMMessage(nil), f.msgs...)
}

// Delivered are the messages answered 200.
func (f *FCM) Delivered() []FCMMessage {
	var out []FCMMessage
	for _, m := range f.Messages() {
		if m.Status == http.StatusOK {
			out = append(out, m)
		}
	}
	return out
}

// Grants is how many access tokens the token endpoint handed out.
func (f *FCM) Grants() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.grants
}

// Unregister makes a token answer 404 UNREGISTERED (the app was removed).
func (f *FCM) Unregister(token string) {
	f.mu.Lock()
	f.unregistered[token] = true
	f.mu.Unlock()
}

// MarkInvalid makes a token answer 400 INVALID_ARGUMENT ("not a valid FCM
// registration token").
func (f *FCM) MarkInvalid(token string) {
	f.mu.Lock()
	f.invalid[token] = true
	f.mu.Unlock()
}

// FailGrants makes the next token requests get these errors: Status and
// Reason as the OAuth error ("invalid_grant" for a deleted key,
// "temporarily_unavailable" with 503).
func (f *FCM) FailGrants(a ...Answer) { f.grantErrs.FailNext(a...) }

// ExpireAccessTokens revokes every access token handed out: the next send
// with one is answered 401 UNAUTHENTICATED.
func (f *FCM) ExpireAccessTokens() {
	f.mu.Lock()
	clear(f.access)
	f.mu.Unlock()
}

func (f *FCM) oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// token is the JWT bearer grant (RFC 7523) as Google checks it.
func (f *FCM) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		f.oauthError(w, "invalid_request", f.problem("token: %s with Content-Type %q, want a POSTed form", r.Method, r.Header.Get("Content-Type")))
		return
	}
	if gt := r.PostFormValue("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		f.oauthError(w, "unsupported_grant_type", f.problem("token: grant_type %q", gt))
		return
	}
	if msg := f.checkAssertion(r.PostFormValue("assertion")); msg != "" {
		f.oauthError(w, "invalid_grant", f.problem("token: %s", msg))
		return
	}
	if a, ok := f.grantErrs.pop(); ok {
		if a.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": a.Reason, "error_description": "injected error"})
		return
	}
	tok := "ya29.fake-" + randHex(24)
	f.mu.Lock()
	f.access[tok] = time.Now().Add(f.AccessTokenTTL)
	f.grants++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(f.AccessTokenTTL / time.Second)})
}

// checkAssertion verifies the JWT's signature with the service account's
// public key and its claims; "" when it is good.
func (f *FCM) checkAssertion(a string) string {
	j, err := parseJWT(a)
	if err != nil {
		return "assertion: " + err.Error()
	}
	if err := j.verifyRS256(&f.key.PublicKey); err != nil {
		return "Invalid JWT Signature: " + err.Error()
	}
	iat, ok1 := j.unix("iat")
	exp, ok2 := j.unix("exp")
	now := time.Now().Unix()
	switch {
	case j.Header["kid"] != nil && j.Header["kid"] != f.PrivKeyID:
		return fmt.Sprintf("kid %v is not the key's id", j.Header["kid"])
	case j.str("iss") != f.ClientEmail:
		return fmt.Sprintf("iss %q is not the service account", j.str("iss"))
	case j.str("aud") != f.audience():
		return fmt.Sprintf("aud %q is not the token_uri %s", j.str("aud"), f.audience())
	case !strings.Contains(" "+j.str("scope")+" ", " https://www.googleapis.com/auth/firebase.messaging "):
		return fmt.Sprintf("scope %q lacks firebase.messaging", j.str("scope"))
	case !ok1 || !ok2:
		return "iat and exp must be integer NumericDates"
	case iat > now+300 || exp < now || exp-iat > 3600 || exp <= iat:
		return fmt.Sprintf("Invalid JWT: iat %d, exp %d (now %d): exp must be after iat, at most an hour", iat, exp, now)
	}
	return ""
}
