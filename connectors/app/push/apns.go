package push

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// APNs, token-based: POST {base}/3/device/{token} over HTTP/2 with an ES256
// provider token ({"alg","kid"}.{"iss": team, "iat"}). Apple refuses a
// provider token older than an hour and one renewed more often than every
// 20 minutes, so one token serves every request for apnsTokenLife.

// apnsTokenLife is how long one provider token is used.
const apnsTokenLife = 40 * time.Minute

// apnsMaxPayload is APNs' limit for an alert's JSON.
const apnsMaxPayload = 4096

// apnsMaxCollapseID is APNs' limit for apns-collapse-id, in bytes.
const apnsMaxCollapseID = 64

type apnsSender struct {
	cfg    APNsConfig
	key    *ecdsa.PrivateKey
	client *http.Client
	base   string
	now    func() time.Time
	ttl    time.Duration

	mu     sync.Mutex
	jwt    string
	issued time.Time
}

func newAPNsSender(cfg APNsConfig, key *ecdsa.PrivateKey, o Options) *apnsSender {
	base := o.APNsBase
	switch {
	case base != "":
	case cfg.Sandbox:
		base = APNsSandboxBase
	default:
		base = APNsProductionBase
	}
	return &apnsSender{cfg: cfg, key: key, client: o.APNsClient, base: base, now: o.Now, ttl: o.TTL}
}

// NewAPNsClient is an HTTP/2-only client for APNs: TLS with ALPN h2, or
// HTTP/2 without TLS (prior knowledge) for an http:// base such as a relay
// on the same host or a test fake.
func NewAPNsClient() *http.Client {
	var p http.Protocols
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{
		Protocols:           &p,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: 15 * time.Second, IdleConnTimeout: 5 * time.Minute,
	}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func (a *apnsSender) name() string { return ViaAPNs }

// send posts once, and once more with a new provider token when APNs says
// the one used has expired.
func (a *apnsSender) send(ctx context.Context, t Target, n Notification) error {
	if !deviceTokenPattern.MatchString(t.Token) {
		return &Error{Via: ViaAPNs, Status: http.StatusBadRequest, Reason: "BadDeviceToken (not a hex device token)", kind: invalidToken}
	}
	body, err := apnsBody(n)
	if err != nil {
		return err
	}
	bearer, err := a.bearer()
	if err != nil {
		return err
	}
	err = a.post(ctx, bearer, t.Token, n, body)
	if pe, ok := err.(*Error); ok && pe.kind == authRejected {
		a.drop(bearer)
		if bearer, err = a.bearer(); err != nil {
			return err
		}
		err = a.post(ctx, bearer, t.Token, n, body)
	}
	return err
}

// deviceTokenPattern is an APNs device token: hex (32 bytes today).
var deviceTokenPattern = regexp.MustCompile(`^[0-9a-fA-F]{16,400}$`)

func (a *apnsSender) post(ctx context.Context, bearer, token string, n Notification, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/3/device/"+url.PathEscape(token), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("apns request: %w", err)
	}
	h := req.Header
	h.Set("authorization", "bearer "+bearer)
	h.Set("apns-topic", a.cfg.BundleID)
	h.Set("apns-push-type", "alert")
	h.Set("apns-priority", "10")
	h.Set("apns-expiration", strconv.FormatInt(a.now().Add(a.ttl).Unix(), 10))
	h.Set("apns-id", asUUID(n.ID))
	if n.CollapseID != "" {
		h.Set("apns-collapse-id", apnsCollapseID(n.CollapseID))
	}
	h.Set("content-type", "application/json")
	res, err := a.client.Do(req)
	if err != nil {
		return transportError(ViaAPNs, err)
	}
	raw := readAnswer(res)
	if res.StatusCode == http.StatusOK {
		return nil
	}
	return apnsError(res, raw)
}

// apnsError classifies a refusal: 410 and BadDeviceToken are invalid
// tokens, ExpiredProviderToken a stale provider token; 429 and 5xx are
// retried.
func apnsError(res *http.Response, raw []byte) error {
	var a struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(raw, &a)
	e := answerError(ViaAPNs, res, a.Reason)
	switch {
	case res.StatusCode == http.StatusGone || a.Reason == "BadDeviceToken" || a.Reason == "Unregistered":
		e.kind = invalidToken
	case a.Reason == "ExpiredProviderToken":
		e.kind = authRejected
	}
	return e
}

// bearer is the provider token, renewed after apnsTokenLife.
func (a *apnsSender) bearer() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.jwt != "" && now.Sub(a.issued) < apnsTokenLife {
		return a.jwt, nil
	}
	tok, err := signJWT(map[string]string{"alg": "ES256", "kid": a.cfg.KeyID},
		map[string]any{"iss": a.cfg.TeamID, "iat": now.Unix()}, es256(a.key))
	if err != nil {
		return "", err
	}
	a.jwt, a.issued = tok, now
	return tok, nil
}

// drop forgets a provider token APNs refused, unless another request
// already replaced it (APNs refuses renewals that come too often).
func (a *apnsSender) drop(rejected string) {
	a.mu.Lock()
	if a.jwt == rejected {
		a.jwt = ""
	}
	a.mu.Unlock()
}
