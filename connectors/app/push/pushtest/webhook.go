package pushtest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
)

// Webhook is a company's push service: it verifies each call's Standard
// Webhooks signature (webhook-id, webhook-timestamp within five minutes,
// webhook-signature "v1,<base64 HMAC-SHA256(id.timestamp.body)>" with the
// base64 key after "whsec_") — written here from the specification, apart
// from the hub's signer — and keeps the push requests.
type Webhook struct {
	checker
	queue
	URL    string
	Secret string

	srv     *httptest.Server
	mu      sync.Mutex
	got     []WebhookDelivery
	invalid map[string]bool
}

// WebhookDelivery is one call the fake answered.
type WebhookDelivery struct {
	ID        string // webhook-id
	Timestamp time.Time
	Body      push.WebhookBody
	Status    int
	At        time.Time
}

// NewWebhook starts the receiver with a fresh secret; it stops when the
// test ends.
func NewWebhook(t testing.TB) *Webhook {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	wh := &Webhook{Secret: "whsec_" + base64.StdEncoding.EncodeToString(key), invalid: map[string]bool{}}
	wh.srv = httptest.NewServer(http.HandlerFunc(wh.serve))
	wh.URL = wh.srv.URL + "/push"
	t.Cleanup(wh.srv.Close)
	wh.cleanup(t, "push webhook")
	return wh
}

// Config is the push config pointing at the receiver.
func (wh *Webhook) Config() *push.WebhookConfig {
	return &push.WebhookConfig{URL: wh.URL, Secret: wh.Secret}
}

// Deliveries are every call answered, in order.
func (wh *Webhook) Deliveries() []WebhookDelivery {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]WebhookDelivery(nil), wh.got...)
}

// Delivered are the calls answered 2xx.
func (wh *Webhook) Delivered() []WebhookDelivery {
	var out []WebhookDelivery
	for _, d := range wh.Deliveries() {
		if d.Status/100 == 2 {
			out = append(out, d)
		}
	}
	return out
}

// Invalidate makes the receiver answer a token in invalid_tokens.
func (wh *Webhook) Invalidate(token string) {
	wh.mu.Lock()
	wh.invalid[token] = true
	wh.mu.Unlock()
}

func (wh *Webhook) serve(w http.ResponseWriter, r *http.Request) {
	d := WebhookDelivery{ID: r.Header.Get("webhook-id"), At: time.Now()}
	d.Status = wh.answer(w, r, &d)
	wh.mu.Lock()
	wh.got = append(wh.got, d)
	wh.mu.Unlock()
}

func (wh *Webhook) answer(w http.ResponseWriter, r *http.Request, d *WebhookDelivery) int {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	ts, err := verifyStandard(wh.Secret, r.Header, body, time.Now())
	d.Timestamp = ts
	if err != nil {
		http.Error(w, wh.problem("signature: %v", err), http.StatusUnauthorized)
		return http.StatusUnauthorized
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, wh.problem("%s with Content-Type %q, want POST application/json", r.Method, r.Header.Get("Content-Type")), 400)
		return 400
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d.Body); err != nil || d.Body.Type != push.WebhookEvent || len(d.Body.Data.Targets) == 0 {
		http.Error(w, wh.problem("body: %v (type %q, %d targets)", err, d.Body.Type, len(d.Body.Data.Targets)), 400)
		return 400
	}
	if a, ok := wh.pop(); ok {
		if a.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
		}
		http.Error(w, a.Reason, a.Status)
		return a.Status
	}
	var ans push.WebhookAnswer
	wh.mu.Lock()
	for _, t := range d.Body.Data.Targets {
		if wh.invalid[t.Token] {
			ans.InvalidTokens = append(ans.InvalidTokens, t.Token)
		}
	}
	wh.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
	return http.StatusOK
}

// verifyStandard is the Standard Webhooks verification: the timestamp
// within five minutes of now, and one of the space-separated "v1,<sig>"
// equal (in constant time) to the HMAC of "id.timestamp.body".
func verifyStandard(secret string, h http.Header, body []byte, now time.Time) (time.Time, error) {
	id, tsText, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || tsText == "" || sigs == "" {
		return time.Time{}, errors.New("webhook-id, webhook-timestamp and webhook-signature are required")
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("webhook-timestamp %q is not integer seconds", tsText)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts).Abs(); d > 5*time.Minute {
		return ts, fmt.Errorf("webhook-timestamp is %s off", d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return ts, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + tsText + "."))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Split(sigs, " ") {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return ts, nil
		}
	}
	return ts, errors.New("no v1 signature matches")
}
