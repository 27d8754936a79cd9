// Package wechat is the WeChat Official Account channel (微信公众号): WeChat
// pushes customer messages and events to /webhooks/wechat/{channel_id}
// (signed, and encrypted in safe mode); agents' replies go back through the
// customer-service message API (客服消息), within WeChat's reply window.
//
// It uses github.com/silenceper/wechat/v2's officialaccount package (never
// the root wechat package, whose init turns logging to debug and logs
// message bodies) for the message model, signatures, AES decryption, the
// stable access token, customer-service messages, typing and media upload.
// The library's request Server is not used: it reads bodies unbounded, logs
// at error level on every forged request, cannot tell a bad signature from
// bad XML and writes an encrypted empty reply in safe mode; parse.go does
// the same checks with bounds and typed errors.
package wechat

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Type is the channel type name.
const Type = "wechat"

// Connector implements the WeChat Official Account channel.
type Connector struct {
	deps    connectors.Deps
	base    string       // KEFU_WECHAT_API_BASE, without a trailing slash
	api     *http.Client // for the WeChat API (an operator-configured base)
	mem     cache.Cache  // the library wants one; tokens live in tokens
	tokens  *connectors.TokenCache
	media   *connectors.Media
	typMu   sync.Mutex
	typing  map[string]time.Time // openid → when the typing indicator was last sent
	typQ    []typingCall         // typing indicators to send, in order
	typBusy bool                 // a sender drains typQ
	// life ends when the hub stops (Run); bg is the work running after a
	// request returned (media downloads, typing indicators), joined then.
	life context.Context
	stop context.CancelFunc
	bg   sync.WaitGroup
}

var (
	_ connectors.Connector    = (*Connector)(nil)
	_ connectors.Typer        = (*Connector)(nil)
	_ connectors.MediaFetcher = (*Connector)(nil)
	_ connectors.Runner       = (*Connector)(nil)
)

// The library builds every URL from https://api.weixin.qq.com constants and
// offers only process-wide hooks to change that; the base is process-wide
// configuration anyway (KEFU_WECHAT_API_BASE), so the last connector built
// sets it.
var (
	apiBase   atomic.Pointer[string]
	hooksOnce sync.Once
)

const officialBase = "https://api.weixin.qq.com"

// New returns the WeChat connector; every platform call goes to apiBase.
func New(d connectors.Deps, apiBase string) *Connector {
	if apiBase == "" {
		apiBase = officialBase
	}
	base := strings.TrimSuffix(apiBase, "/")
	setAPIBase(base)
	c := &Connector{deps: d, base: base, mem: cache.NewMemory(),
		api: &http.Client{Timeout: 15 * time.Second}, typing: map[string]time.Time{}}
	c.life, c.stop = context.WithCancel(context.Background())
	c.tokens = connectors.NewTokenCache(d.Tokens, d.Now, tokenRejected)
	c.media = connectors.NewMedia(d.Files, "wechat", d.Log, c.FetchFile)
	return c
}

func setAPIBase(base string) {
	apiBase.Store(&base)
	hooksOnce.Do(func() {
		util.SetURIModifier(func(uri string) string {
			if b := *apiBase.Load(); b != officialBase {
				return strings.Replace(uri, officialBase, b, 1)
			}
			return uri
		})
		// The library's default is http.DefaultClient: no timeout at all.
		util.DefaultHTTPClient = &http.Client{Timeout: 15 * time.Second}
	})
}

// Type is "wechat".
func (c *Connector) Type() string { return Type }

// Window is WeChat's customer-service message rule (since June 2023): 5
// messages within 48 hours of a customer message; 3 within a minute of a
// menu click.
var Window = hub.ReplyPolicy{Within: 48 * time.Hour, Max: 5, EventWithin: time.Minute, EventMax: 3}

// Kind is the WeChat Official Account channel, calling the platform at
// apiBase (KEFU_WECHAT_API_BASE; "" for WeChat's own).
func Kind(apiBase string) connectors.Kind {
	return connectors.Kind{Type: Type, Window: &Window,
		New: func(d connectors.Deps) connectors.Connector { return New(d, apiBase) }}
}

// Routes registers the URL verification (GET) and the pushes (POST).
func (c *Connector) Routes(r gin.IRoutes) {
	r.GET("/:channel_id", c.verify)
	r.POST("/:channel_id", c.push)
}

// Run waits for the hub to stop, then for the background work: what is in
// flight gets a few seconds to finish, then it is cancelled.
func (c *Connector) Run(ctx context.Context) error {
	<-ctx.Done()
	done := make(chan struct{})
	go func() { c.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		c.stop()
		<-done
	}
	c.stop()
	return nil
}

// shutdownGrace is how long background work may finish when the hub stops.
const shutdownGrace = 5 * time.Second

// later runs f after the request that asked for it returned, bounded by d
// and by the hub's lifetime.
func (c *Connector) later(d time.Duration, f func(ctx context.Context)) {
	c.bg.Go(func() {
		ctx, cancel := context.WithTimeout(c.life, d)
		defer cancel()
		f(ctx)
	})
}
