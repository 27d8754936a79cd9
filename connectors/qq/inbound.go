package qq

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

var fail = connectors.Fail

// channel resolves the callback's channel: 404 for an unknown id or another
// type's channel, 503 while the store is unreachable (the platform retries).
func (c *Connector) channel(g *gin.Context) (*hub.Channel, *account, bool) {
	ch, err := c.deps.Channel(g.Request.Context(), g.Param("channel_id"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != Type) {
		fail(g, http.StatusNotFound, "not_found", "no such QQ channel")
		return nil, nil, false
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "store unavailable, retry")
		return nil, nil, false
	}
	if connectors.Disabled(g, ch.Disabled, func(g *gin.Context) { g.JSON(http.StatusOK, ack) }) {
		return nil, nil, false
	}
	a, err := accountOf(ch)
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "misconfigured", "the channel's config cannot be read")
		return nil, nil, false
	}
	return ch, a, true
}

// ack is the answer to a dispatch the hub has stored (op 12, d 0).
var ack = gin.H{"op": OpAck, "d": 0}

// callback takes one signed callback: bounded body, signature and
// freshness, parse; the address check is answered with its signature, a
// dispatch only after the bus stored it.
func (c *Connector) callback(g *gin.Context) {
	ch, a, ok := c.channel(g)
	if !ok {
		return
	}
	body, ok := connectors.ReadBody(g, c.deps.MaxBody)
	if !ok {
		return
	}
	h := g.Request.Header
	if id := h.Get(HeaderAppID); id != "" && id != a.AppID {
		fail(g, http.StatusForbidden, "wrong_bot", "X-Bot-Appid names another bot than this channel's")
		return
	}
	if err := Verify(a.sec.AppSecret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), body, c.deps.Now(), c.deps.Tolerance); err != nil {
		fail(g, http.StatusUnauthorized, "bad_signature", err.Error())
		return
	}
	p, err := Parse(body)
	if err != nil {
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if p.Op == OpHeartbeat { // botgo answers these too; nothing is stored
		seq, _ := p.HeartbeatSeq()
		g.JSON(http.StatusOK, gin.H{"op": OpHeartbeatAck, "d": seq})
		return
	}
	if p.Op == OpValidation {
		v, _ := p.Validation() // Parse checked it
		g.JSON(http.StatusOK, gin.H{"plain_token": v.PlainToken, "signature": Sign(a.sec.AppSecret, v.EventTS, []byte(v.PlainToken))})
		return
	}
	c.dispatch(g, ch, p)
}

func (c *Connector) dispatch(g *gin.Context, ch *hub.Channel, p *Payload) {
	d, err := normalize(ch, p)
	if err != nil {
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if d.ignore {
		g.JSON(http.StatusOK, ack)
		return
	}
	d.in.ReceivedAt = c.deps.Now()
	ctx := g.Request.Context()
	if err := c.media.Reserve(ctx, ch, d.media); err != nil {
		c.deps.Log.Warn("qq media not reserved; asking the platform to retry", "channel", ch.ID, "err", err)
		fail(g, http.StatusServiceUnavailable, "unavailable", "not stored, retry")
		return
	}
	if err := c.deps.Publish(ctx, d.in); err != nil {
		c.deps.Log.Warn("qq dispatch not durable; asking the platform to retry", "channel", ch.ID, "err", err)
		connectors.Unavailable(g, err, "not stored, retry")
		return
	}
	g.JSON(http.StatusOK, ack)
	c.media.FetchLater(c.later, ch, d.media)
}
