package wecom

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

var fail = connectors.Fail

// channel resolves the callback's channel: 404 for an unknown id or another
// type's channel, 503 while the store is unreachable (WeCom retries).
func (c *Connector) channel(g *gin.Context) (*hub.Channel, *account, bool) {
	ch, err := c.deps.Channel(g.Request.Context(), g.Param("channel_id"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != Type) {
		fail(g, http.StatusNotFound, "not_found", "no such 微信客服 channel")
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

// verify answers WeCom's URL check: the decrypted echostr, as plain text.
func (c *Connector) verify(g *gin.Context) {
	ch, a, ok := c.channel(g)
	if !ok {
		return
	}
	echo, err := VerifyURL(a.keys(), ParamsFrom(g.Request.URL.Query()), c.deps.Now(), c.deps.Tolerance)
	if err != nil {
		c.refuse(g, ch, err)
		return
	}
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, "text/plain; charset=utf-8", echo)
}

// pullBudget bounds the pull a callback waits for: WeCom gives up on a
// callback after 5 seconds and retries it.
const pullBudget = 4 * time.Second

// callback takes one notice: bounded body, msg_signature, decryption; the
// wish to pull is recorded durably, then this request pulls (unless another
// request or process already does: it pulls again for this one). "success"
// once the messages the pull found are on the bus, or once the pull's time
// budget is spent (it goes on in the background; the stored wish makes
// sure it finishes); a pull that fails answers 503 (WeCom retries, and the
// sweep pulls anyway).
func (c *Connector) callback(g *gin.Context) {
	ch, a, ok := c.channel(g)
	if !ok {
		return
	}
	body, ok := connectors.ReadBody(g, c.deps.MaxBody)
	if !ok {
		return
	}
	n, err := Open(a.keys(), ParamsFrom(g.Request.URL.Query()), body, c.deps.Now(), c.deps.Tolerance)
	if err != nil {
		c.refuse(g, ch, err)
		return
	}
	if n.Event != EventKfMsg || (n.OpenKfID != "" && n.OpenKfID != a.OpenKfID) {
		g.String(http.StatusOK, "success") // another account's, or an event this channel does not pull for
		return
	}
	ctx := g.Request.Context()
	if err := c.pulls.Want(ctx, ch, n.Token, c.deps.Now().Add(tokenLife)); err != nil {
		c.deps.Log.Warn("wecom_kf callback not recorded; asking WeCom to retry", "channel", ch.ID, "err", err)
		connectors.Unavailable(g, err, "not stored, retry")
		return
	}
	pctx, cancel := context.WithTimeout(ctx, pullBudget)
	defer cancel()
	ran, err := c.pull(pctx, ch, a)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// Our own budget ran out (a long backlog, a slow moment): the wish
		// to pull is stored, so the pull goes on after the answer — as it
		// does for a callback that finds another pull running.
		c.later(time.Minute, func(ctx context.Context) {
			if _, err := c.pull(ctx, ch, a); err != nil {
				c.deps.Log.Warn("wecom_kf pull failed; the sweep pulls again", "channel", ch.ID, "err", err)
			}
		})
		g.String(http.StatusOK, "success")
		return
	}
	if ran {
		c.health(ctx, ch, err)
	}
	if err != nil {
		c.deps.Log.Warn("wecom_kf pull failed; WeCom's retry or the sweep pulls again", "channel", ch.ID, "err", err)
		connectors.Unavailable(g, err, "not pulled, retry")
		return
	}
	g.String(http.StatusOK, "success")
}

// tokenLife is how long a callback's sync token is valid.
const tokenLife = 10 * time.Minute

// refuse answers a callback that failed verification or parsing. Nothing
// was stored.
func (c *Connector) refuse(g *gin.Context, ch *hub.Channel, err error) {
	var bad *MalformedError
	switch {
	case errors.Is(err, ErrSignature), errors.Is(err, ErrStale):
		fail(g, http.StatusUnauthorized, "bad_signature", err.Error())
	case errors.As(err, &bad):
		if bad.Decrypt {
			c.deps.Log.Warn("wecom_kf callback cannot be decrypted: check the channel's EncodingAESKey and corp_id", "channel", ch.ID)
		}
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
	default:
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
	}
}
