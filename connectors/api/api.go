// Package api is the developer API channel: a developer's system posts
// customer messages signed the Standard Webhooks way, and receives agent
// replies and conversation events at its callback URL, signed the same way.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Connector implements the API channel.
type Connector struct{ deps connectors.Deps }

var _ connectors.Connector = (*Connector)(nil)

// Kind is the developer API channel.
var Kind = connectors.Kind{Type: "api", New: func(d connectors.Deps) connectors.Connector { return New(d) }}

// New returns the API channel connector.
func New(d connectors.Deps) *Connector { return &Connector{deps: d} }

// Type is "api".
func (c *Connector) Type() string { return "api" }

// Config is the API channel's settings.
type Config struct {
	// CallbackURL receives agent replies and conversation events.
	CallbackURL string `json:"callback_url"`
}

// Setup validates the callback URL and issues the signing secret.
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	var cfg Config
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return hub.Invalid("config: %v", err)
		}
	}
	cfg.CallbackURL = strings.TrimSpace(cfg.CallbackURL)
	if cfg.CallbackURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := connectors.CheckURL(ctx, cfg.CallbackURL, c.deps.AllowPrivate); err != nil {
			return hub.Invalid("callback_url: %v", err)
		}
	}
	if ch.Secret == "" || rotate {
		ch.Secret = NewSecret()
	}
	ch.WantsEvents = cfg.CallbackURL != ""
	ch.Config, _ = json.Marshal(cfg)
	return nil
}

// Info returns the signing secret the developer needs on both sides.
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	return map[string]any{"secret": ch.Secret, "signature": "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>)"}
}

// Routes registers POST /webhooks/api/:channel_id.
func (c *Connector) Routes(r gin.IRoutes) { r.POST("/:channel_id", c.inbound) }

var fail = connectors.Fail

func (c *Connector) inbound(g *gin.Context) {
	ctx := g.Request.Context()
	ch, err := c.deps.Channel(ctx, g.Param("channel_id"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != c.Type()) {
		fail(g, http.StatusNotFound, "not_found", "no such API channel")
		return
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "store unavailable, retry")
		return
	}
	if connectors.Disabled(g, ch.Disabled, nil) { // 410: Standard Webhooks senders stop on it
		return
	}
	body, ok := connectors.ReadBody(g, c.deps.MaxBody)
	if !ok {
		return
	}
	if err := Verify(ch.Secret, g.Request.Header, body, c.deps.Now(), c.deps.Tolerance); err != nil {
		fail(g, http.StatusUnauthorized, "bad_signature", err.Error())
		return
	}
	p, err := Parse(body)
	if err != nil {
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	in := p.Normalize(ch)
	in.ReceivedAt = c.deps.Now()
	if err := c.deps.Publish(ctx, in); err != nil {
		c.deps.Log.Warn("inbound not durable; asking the sender to retry", "channel", ch.ID, "err", err)
		connectors.Unavailable(g, err, "not stored, retry")
		return
	}
	g.JSON(http.StatusOK, gin.H{"status": "accepted", "id": p.ID})
}

// Send posts an outbound push to the callback URL, signed with the channel
// secret and the delivery id as webhook-id (stable across retries). Without
// a callback URL there is nothing to push: integrators read the REST API.
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	var cfg Config
	_ = json.Unmarshal(ch.Config, &cfg) // validated by Setup
	if cfg.CallbackURL == "" {
		return hub.SendResult{}
	}
	body, err := Body(out)
	if err != nil {
		return hub.SendResult{Err: err, Permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return hub.SendResult{Err: err, Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kefu-Webhooks/1")
	if err := SetHeaders(req.Header, ch.Secret, out.ID, c.deps.Now(), body); err != nil {
		return hub.SendResult{Err: err, Permanent: true}
	}
	// A signed callback goes to the configured URL and nowhere else: a
	// redirect is not followed (it would carry the webhook-* headers to
	// another host, and turn the POST into a GET), it fails the attempt.
	hc := *c.deps.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return hub.SendResult{Err: fmt.Errorf("post callback: %w", err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return hub.SendResult{StatusCode: resp.StatusCode, Err: fmt.Errorf("callback answered %s with a redirect (to %q); "+
			"redirects are not followed: set the channel's callback URL to the final address", resp.Status, resp.Header.Get("Location"))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return hub.SendResult{StatusCode: resp.StatusCode, Err: fmt.Errorf("callback answered %s", resp.Status)}
	}
	return hub.SendResult{StatusCode: resp.StatusCode}
}
