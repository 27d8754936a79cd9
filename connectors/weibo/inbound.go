package weibo

import (
	"crypto/hmac"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

var fail = connectors.Fail

// channel resolves the webhook's channel: 404 for an unknown id or another
// type's channel, 503 while the store is unreachable (Weibo retries).
func (c *Connector) channel(g *gin.Context) (*hub.Channel, *account, bool) {
	ch, err := c.deps.Channel(g.Request.Context(), g.Param("channel_id"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != Type) {
		fail(g, http.StatusNotFound, "not_found", "no such Weibo channel")
		return nil, nil, false
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "store unavailable, retry")
		return nil, nil, false
	}
	if connectors.Disabled(g, ch.Disabled, func(g *gin.Context) { g.Status(http.StatusOK) }) {
		return nil, nil, false
	}
	a, err := accountOf(ch)
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "misconfigured", "the channel's config cannot be read")
		return nil, nil, false
	}
	return ch, a, true
}

// verify answers Weibo's URL check (开发者模式 → 保存): a signed GET whose
// echostr is echoed back as is.
func (c *Connector) verify(g *gin.Context) {
	_, a, ok := c.channel(g)
	if !ok {
		return
	}
	p := ParamsFrom(g.Request.URL.Query())
	if err := CheckSignature(a.sec.AppSecret, p, c.deps.Now(), c.deps.Tolerance); err != nil {
		fail(g, http.StatusForbidden, "bad_signature", err.Error())
		return
	}
	if p.EchoStr == "" || len(p.EchoStr) > 256 {
		fail(g, http.StatusBadRequest, "bad_request", "echostr is required (at most 256 bytes)")
		return
	}
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(p.EchoStr))
}

// push takes one message or event: signature first (before the body is
// read), bounded body, parse, normalize, durable publish — and only then an
// empty 200, which tells Weibo "no passive reply, no retry". Agents answer
// later through the customer-service API.
func (c *Connector) push(g *gin.Context) {
	ch, a, ok := c.channel(g)
	if !ok {
		return
	}
	if err := CheckSignature(a.sec.AppSecret, ParamsFrom(g.Request.URL.Query()), c.deps.Now(), c.deps.Tolerance); err != nil {
		fail(g, http.StatusForbidden, "bad_signature", err.Error())
		return
	}
	body, ok := connectors.ReadBody(g, c.deps.MaxBody)
	if !ok {
		return
	}
	p, err := Parse(body)
	if err != nil {
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if p.ReceiverID != "" && string(p.ReceiverID) != a.UID {
		c.deps.Log.Warn("weibo push for another account: check the channel's uid", "channel", ch.ID, "receiver_id", string(p.ReceiverID))
	}
	r := normalize(ch, p)
	if r.ignore {
		g.Status(http.StatusOK)
		return
	}
	r.in.ReceivedAt = c.deps.Now()
	ctx := g.Request.Context()
	if err := c.media.Reserve(ctx, ch, r.media); err != nil {
		c.deps.Log.Warn("weibo media not reserved; asking Weibo to retry", "channel", ch.ID, "err", err)
		fail(g, http.StatusServiceUnavailable, "unavailable", "not stored, retry")
		return
	}
	if err := c.deps.Publish(ctx, r.in); err != nil {
		c.deps.Log.Warn("weibo push not durable; asking Weibo to retry", "channel", ch.ID, "err", err)
		connectors.Unavailable(g, err, "not stored, retry")
		return
	}
	g.Status(http.StatusOK)
	c.media.FetchLater(c.later, ch, r.media)
}

// file serves an image an agent sent to a Weibo user: Weibo shows it as a
// link card, and the user opens it in a browser without a hub login. The
// signature in the link (made with the channel's link key) is the key.
func (c *Connector) file(g *gin.Context) {
	ch, a, ok := c.channel(g)
	if !ok {
		return
	}
	id := g.Param("file_id")
	if c.deps.Files == nil || !hmac.Equal([]byte(g.Query("s")), []byte(a.linkSig(id))) {
		fail(g, http.StatusForbidden, "bad_signature", "this link is not valid")
		return
	}
	f, err := c.deps.Files.Get(g.Request.Context(), ch.TenantID, id)
	if errors.Is(err, hub.ErrNotFound) || (err == nil && f.Status != files.FileReady) {
		fail(g, http.StatusNotFound, "not_found", "no such file")
		return
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	connectors.ServeFile(g, f)
}
