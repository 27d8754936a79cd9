package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/connectors/web/visitors"
	"github.com/kefu-hub/kefu/hub"
)

// Connector implements the web channel.
type Connector struct {
	deps     connectors.Deps
	visitors *visitors.Store
	hub      *Dispatcher
	limits   *custsock.Limiter
	names    *custsock.Names
	proj     custsock.Projector
	admit    *admission         // open visitor sockets, by address and channel
	socks    sync.WaitGroup     // the visitor sockets' goroutines
	handling custsock.Offloader // frames being handled off their readers
	opened   activeCounts       // each channel's active conversations, for its cap
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Pager     = (*Connector)(nil)
	_ connectors.Linker    = (*Connector)(nil)
	_ connectors.EventSink = (*Connector)(nil)
	_ connectors.Runner    = (*Connector)(nil)
	_ connectors.AgentAPI  = (*Connector)(nil)
)

// Kind is the website channel. It pushes agent messages over the
// visitor's own sockets, so replies to it never wait in the delivery queue.
var Kind = connectors.Kind{Type: "web", Pushes: true, New: func(d connectors.Deps) connectors.Connector { return New(d) }}

// New returns the web channel connector.
func New(d connectors.Deps) *Connector {
	if d.Region == nil {
		d.Region = func(string) string { return "" }
	}
	perAddr, perChannel := d.Sockets.PerAddr, d.Sockets.PerChannel
	if perAddr <= 0 {
		perAddr = defaultSocketsPerAddr
	}
	if perChannel <= 0 {
		perChannel = defaultSocketsPerChan
	}
	c := &Connector{deps: d, limits: custsock.NewLimiter(), visitors: visitors.New(d.Store, d.Customers, d.Region),
		handling: custsock.NewOffloader(maxHandling),
		admit:    newAdmission(perAddr, perChannel, socketCap(custsock.FDLimit(), d.Sockets.Max))}
	if d.Log != nil && d.Store != nil { // a serving hub, not a route listing
		d.Log.Info("visitor socket caps", "per_addr", perAddr, "per_channel", perChannel, "process", c.admit.max,
			"open_file_limit", custsock.FDLimit())
	}
	c.names = custsock.NewNames(func(ctx context.Context, tenantID, id string) (string, error) {
		return d.Customers.AgentName(ctx, tenantID, id)
	})
	c.proj = custsock.Projector{Names: c.names, FileURL: FileURL,
		Rating: func(ch *hub.Channel) bool { return parseConfig(ch.Config).Rating },
		ClientID: func(ext string) (string, bool) {
			_, cid, ok := cutVisitorExternal(ext)
			return cid, ok
		}}
	c.proj.Avatars = custsock.NewAvatars(d.Avatars)
	c.hub = newDispatcher(c)
	return c
}

// customers is what the web channel asks of the hub.
func (c *Connector) customers() connectors.Customers { return c.deps.Customers }

// Events takes the hub's event broadcast: the visitor sockets of this
// process follow their conversations.
func (c *Connector) Events(evs []hub.Event) { c.hub.Publish(evs) }

// Run keeps channel availability fresh and the visitors' heartbeat until
// ctx ends; then it closes the visitor sockets (their widgets reconnect to
// another process, or this one when it is back), waits for them, and tells
// agents who left before the database closes.
func (c *Connector) Run(ctx context.Context) error {
	c.hub.Run(ctx)
	for _, v := range c.hub.closeAll() {
		custsock.CloseWith(v.out.WS, websocket.CloseServiceRestart, "restarting")
		v.out.WS.Close()
	}
	c.socks.Wait()
	flush, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.visitors.Flush(flush); err != nil {
		c.deps.Log.Debug("announce departing visitors", "err", err)
	}
	c.visitors.Stop()
	return nil
}

// Type is "web".
func (c *Connector) Type() string { return "web" }

// Setup validates the widget settings and issues the identity secret.
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	var cfg Config
	if err := custsock.DecodeConfig(raw, &cfg); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := cfg.normalize(func(id string) bool { return c.customers().GroupExists(ctx, ch.TenantID, id) })
	if err != nil {
		return err
	}
	if ch.Secret == "" || rotate {
		ch.Secret = "wsec_" + strings.TrimPrefix(hub.NewID("x"), "x_")
	}
	ch.WantsEvents = false
	ch.Config, _ = json.Marshal(cfg)
	return nil
}

// Info is what the site owner needs, with links at the configured public URL.
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	return c.InfoAt(ch, strings.TrimSuffix(c.deps.PublicURL, "/"))
}

// InfoAt is what the site owner needs: the snippet, the direct chat link
// and the identity secret for Kefu.identify hashes.
func (c *Connector) InfoAt(ch *hub.Channel, base string) map[string]any {
	help := ""
	if cfg := parseConfig(ch.Config); cfg.HelpCentre {
		help = base + cfg.helpURL(ch)
	}
	return map[string]any{
		"help_url":        help,
		"snippet":         fmt.Sprintf(`<script src="%s/widget.js" data-channel="%s" async></script>`, base, ch.ID),
		"chat_url":        base + "/chat/" + ch.ID,
		"identity_secret": ch.Secret,
		"identity":        "Kefu.identify({id, name, email, phone, hash}) with hash = hex(HMAC-SHA256(identity_secret, id))",
	}
}

// Routes registers the widget's endpoints under /webhooks/web.
func (c *Connector) Routes(r gin.IRoutes) {
	r.GET("/:channel_id/config", c.config)
	r.OPTIONS("/:channel_id/config", c.preflight)
	r.GET("/:channel_id/ws", c.socket)
	r.POST("/:channel_id/upload", c.upload)
	r.OPTIONS("/:channel_id/upload", c.preflight)
	r.GET("/:channel_id/files/:file_id", c.file)
}

// Send has nothing to push: the web channel is a pushing kind, so agent
// messages reach the visitor's sockets from the event stream, and a visitor
// who is away reads them from the database when the page opens again.
func (c *Connector) Send(context.Context, *hub.Channel, *hub.Outbound) hub.SendResult {
	return hub.SendResult{}
}

var fail = connectors.Fail

// channel loads a web channel for a widget request, answering 404/503, and
// 410 for a deactivated channel (the widget then says the service is
// unavailable).
func (c *Connector) channel(g *gin.Context) (*hub.Channel, Config, bool) {
	ch, cfg, ok := c.lookup(g)
	if ok && connectors.Disabled(g, ch.Disabled, nil) {
		return nil, Config{}, false
	}
	return ch, cfg, ok
}

// lookup loads a web channel, deactivated or not, answering 404/503.
func (c *Connector) lookup(g *gin.Context) (*hub.Channel, Config, bool) {
	ch, err := c.deps.Channel(g.Request.Context(), g.Param("channel_id"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != c.Type()) {
		fail(g, http.StatusNotFound, "not_found", "no such web channel")
		return nil, Config{}, false
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return nil, Config{}, false
	}
	return ch, parseConfig(ch.Config), true
}

// originAllowed checks the page's origin against the allowed domains; the
// hub's own pages (the direct chat) are always allowed.
func originAllowed(r *http.Request, cfg *Config) (string, bool) {
	origin := r.Header.Get("Origin")
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return origin, false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return origin, true
	}
	return origin, cfg.allowsHost(u.Hostname())
}

// cors sets the CORS headers for an allowed origin, or answers 403.
func cors(g *gin.Context, cfg *Config) bool {
	origin, ok := originAllowed(g.Request, cfg)
	if !ok {
		fail(g, http.StatusForbidden, "origin_not_allowed", "this site is not among the channel's allowed domains")
		return false
	}
	h := g.Writer.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Kefu-Visitor")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	return true
}

func (c *Connector) preflight(g *gin.Context) {
	if _, cfg, ok := c.channel(g); ok && cors(g, &cfg) {
		g.Status(http.StatusNoContent)
	}
}

// config serves the public widget settings with the current availability.
func (c *Connector) config(g *gin.Context) {
	ch, cfg, ok := c.channel(g)
	if !ok {
		return
	}
	// Browsers send no Origin on a same-origin GET (the hub's own direct
	// chat page); the settings are public, so that needs no CORS headers.
	if g.GetHeader("Origin") != "" && !cors(g, &cfg) {
		return
	}
	online := c.hub.available(g.Request.Context(), ch)
	pub := cfg.public(ch, online)
	if cfg.Rating && c.deps.Ratings != nil {
		levels, err := c.deps.Ratings.Levels(g.Request.Context(), ch.TenantID)
		if err != nil {
			c.deps.Log.Warn("rating scale for the widget", "channel", ch.ID, "err", err)
		}
		pub["rating_levels"] = levels // nil: the widget's five stars
	}
	g.Header("Cache-Control", "no-store")
	g.JSON(http.StatusOK, pub)
}

// Keys. The visitor token proves a visitor id was issued by this channel;
// the file signature lets a visitor's page load the files of its chat.

func mac(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func visitorToken(ch *hub.Channel, visitorID string) string {
	return base64.RawURLEncoding.EncodeToString(mac(ch.Secret, "visitor\x00"+ch.ID+"\x00"+visitorID)[:18])
}

func validVisitor(ch *hub.Channel, id, token string) bool {
	if !strings.HasPrefix(id, "v_") || len(id) > 64 || token == "" {
		return false
	}
	return hmac.Equal([]byte(visitorToken(ch, id)), []byte(token))
}

func fileSig(ch *hub.Channel, fileID string) string {
	return base64.RawURLEncoding.EncodeToString(mac(ch.Secret, "file\x00"+ch.ID+"\x00"+fileID)[:15])
}

// FileURL is where a visitor's page loads a file of its conversation
// (relative to the hub).
func FileURL(ch *hub.Channel, fileID string) string {
	return "/webhooks/web/" + ch.ID + "/files/" + fileID + "?s=" + fileSig(ch, fileID)
}

// IdentityHash is the hash Kefu.identify must carry for a user id.
func IdentityHash(secret, userID string) string { return hex.EncodeToString(mac(secret, userID)) }

func validIdentity(ch *hub.Channel, userID, hash string) bool {
	return hash != "" && hmac.Equal([]byte(IdentityHash(ch.Secret, userID)), []byte(strings.ToLower(hash)))
}
