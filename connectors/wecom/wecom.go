// Package wecom is the WeCom 微信客服 (kf) channel: WeChat users write to a
// customer-service account (客服帐号, open_kfid) of a company on WeCom;
// WeCom calls /webhooks/wecom_kf/{channel_id} back with an encrypted,
// signed notice that there is something to fetch (kf_msg_or_event and a
// sync token), and the hub pulls the messages with sync_msg from a cursor
// it keeps per channel in the database. Agents' replies go out through
// kf/send_msg: 5 messages within 48 hours of the customer's last message.
//
// silenceper/wechat/v2's work/kf is not used for the HTTP calls: its
// callback decryption does not check msg_signature, its URLs are
// process-wide constants and its errors drop WeCom's errcode; its
// signature and AES helpers (util) are.
package wecom

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Type is the channel type name.
const Type = "wecom_kf"

// OfficialBase is WeCom's API (KEFU_WECOM_API_BASE by default).
const OfficialBase = "https://qyapi.weixin.qq.com"

// Connector implements the WeCom 微信客服 channel.
type Connector struct {
	deps   connectors.Deps
	base   string // KEFU_WECOM_API_BASE, without a trailing slash
	api    *http.Client
	tokens *connectors.TokenCache
	media  *connectors.Media
	pulls  pulls  // where each channel's sync_msg stands (the database, or memory in tests)
	owner  string // this process, as a lease holder
	retry  backoff
	life   context.Context
	stop   context.CancelFunc
	bg     sync.WaitGroup
}

var (
	_ connectors.Connector    = (*Connector)(nil)
	_ connectors.MediaFetcher = (*Connector)(nil)
	_ connectors.Runner       = (*Connector)(nil)
)

// New returns the WeCom 微信客服 connector; every platform call goes to
// apiBase ("" for WeCom's own).
func New(d connectors.Deps, apiBase string) *Connector {
	base := strings.TrimSuffix(apiBase, "/")
	if base == "" {
		base = OfficialBase
	}
	b := make([]byte, 8)
	rand.Read(b)
	c := &Connector{deps: d, base: base, api: &http.Client{Timeout: 15 * time.Second}, owner: hex.EncodeToString(b)}
	c.life, c.stop = context.WithCancel(context.Background())
	c.tokens = connectors.NewTokenCache(d.Tokens, d.Now, tokenRejected)
	c.media = connectors.NewMedia(d.Files, "wecom_kf", d.Log, c.FetchFile)
	if d.Store != nil {
		c.pulls = &dbPulls{s: d.Store}
	} else {
		c.pulls = newMemPulls()
	}
	return c
}

// Type is "wecom_kf".
func (c *Connector) Type() string { return Type }

// Window is 微信客服's rule: 5 messages within 48 hours of the customer's
// last message.
var Window = hub.ReplyPolicy{Within: 48 * time.Hour, Max: 5,
	Explain: "微信客服规定：客户发消息后 48 小时内最多可回复 5 条；请等待客户再次发消息后再回复。"}

// Kind is the WeCom 微信客服 channel, calling WeCom at apiBase
// (KEFU_WECOM_API_BASE; "" for WeCom's own).
func Kind(apiBase string) connectors.Kind {
	return connectors.Kind{Type: Type, Window: &Window,
		New: func(d connectors.Deps) connectors.Connector { return New(d, apiBase) }}
}

// Routes registers the URL verification (GET) and the callbacks (POST).
func (c *Connector) Routes(r gin.IRoutes) {
	r.GET("/:channel_id", c.verify)
	r.POST("/:channel_id", c.callback)
}

// sweepEvery is how often a process looks for channels whose pull was
// asked for and not finished (its holder died, or WeCom's API failed).
const sweepEvery = 2 * time.Second

// Run pulls, until the hub stops, the channels whose callbacks were not
// followed by a complete pull; then waits for the background work (a few
// seconds, then it is cancelled).
func (c *Connector) Run(ctx context.Context) error {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
			c.sweep(ctx)
		}
	}
	finished := make(chan struct{})
	go func() { c.bg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		c.stop()
		<-finished
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
