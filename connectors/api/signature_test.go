package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks reference vector: our signatures are the ones every
// Standard Webhooks library (svix, standardwebhooks) computes and checks.
func TestSignMatchesStandardWebhooksVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	got, err := Sign(secret, id, ts, body)
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, "1614265330")
	h.Set(HeaderSignature, want)
	if err := Verify(secret, h, body, ts.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("Verify of the reference vector: %v", err)
	}
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		s := NewSecret()
		raw, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			t.Fatalf("secret %q lacks the whsec_ prefix", s)
		}
		k, err := base64.StdEncoding.DecodeString(raw)
		if err != nil || len(k) != 32 {
			t.Fatalf("secret %q is not 32 bytes of base64: %v", s, err)
		}
		if seen[s] {
			t.Fatalf("secret %q issued twice", s)
		}
		seen[s] = true
	}
}

func TestSignRejectsBadSecrets(t *testing.T) {
	for _, s := range []string{"", "secret", "whsec_", "whsec_!!!!", "WHSEC_" + strings.TrimPrefix(NewSecret(), "whsec_"), "whsec_AAA"} {
		if _, err := Sign(s, "id", time.Now(), nil); !errors.Is(err, ErrBadSecret) {
			t.Errorf("Sign with secret %q: %v, want ErrBadSecret", s, err)
		}
		if err := SetHeaders(http.Header{}, s, "id", time.Now(), nil); !errors.Is(err, ErrBadSecret) {
			t.Errorf("SetHeaders with secret %q: %v, want ErrBadSecret", s, err)
		}
	}
}

func TestVerify(t *testing.T) {
	secret, other := NewSecret(), NewSecret()
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"id":"m1","contact":{"id":"c1"},"text":"你好"}`)
	sig := func(secret, id string, ts time.Time, body []byte) string {
		s, err := Sign(secret, id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sig(secret, "msg_1", now, body)
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		if id != "" {
			h.Set(HeaderID, id)
		}
		if ts != "" {
			h.Set(HeaderTimestamp, ts)
		}
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		return h
	}
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	tol := 5 * time.Minute
	cases := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		want   error // nil: verifies
	}{
		{"valid", secret, hdr("msg_1", unix(now), good), body, nil},
		{"valid, 5 minutes old", secret, hdr("msg_1", unix(now.Add(-tol)), sig(secret, "msg_1", now.Add(-tol), body)), body, nil},
		{"valid, 5 minutes ahead", secret, hdr("msg_1", unix(now.Add(tol)), sig(secret, "msg_1", now.Add(tol), body)), body, nil},
		{"empty body", secret, hdr("msg_1", unix(now), sig(secret, "msg_1", now, nil)), nil, nil},
		{"rotation: second of two signatures", secret, hdr("msg_1", unix(now), sig(other, "msg_1", now, body)+" "+good), body, nil},
		{"rotation: extra spaces", secret, hdr("msg_1", unix(now), "  "+good+"   v1,AAAA "), body, nil},
		{"unknown versions are skipped", secret, hdr("msg_1", unix(now), "v2,xyz v1a,"+strings.TrimPrefix(good, "v1,")+" "+good), body, nil},
		{"no headers", secret, http.Header{}, body, ErrMissingHeaders},
		{"no id", secret, hdr("", unix(now), good), body, ErrMissingHeaders},
		{"no timestamp", secret, hdr("msg_1", "", good), body, ErrMissingHeaders},
		{"no signature", secret, hdr("msg_1", unix(now), ""), body, ErrMissingHeaders},
		{"timestamp not a number", secret, hdr("msg_1", "now", good), body, ErrBadTimestamp},
		{"timestamp in milliseconds", secret, hdr("msg_1", strconv.FormatInt(now.UnixMilli(), 10), good), body, ErrStale},
		{"timestamp with a fraction", secret, hdr("msg_1", unix(now)+".5", good), body, ErrBadTimestamp},
		{"timestamp overflowing int64", secret, hdr("msg_1", "99999999999999999999", good), body, ErrBadTimestamp},
		{"5 minutes and 1 second old", secret, hdr("msg_1", unix(now.Add(-tol-time.Second)), sig(secret, "msg_1", now.Add(-tol-time.Second), body)), body, ErrStale},
		{"5 minutes and 1 second ahead", secret, hdr("msg_1", unix(now.Add(tol+time.Second)), sig(secret, "msg_1", now.Add(tol+time.Second), body)), body, ErrStale},
		{"the oldest time there is", secret, hdr("msg_1", "-9223372036854775808", good), body, ErrStale},
		{"the newest time there is", secret, hdr("msg_1", "9223372036854775807", good), body, ErrStale},
		{"another secret", other, hdr("msg_1", unix(now), good), body, ErrNoMatch},
		{"tampered body", secret, hdr("msg_1", unix(now), good), append([]byte(nil), append(body, ' ')...), ErrNoMatch},
		{"tampered id", secret, hdr("msg_2", unix(now), good), body, ErrNoMatch},
		{"tampered timestamp", secret, hdr("msg_1", unix(now.Add(time.Second)), good), body, ErrNoMatch},
		{"v2 prefix", secret, hdr("msg_1", unix(now), "v2,"+strings.TrimPrefix(good, "v1,")), body, ErrNoMatch},
		{"no version", secret, hdr("msg_1", unix(now), strings.TrimPrefix(good, "v1,")), body, ErrNoMatch},
		{"comma-separated list", secret, hdr("msg_1", unix(now), "v1,AAAA,"+good), body, ErrNoMatch},
		{"not base64", secret, hdr("msg_1", unix(now), "v1,***"), body, ErrNoMatch},
		{"truncated signature", secret, hdr("msg_1", unix(now), good[:len(good)-4]), body, ErrNoMatch},
		{"hex instead of base64", secret, hdr("msg_1", unix(now), "v1,"+strings.Repeat("ab", 32)), body, ErrNoMatch},
		{"channel secret broken", "whsec_***", hdr("msg_1", unix(now), good), body, ErrBadSecret},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.h, c.body, now, tol)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestSetHeadersRoundTrip(t *testing.T) {
	secret := NewSecret()
	now := time.Now()
	for _, body := range [][]byte{nil, []byte("{}"), []byte("\x00\xff binary"), []byte(strings.Repeat("长", 10000))} {
		h := http.Header{}
		if err := SetHeaders(h, secret, "msg_rt", now, body); err != nil {
			t.Fatal(err)
		}
		if h.Get(HeaderID) != "msg_rt" || h.Get(HeaderTimestamp) != strconv.FormatInt(now.Unix(), 10) || !strings.HasPrefix(h.Get(HeaderSignature), "v1,") {
			t.Fatalf("headers %v", h)
		}
		if err := Verify(secret, h, body, now, time.Minute); err != nil {
			t.Fatalf("round trip of %q: %v", body, err)
		}
	}
}
