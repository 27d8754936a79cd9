// Package qq is the QQ bot channel (QQ 开放平台 official bot API v2): the
// platform calls back /webhooks/qq/{channel_id} with Ed25519-signed
// events — a user's message to the bot (C2C_MESSAGE_CREATE), a group
// member's @-mention (GROUP_AT_MESSAGE_CREATE), friend and message-switch
// events — and agents' replies go back through /v2/users/{openid}/messages
// (groups: /v2/groups/{group_openid}/messages) as answers to the
// customer's message (msg_id + msg_seq).
//
// Since 2025-04-21 the platform takes no message the bot starts: a C2C
// reply is valid for 60 minutes after the user's message, at most 5 per
// message; a group reply for 5 minutes. Window (hub.ReplyPolicy) tells
// agents so before they write, and a conversation the window closes on
// unanswered becomes a ticket.
//
// botgo's webhook handler is not used (it allocates r.ContentLength bytes
// and panics on chunked bodies); the signature scheme is a few lines of
// crypto/ed25519 (sign.go) over a bounded body.
package qq

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Type is the channel type name.
const Type = "qq"

// OfficialBase is the platform's API; its token endpoint lives elsewhere.
const (
	OfficialBase      = "https://api.sgroup.qq.com"
	officialTokenBase = "https://bots.qq.com"
)

// Connector implements the QQ bot channel.
type Connector struct {
	deps      connectors.Deps
	base      string // KEFU_QQ_API_BASE, without a trailing slash
	tokenBase string // the official token host, or base when relayed
	api       *http.Client
	tokens    *connectors.TokenCache
	media     *connectors.Media
	life      context.Context
	stop      context.CancelFunc
	bg        sync.WaitGroup
}

var (
	_ connectors.Connector    = (*Connector)(nil)
	_ connectors.MediaFetcher = (*Connector)(nil)
	_ connectors.Runner       = (*Connector)(nil)
)

// New returns the QQ connector; every platform call goes to apiBase (the
// token call too, unless it is the official API, whose tokens come from
// bots.qq.com).
func New(d connectors.Deps, apiBase string) *Connector {
	base := strings.TrimSuffix(apiBase, "/")
	if base == "" {
		base = OfficialBase
	}
	tb := base
	if base == OfficialBase {
		tb = officialTokenBase
	}
	c := &Connector{deps: d, base: base, tokenBase: tb, api: &http.Client{Timeout: 15 * time.Second}}
	c.life, c.stop = context.WithCancel(context.Background())
	c.tokens = connectors.NewTokenCache(d.Tokens, d.Now, tokenRejected)
	c.media = connectors.NewMedia(d.Files, "qq", d.Log, c.FetchFile)
	return c
}

// Type is "qq".
func (c *Connector) Type() string { return Type }

// Window is QQ's reply rule: 5 replies within c2c (the platform's 60
// minutes) of a user's message; for group members 5 within group (5
// minutes). A conversation the window closes on unanswered becomes a
// ticket (no later message can reach the customer).
func Window(c2c, group time.Duration) hub.ReplyPolicy {
	return hub.ReplyPolicy{Within: c2c, Max: 5,
		ByContact: func(contactID string) (time.Duration, int, bool) {
			if _, _, ok := splitGroup(contactID); ok {
				return group, 5, true
			}
			return 0, 0, false
		},
		TicketWhenClosed: true,
		Explain: fmt.Sprintf("QQ 自 2025-04-21 起不允许机器人主动发消息：单聊只能在用户消息后%s内回复（每条最多 5 次），群聊%s内；"+
			"请等待客户再次发消息，或通过工单以其他方式跟进。", zhDuration(c2c), zhDuration(group)),
	}
}

// zhDuration says d in Chinese minutes (or seconds when it is not whole minutes).
func zhDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf(" %d 分钟", d/time.Minute)
	}
	return fmt.Sprintf(" %d 秒", d/time.Second)
}

// Kind is the QQ bot channel, calling the platform at apiBase
// (KEFU_QQ_API_BASE; "" for the official API), with the reply windows c2c
// and group (KEFU_QQ_REPLY_WINDOW, KEFU_QQ_GROUP_REPLY_WINDOW; 0: the
// platform's 60 and 5 minutes).
func Kind(apiBase string, c2c, group time.Duration) connectors.Kind {
	if c2c <= 0 {
		c2c = time.Hour
	}
	if group <= 0 {
		group = 5 * time.Minute
	}
	w := Window(c2c, group)
	return connectors.Kind{Type: Type, Window: &w,
		New: func(d connectors.Deps) connectors.Connector { return New(d, apiBase) }}
}

// Routes registers the callback endpoint (the address check and every
// event are POSTs).
func (c *Connector) Routes(r gin.IRoutes) {
	r.POST("/:channel_id", c.callback)
}

// Run waits for the hub to stop, then for the background downloads: they
// get a few seconds, then are cancelled.
func (c *Connector) Run(ctx context.Context) error {
	<-ctx.Done()
	done := make(chan struct{})
	go func() { c.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.stop()
		<-done
	}
	c.stop()
	return nil
}

// later runs f after the request that asked for it returned, bounded by d
// and by the hub's lifetime.
func (c *Connector) later(d time.Duration, f func(ctx context.Context)) {
	c.bg.Go(func() {
		ctx, cancel := context.WithTimeout(c.life, d)
		defer cancel()
		f(ctx)
	})
}
