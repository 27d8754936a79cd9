package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
)

// Connector implements the app channel.
type Connector struct {
	deps    connectors.Deps
	users   *users
	pushers *push.Pushers
	limits  *custsock.Limiter
	names   *custsock.Names
	proj    custsock.Projector
	hub     *dispatcher
	socks   sync.WaitGroup
	// maxSockets caps this process's app sockets (socketCap).
	maxSockets int
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Pager     = (*Connector)(nil)
	_ connectors.Linker    = (*Connector)(nil)
	_ connectors.EventSink = (*Connector)(nil)
	_ connectors.Runner    = (*Connector)(nil)
	_ connectors.AgentAPI  = (*Connector)(nil)
)

// Kind is the app channel. Agent messages reach open app sockets from the
// event stream, and go through the delivery queue too: its one delivery per
// message is where a user with no open socket gets exactly one push, sent
// with opts (the push services' bases; the hub's HTTP client and shared
// tokens are filled in).
func Kind(opts push.Options) connectors.Kind {
	return connectors.Kind{Type: "app", New: func(d connectors.Deps) connectors.Connector { return New(d, opts) }}
}

// New returns the app channel connector.
func New(d connectors.Deps, opts push.Options) *Connector {
	if opts.HTTPClient == nil {
		opts.HTTPClient = d.HTTP
	}
	if opts.Tokens == nil {
		opts.Tokens = d.Tokens
	}
	c := &Connector{deps: d, pushers: push.NewPushers(opts), limits: custsock.NewLimiter(),
		maxSockets: socketCap(custsock.FDLimit(), d.Sockets.Max)}
	if d.Store != nil {
		c.users = &users{k: d.Store, contacts: contacts.New(d.Store)}
	}
	c.names = custsock.NewNames(func(ctx context.Context, tenantID, id string) (string, error) {
		return d.Customers.AgentName(ctx, tenantID, id)
	})
	c.proj = custsock.Projector{Names: c.names, FileURL: FileURL,
		Rating:   func(ch *hub.Channel) bool { return parseConfig(ch.Config).Rating },
		ClientID: clientIDOf}
	c.proj.Avatars = custsock.NewAvatars(d.Avatars)
	c.hub = newDispatcher(c)
	return c
}

// socketCap is the cap on a process's app sockets: half the open-file limit
// (the other half stays for the web widget's visitors, agents, the
// database and the bus), or the configured cap of customer sockets when
// lower; 10,000 when the limit is unknown.
func socketCap(fdLimit uint64, configured int) int {
	bound := 10000
	if fdLimit > 0 {
		bound = int(min(fdLimit/2, 1<<31-1))
	}
	if configured > 0 && configured < bound {
		return configured
	}
	return bound
}

// Type is "app".
func (c *Connector) Type() string { return "app" }

// Setup validates the settings and issues the identity secret; rotating
// keeps the previous secret valid for a day (apps in the field hold tokens
// and hashes made with it).
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	var cfg Config
	if err := custsock.DecodeConfig(raw, &cfg); err != nil {
		return err
	}
	if err := cfg.normalize(); err != nil {
		return err
	}
	s := parseSecrets(ch.Secret)
	switch {
	case s.Current == "":
		s.Current = newSecret()
	case rotate:
		s.Current, s.Previous, s.Until = newSecret(), s.Current, c.now().Add(previousValid).Unix()
	}
	if err := s.setPush(&cfg); err != nil {
		return err
	}
	ch.Secret = s.String()
	ch.WantsEvents = false
	ch.Config, _ = json.Marshal(cfg)
	return nil
}

func newSecret() string { return "asec_" + strings.TrimPrefix(hub.NewID("x"), "x_") }

func (c *Connector) now() time.Time {
	if c.deps.Now != nil {
		return c.deps.Now()
	}
	return time.Now()
}

// Info is what the app's developers need.
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	return c.InfoAt(ch, strings.TrimSuffix(c.deps.PublicURL, "/"))
}

// InfoAt is what the app's developers need: the app key, the identity
// secret their server signs user ids with, and the API's base URL.
func (c *Connector) InfoAt(ch *hub.Channel, base string) map[string]any {
	cfg := parseConfig(ch.Config)
	return map[string]any{"app_key": ch.ID, "identity_secret": parseSecrets(ch.Secret).Current,
		"identity": string(cfg.Identity), "base_url": base, "base_path": "/app/v1/" + ch.ID,
		"user_hash": "hex(HMAC-SHA256(identity_secret, user_id))"}
}

// Routes registers nothing under /webhooks/app: the app's API is /app/v1.
func (c *Connector) Routes(gin.IRoutes) {}

// Pages registers the app API under /app/v1/{app_key}.
func (c *Connector) Pages(r gin.IRouter) {
	g := r.Group("/app/v1/:app_key", cors)
	g.OPTIONS("/*path", c.preflight)
	g.POST("/identify", c.identify)
	g.GET("/conversations", c.authed(c.listConversations))
	g.POST("/conversations", c.authed(c.openConversation))
	g.GET("/messages", c.authed(c.listMessages))
	g.POST("/messages", c.authed(c.postMessage))
	g.POST("/uploads", c.authed(c.upload))
	g.GET("/files/:file_id", c.file)
	g.POST("/read", c.authed(c.markRead))
	g.GET("/rating", c.authed(c.ratingScale))
	g.POST("/rating", c.authed(c.rate))
	g.POST("/feedback", c.authed(c.feedback))
	g.POST("/leave_message", c.authed(c.leaveMessage))
	g.PUT("/push_token", c.authed(c.putPushToken))
	g.DELETE("/push_token", c.authed(c.deletePushToken))
	g.GET("/ws", sockets{c}.socket)
}

// cors lets a web app on any origin call the API (the SDK's browser
// transport): every call but identify carries a bearer token, never a
// cookie, and identify needs what only the company's server can sign, so no
// origin gains what a script elsewhere could not already send.
func cors(g *gin.Context) {
	h := g.Writer.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Retry-After")
	if g.Request.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
		h.Set("Access-Control-Max-Age", "600")
	}
}

// preflight answers a browser's CORS preflight for an app that exists
// (404 for any other key).
func (c *Connector) preflight(g *gin.Context) {
	if _, ok := c.channel(g); ok {
		g.Status(http.StatusNoContent)
	}
}

// AgentRoutes registers what agents read of app users: the device, traits
// and push status beside a conversation.
func (c *Connector) AgentRoutes(r gin.IRouter, kit connectors.AgentKit) {
	r.GET("/contacts/:id/app", func(g *gin.Context) { c.profile(g, kit) })
}

// profile answers the app user behind a contact the agent may see (null
// for a customer from another channel; 404 for a contact the agent may not
// see, as for one that does not exist).
func (c *Connector) profile(g *gin.Context, kit connectors.AgentKit) {
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	ok, err := c.users.contacts.Visible(ctx, a, g.Param("id"))
	if err == nil && !ok {
		err = hub.ErrNotFound
	}
	if err != nil {
		kit.Respond(g, 0, nil, err)
		return
	}
	p, err := c.users.profile(ctx, a.TenantID, g.Param("id"))
	if errors.Is(err, hub.ErrNotFound) {
		kit.Respond(g, http.StatusOK, gin.H{"app": nil}, nil)
		return
	}
	kit.Respond(g, http.StatusOK, gin.H{"app": p}, err)
}

// Events takes the hub's event broadcast: this process's app sockets
// follow their conversations.
func (c *Connector) Events(evs []hub.Event) { c.hub.publish(evs) }

// Run keeps this process's sockets counted as present, asks for pings, and
// at shutdown closes the sockets (their apps reconnect elsewhere) and
// forgets their presence.
func (c *Connector) Run(ctx context.Context) error {
	c.hub.run(ctx)
	for _, s := range c.hub.closeAll() {
		custsock.CloseWith(s.out.WS, websocket.CloseServiceRestart, "restarting")
		s.out.WS.Close()
	}
	c.socks.Wait()
	return nil
}

var fail = connectors.Fail

// channel loads the app channel an app_key names, answering 404/503.
func (c *Connector) channel(g *gin.Context) (*hub.Channel, bool) {
	ch, err := c.deps.Channel(g.Request.Context(), g.Param("app_key"))
	if errors.Is(err, hub.ErrNotFound) || (err == nil && ch.Type != c.Type()) {
		fail(g, http.StatusNotFound, "not_found", "no such app")
		return nil, false
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return nil, false
	}
	if connectors.Disabled(g, ch.Disabled, nil) {
		return nil, false
	}
	return ch, true
}

// authed wraps a handler that needs the user's token.
func (c *Connector) authed(h func(g *gin.Context, ch *hub.Channel, u *user)) gin.HandlerFunc {
	return func(g *gin.Context) {
		ch, ok := c.channel(g)
		if !ok {
			return
		}
		tok, ok := strings.CutPrefix(g.GetHeader("Authorization"), "Bearer ")
		u, valid := readToken(ch, strings.TrimSpace(tok), c.now())
		if !ok || !valid {
			fail(g, http.StatusUnauthorized, "bad_token", "Authorization: Bearer <token from identify> is missing, wrong or expired")
			return
		}
		h(g, ch, u)
	}
}
