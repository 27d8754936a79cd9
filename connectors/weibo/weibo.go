// Package weibo is the Weibo fans-service channel (微博粉丝服务平台, private
// messages): Weibo pushes customers' private messages and events as JSON to
// /webhooks/weibo/{channel_id}, each request signed with the app's
// AppSecret; agents' replies go back through the customer-service message
// API (/2/messages/reply.json) within Weibo's 48-hour window.
//
// Weibo's signature covers the timestamp and nonce only, never the body (as
// in WeChat's plain mode), so the hub also refuses timestamps outside the
// signature tolerance: a captured request cannot be replayed later.
package weibo

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Type is the channel type name.
const Type = "weibo"

// OfficialBase is Weibo's API (KEFU_WEIBO_API_BASE's default).
const OfficialBase = "https://api.weibo.com"

// Connector implements the Weibo channel.
type Connector struct {
	deps  connectors.Deps
	base  string       // KEFU_WEIBO_API_BASE, without a trailing slash
	api   *http.Client // for the Weibo API (an operator-configured base)
	media *connectors.Media
	// life ends when the hub stops (Run); bg is the media downloads
	// running after a push was acknowledged, joined then.
	life context.Context
	stop context.CancelFunc
	bg   sync.WaitGroup
}

var (
	_ connectors.Connector    = (*Connector)(nil)
	_ connectors.MediaFetcher = (*Connector)(nil)
	_ connectors.Runner       = (*Connector)(nil)
)

// New returns the Weibo connector; every platform call goes to apiBase.
func New(d connectors.Deps, apiBase string) *Connector {
	if apiBase == "" {
		apiBase = OfficialBase
	}
	c := &Connector{deps: d, base: strings.TrimSuffix(apiBase, "/"), api: &http.Client{Timeout: 15 * time.Second}}
	c.life, c.stop = context.WithCancel(context.Background())
	c.media = connectors.NewMedia(d.Files, "weibo", d.Log, c.FetchFile)
	return c
}

// Type is "weibo".
func (c *Connector) Type() string { return Type }

// Window is Weibo's rule for customer-service replies: any number within
// 48 hours of the user's last message, follow, subscription, scan or menu
// click; one reply to an @mention; none after unfollowing.
var Window = hub.ReplyPolicy{Within: 48 * time.Hour,
	Types: map[string]hub.ReplyRule{TypeMention: {Within: 48 * time.Hour, Max: 1}},
	Opens: []hub.ContactEvent{hub.ContactSubscribed, hub.ContactScanned, hub.ContactClicked},
	Explain: "Weibo accepts replies for 48 hours after the user's last message, follow, scan or menu click, one reply to an @mention, " +
		"none after unfollowing (微博：用户最后一次私信、关注、扫码或点击菜单后 48 小时内可回复；@提及 只能回复一次；取消关注后不能回复)"}

// Kind is the Weibo channel, calling the platform at apiBase
// (KEFU_WEIBO_API_BASE; "" for Weibo's own).
func Kind(apiBase string) connectors.Kind {
	return connectors.Kind{Type: Type, Window: &Window,
		New: func(d connectors.Deps) connectors.Connector { return New(d, apiBase) }}
}

// Routes registers the URL verification (GET), the pushes (POST) and the
// signed links to images agents send (Weibo shows them as link cards).
func (c *Connector) Routes(r gin.IRoutes) {
	r.GET("/:channel_id", c.verify)
	r.POST("/:channel_id", c.push)
	r.GET("/:channel_id/files/:file_id", c.file)
}

// later runs f in the background, bounded by d and by the hub's lifetime.
func (c *Connector) later(d time.Duration, f func(ctx context.Context)) {
	c.bg.Go(func() {
		ctx, cancel := context.WithTimeout(c.life, d)
		defer cancel()
		f(ctx)
	})
}

// Run waits for the hub to stop, then for the media downloads: what is in
// flight gets a few seconds to finish, then it is cancelled.
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
