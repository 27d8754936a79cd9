package wechat

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

var fail = connectors.Fail

// channel resolves the webhook's channel: 404 for an unknown id or another
// type's channel, 503 while the store is unreachable (WeChat retries).
func (c *Connector) channel(g *gin.Context) (*hub.Channel, *account, bool) {
	ch, err := c.deps.Channel(g.Request.Context(), g.Param("channel_id"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != Type) {
		fail(g, http.StatusNotFound, "not_found", "no such WeChat channel")
		return nil, nil, false
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "store unavailable, retry")
		return nil, nil, false
	}
	if connectors.Disabled(g, ch.Disabled, func(g *gin.Context) { g.String(http.StatusOK, "success") }) {
		return nil, nil, false
	}
	a, err := accountOf(ch)
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "misconfigured", "the channel's config cannot be read")
		return nil, nil, false
	}
	return ch, a, true
}

// verify answers WeChat's URL verification (服务器配置 → 提交): a signed GET
// whose echostr is echoed back as is. In every mode the check is the plain
// signature.
func (c *Connector) verify(g *gin.Context) {
	_, a, ok := c.channel(g)
	if !ok {
		return
	}
	p := ParamsFrom(g.Request.URL.Query())
	if err := CheckSignature(a.keys(), p, c.deps.Now(), c.deps.Tolerance); err != nil {
		fail(g, http.StatusUnauthorized, "bad_signature", err.Error())
		return
	}
	if p.EchoStr == "" || len(p.EchoStr) > 256 {
		fail(g, http.StatusBadRequest, "bad_request", "echostr is required (at most 256 bytes)")
		return
	}
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(p.EchoStr))
}

// push takes one message or event: bounded body, signatures, decryption,
// bounded XML, normalization, durable publish — and only then "success".
// Agents answer later through the customer-service API, so the reply is
// never a passive message (and never an encrypted empty one).
func (c *Connector) push(g *gin.Context) {
	ch, a, ok := c.channel(g)
	if !ok {
		return
	}
	body, ok := connectors.ReadBody(g, c.deps.MaxBody)
	if !ok {
		return
	}
	m, err := Open(a.keys(), ParamsFrom(g.Request.URL.Query()), body, c.deps.Now(), c.deps.Tolerance)
	if err != nil {
		c.refuse(g, ch, err)
		return
	}
	p := normalize(ch, &a.Config, m)
	if p.ignore {
		g.String(http.StatusOK, "success")
		return
	}
	p.in.ReceivedAt = c.deps.Now()
	ctx := g.Request.Context()
	if err := c.media.Reserve(ctx, ch, p.media); err != nil {
		c.deps.Log.Warn("wechat media not reserved; asking WeChat to retry", "channel", ch.ID, "err", err)
		fail(g, http.StatusServiceUnavailable, "unavailable", "not stored, retry")
		return
	}
	if err := c.deps.Publish(ctx, p.in); err != nil {
		// WeChat retries a 5xx (it reads no Retry-After): what we want.
		c.deps.Log.Warn("wechat push not durable; asking WeChat to retry", "channel", ch.ID, "err", err)
		connectors.Unavailable(g, err, "not stored, retry")
		return
	}
	g.String(http.StatusOK, "success")
	c.media.FetchLater(c.later, ch, p.media)
}

// refuse answers a push that failed verification or parsing. Nothing was
// stored.
func (c *Connector) refuse(g *gin.Context, ch *hub.Channel, err error) {
	var bad *MalformedError
	switch {
	case errors.Is(err, ErrPlaintext):
		fail(g, http.StatusForbidden, "encryption_required", err.Error())
	case errors.Is(err, ErrSignature), errors.Is(err, ErrStale):
		fail(g, http.StatusUnauthorized, "bad_signature", err.Error())
	case errors.As(err, &bad):
		if bad.Decrypt {
			// Signed with our Token, so WeChat sent it: the admin's
			// EncodingAESKey or AppID does not match the platform's.
			c.deps.Log.Warn("wechat push cannot be decrypted: check the channel's EncodingAESKey and AppID", "channel", ch.ID)
		}
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
	default:
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
	}
}
