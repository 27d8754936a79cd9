// Package workbench is the HTTP surface for agents, admins and integrators:
// the REST API under /api/v1, the agent websocket, health and metrics, and
// the platform webhooks mounted from the connectors.
package workbench

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/audit"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/canned"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/metrics"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/pipeline"
	"github.com/kefu-hub/kefu/hub/qa"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/robot"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/stream"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/tickets/views"
	"github.com/kefu-hub/kefu/workbench/activation"
	"github.com/kefu-hub/kefu/workbench/auditlog"
	"github.com/kefu-hub/kefu/workbench/crmapi"
	"github.com/kefu-hub/kefu/workbench/deliveryapi"
	"github.com/kefu-hub/kefu/workbench/kbapi"
	"github.com/kefu-hub/kefu/workbench/meapi"
	"github.com/kefu-hub/kefu/workbench/qaapi"
	"github.com/kefu-hub/kefu/workbench/ratingsapi"
	"github.com/kefu-hub/kefu/workbench/readapi"
	"github.com/kefu-hub/kefu/workbench/reportsapi"
	"github.com/kefu-hub/kefu/workbench/signin"
	"github.com/kefu-hub/kefu/workbench/slaapi"
)

// Pipeline is what the API asks of the running pipeline.
type Pipeline interface {
	Kick(tenantID string)
	Republish(ctx context.Context, topic, id string, payload []byte) error
}

// Deps is everything the HTTP surface needs.
type Deps struct {
	Kernel        *store.Store
	Audit         *audit.Store
	Identity      *identity.Identity
	Channels      *channels.Store
	Files         *files.Store
	Outbound      *outbound.Store
	Conversations *conversations.Store
	Cards         *conversations.Cards
	Categories    *conversations.Categories
	Assign        *assign.Assign
	Contacts      *contacts.Store
	Automations   *automations.Store
	Canned        *canned.Store
	KB            *kb.Store
	Robot         *robot.Robot
	QA            *qa.Store
	Ratings       *ratings.Store
	Failed        *pipeline.Failed
	Tickets       *tickets.Store
	Stream        *stream.Hub
	Pipeline      Pipeline
	Connectors    connectors.Registry
	Metrics       *metrics.Metrics
	// Ready reports what keeps the hub from serving: nil, or errors that
	// are (or join) *Down, one per dependency (anything else counts as
	// the hub itself). /readyz shows only their names and safe reasons.
	Ready func(ctx context.Context) error
	// MetricsToken, when set, serves /metrics to "Authorization: Bearer
	// <token>"; empty, /metrics is not served here (KEFU_METRICS_ADDR may
	// serve it on its own listener).
	MetricsToken string
	Log          *slog.Logger
	PublicURL    string
	SessionTTL   time.Duration
	// SessionRecheck is how often an open agent socket rechecks its
	// session (0: the SessionRecheck default).
	SessionRecheck time.Duration
	// TrustedProxies may name the client in X-Forwarded-For (none: the
	// direct peer is the client).
	TrustedProxies []string
	// AllowPrivateCallbacks lets webhook subscription URLs name loopback or
	// private hosts (KEFU_ALLOW_PRIVATE_CALLBACKS), as for callback URLs.
	AllowPrivateCallbacks bool
	// Region looks an IP address up in the IP database.
	Region func(ip string) string
}

// Server holds the handlers.
type Server struct {
	Deps
	engine *gin.Engine
	// The agent sockets open on this process, closed and waited for when
	// the hub stops (Run).
	sockMu  sync.Mutex
	socks   map[*websocket.Conn]struct{}
	closing bool
	sockWG  sync.WaitGroup
}

// New builds the gin engine with every route.
func New(d Deps) *Server {
	gin.SetMode(gin.ReleaseMode)
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler) // tests build the route table without a logger
	}
	s := &Server{Deps: d, socks: map[*websocket.Conn]struct{}{}}
	e := gin.New()
	s.engine = e
	admin, auth, chans, convs := adminAPI{s}, authAPI{s}, channelAPI{s}, conversationAPI{s}
	routes, tix, socks, tools := routingAPI{s}, ticketAPI{s}, socketAPI{s}, toolsAPI{s}
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Error("trusted proxies", "err", err) // configs.Validate checked them
	}
	e.Use(gin.Recovery(), s.accessLog, cleanInput)
	e.GET("/healthz", func(g *gin.Context) { g.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	if d.Metrics != nil {
		e.GET("/metrics", s.metrics(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})))
	}
	d.Connectors.Mount(e)

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", openAPI)
	v1.POST("/auth/login", auth.login)
	v1.GET("/ws", socks.websocket)

	a := v1.Group("", s.auth, auditlog.Middleware(d.Audit, d.Log))
	a.POST("/auth/logout", auth.logout)
	a.GET("/me", auth.me)
	a.PUT("/me/status", auth.setStatus)
	a.GET("/events", convs.events)
	a.GET("/conversations", convs.listConversations)
	a.GET("/conversations/:id", convs.getConversation)
	a.GET("/conversations/:id/messages", convs.listMessages)
	a.POST("/conversations/:id/messages", convs.reply)
	a.POST("/conversations/:id/transfer", convs.transfer)
	a.POST("/conversations/:id/close", convs.closeConversation)
	a.POST("/conversations/:id/typing", convs.typing)
	readapi.API{Conversations: d.Conversations, Kernel: d.Kernel, Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(a)
	a.POST("/attachments", chans.uploadAttachment)
	a.GET("/attachments/:id", chans.getAttachment)
	a.GET("/conversations/:id/routing", routes.conversationRouting)
	a.POST("/conversations/:id/pickup", routes.pickUp)
	a.GET("/queue", routes.listQueue)
	a.GET("/tickets/:id", tix.getTicket)
	a.POST("/tickets/:id/assign", tix.assignTicket)
	a.POST("/tickets/:id/solve", tix.solveTicket)
	a.GET("/agents", admin.listAgents)
	// the connectors' agent routes (the web channel's live visitors)
	d.Connectors.MountAgentAPI(a, connectors.AgentKit{Bind: bind, Respond: s.respond})
	a.GET("/groups", admin.listGroups)

	// Agent tools of the workbench (issue 5, part A): canned replies, notes,
	// categories, blacklist, customer card, history export, rating request.
	a.GET("/canned-replies", tools.listCanned)
	a.GET("/canned-replies/categories", tools.cannedCategories)
	a.POST("/canned-replies", tools.createCanned)
	a.PATCH("/canned-replies/:id", tools.updateCanned)
	a.DELETE("/canned-replies/:id", tools.deleteCanned)
	a.POST("/conversations/:id/notes", tools.addNote)
	a.POST("/conversations/:id/blacklist", tools.blacklist)
	a.POST("/conversations/:id/rating-request", tools.requestRating)
	a.GET("/conversations/:id/export", tools.exportConversation)
	a.GET("/categories", tools.listCategories)
	crm := crmapi.API{Contacts: d.Contacts, Tickets: d.Tickets, Cards: d.Cards, Conversations: d.Conversations,
		Fields: fields.New(d.Kernel), Identity: d.Identity, Views: views.New(d.Kernel, d.Tickets),
		Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}
	crm.Mount(a)
	a.GET("/contacts/:id", tools.getContact)
	a.PATCH("/contacts/:id", tools.updateContact)
	a.GET("/contacts/:id/conversations", tools.contactConversations)
	a.GET("/contacts/:id/tickets", tools.contactTickets)
	sup := a.Group("", s.supervisor)
	sup.GET("/blacklist", tools.listBlacklist)
	sup.DELETE("/blacklist/:id", tools.deleteBlacklist)
	reportsapi.New(d.Kernel, d.Identity, d.Channels, connectors.AgentKit{Bind: bind, Respond: s.respond}).
		WithTickets(d.Tickets).Mount(sup, a.Group("", s.admin))
	ratingsapi.API{Ratings: d.Ratings, Kernel: d.Kernel, Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(sup, a.Group("", s.admin), e, v1)
	slaapi.API{Tickets: d.Tickets, Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(a, sup, a.Group("", s.admin))
	a.POST("/categories", s.admin, tools.createCategory)
	a.DELETE("/categories/:id", s.admin, tools.deleteCategory)

	adm := a.Group("", s.admin)
	crm.MountAdmin(adm)
	adm.POST("/tenants", admin.createTenant)
	adm.POST("/agents", admin.createAgent)
	adm.GET("/agents/:id", admin.getAgent)
	adm.PATCH("/agents/:id", admin.updateAgent)
	adm.POST("/groups", admin.createGroup)
	adm.GET("/groups/:id", admin.getGroup)
	adm.PATCH("/groups/:id", routes.updateGroup)
	adm.GET("/routing/rules", routes.listRules)
	adm.POST("/routing/rules", routes.createRule)
	adm.GET("/routing/rules/:id", routes.getRule)
	adm.PATCH("/routing/rules/:id", routes.updateRule)
	adm.DELETE("/routing/rules/:id", routes.deleteRule)
	adm.GET("/routing/region", routes.region)
	adm.GET("/automations", routes.getAutomations)
	adm.PUT("/automations", routes.putAutomations)
	adm.POST("/automations/mask-preview", routes.maskPreview)
	adm.GET("/channels", chans.listChannels)
	adm.POST("/channels", chans.createChannel)
	adm.GET("/channels/:id", chans.getChannel)
	adm.PATCH("/channels/:id", chans.updateChannel)
	adm.POST("/channels/:id/rotate-secret", chans.rotateSecret)
	adm.POST("/channels/:id/rotate_identity_secret", chans.rotateSecret) // the app channel's name for it
	adm.GET("/channels/:id/automations", routes.getChannelAutomations)
	adm.PUT("/channels/:id/automations", routes.putChannelAutomations)
	adm.DELETE("/channels/:id/automations", routes.deleteChannelAutomations)
	adm.GET("/failed-messages", admin.listFailed)
	adm.POST("/failed-messages/:id/retry", admin.retryFailed)
	adm.GET("/api-tokens", admin.listTokens)
	adm.POST("/api-tokens", admin.createToken)
	adm.DELETE("/api-tokens/:id", admin.deleteToken)
	// the admin console (issue 5, part B): TOTP two-factor, tenant settings,
	// agent administration, the live monitor, ticket replies and comments,
	// and webhook subscriptions.
	meapi.API{Identity: d.Identity, Kernel: d.Kernel, Files: d.Files, Token: bearer, Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(a, v1)
	a.POST("/me/totp/setup", auth.setupTOTP)
	a.POST("/me/totp/enable", auth.enableTOTP)
	a.POST("/me/totp/disable", auth.disableTOTP)
	a.POST("/tickets/:id/reply", tix.replyTicket)
	a.POST("/tickets/:id/comments", tix.commentTicket)
	a.GET("/monitor", s.staff, admin.monitor)
	adm.GET("/settings", admin.getSettings)
	adm.PUT("/settings", admin.putSettings)
	adm.POST("/agents/:id/reset-password", admin.resetPassword)
	signin.Sessions{Identity: d.Identity, Respond: s.respond}.Mount(adm)
	activation.API{Identity: d.Identity, Channels: d.Channels, Assign: s.Assign, Kick: func(tid string) { s.Pipeline.Kick(tid) }, Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(adm)
	kbapi.API{KB: d.KB, Rich: d.Robot.Rich(), Robot: d.Robot, Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(a, adm)
	qaapi.API{QA: d.QA, Conversations: d.Conversations, Identity: d.Identity,
		Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(a, sup, adm)
	deliveryapi.API{Channels: d.Channels, Outbound: s.Outbound, AllowPrivateCallbacks: d.AllowPrivateCallbacks,
		Kit: connectors.AgentKit{Bind: bind, Respond: s.respond}}.Mount(adm)
	adm.GET("/audit", admin.listAudit)
	adm.GET("/audit/export", admin.exportAudit)
	e.NoRoute(serveUI()) // the workbench UI (ui.go); JSON 404 under /api/ and /webhooks/
	return s
}

// ServeHTTP serves the hub's HTTP surface.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes lists every route served.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// Run waits for the hub to stop, then closes the agent sockets (agents
// reconnect and resume from their last event, here or on another process)
// and waits for their handlers.
func (s *Server) Run(ctx context.Context) error {
	<-ctx.Done()
	s.sockMu.Lock()
	s.closing = true
	for conn := range s.socks {
		wsClose(conn, websocket.CloseServiceRestart, "restarting")
		conn.Close()
	}
	s.sockMu.Unlock()
	s.sockWG.Wait()
	return nil
}

// track registers an agent socket; false once the process is stopping.
func (s *Server) track(conn *websocket.Conn) bool {
	s.sockMu.Lock()
	defer s.sockMu.Unlock()
	if s.closing {
		return false
	}
	s.socks[conn] = struct{}{}
	s.sockWG.Add(1)
	return true
}

func (s *Server) untrack(conn *websocket.Conn) {
	s.sockMu.Lock()
	delete(s.socks, conn)
	s.sockMu.Unlock()
	s.sockWG.Done()
}

func (s *Server) accessLog(g *gin.Context) {
	start := time.Now()
	g.Next()
	route := g.FullPath()
	if route == "" {
		route = "unmatched"
	}
	if s.Metrics != nil {
		s.Metrics.HTTP.WithLabelValues(route, strconv.Itoa(g.Writer.Status()/100)+"xx").Inc()
	}
	if g.Writer.Status() >= 500 {
		s.Log.Warn("http", "method", g.Request.Method, "route", route, "status", g.Writer.Status(), "took", time.Since(start))
	} else {
		s.Log.Debug("http", "method", g.Request.Method, "route", route, "status", g.Writer.Status(), "took", time.Since(start))
	}
}

// Down says that a dependency the hub cannot serve without is down.
// Dependency and Reason are shown to anyone who asks /readyz, so they
// never carry addresses or driver errors; Err (the details) is only
// logged.
type Down struct {
	Dependency string // "database", "bus", "inbox", "pipeline"
	Reason     string // a short fixed phrase
	Err        error
}

func (d *Down) Error() string {
	if d.Err == nil {
		return d.Dependency + ": " + d.Reason
	}
	return d.Dependency + ": " + d.Reason + ": " + d.Err.Error()
}

func (d *Down) Unwrap() error { return d.Err }

// downs flattens err (a *Down, or errors.Join of them) into the
// dependencies it names; any other error is the hub itself, unnamed.
func downs(err error) []*Down {
	if d, ok := err.(*Down); ok {
		return []*Down{d}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Down
		for _, e := range j.Unwrap() {
			out = append(out, downs(e)...)
		}
		return out
	}
	return []*Down{{Dependency: "hub", Reason: "not ready", Err: err}}
}

// readyz answers 200 when the hub can serve, else 503 naming each
// dependency that is down and why, in words safe to show anyone: the raw
// errors (addresses, driver messages) go to the log.
func (s *Server) readyz(g *gin.Context) {
	ctx, cancel := context.WithTimeout(g.Request.Context(), 2*time.Second)
	defer cancel()
	err := s.Ready(ctx)
	if err == nil {
		g.JSON(http.StatusOK, gin.H{"status": "ready"})
		return
	}
	down := map[string]string{}
	var msg []string
	for _, d := range downs(err) {
		if down[d.Dependency] == "" {
			down[d.Dependency] = d.Reason
			msg = append(msg, d.Dependency+": "+d.Reason)
		}
	}
	if down["pipeline"] != "" {
		s.Log.Debug("not ready", "err", err) // starting: probes poll until it is
	} else {
		s.Log.Warn("not ready", "err", err)
	}
	g.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"status": "not_ready", "down": down,
		"error": gin.H{"code": "not_ready", "message": strings.Join(msg, "; ")}})
}

// metrics guards the Prometheus handler with the bearer token; without a
// token the main listener does not serve metrics at all.
func (s *Server) metrics(h http.Handler) gin.HandlerFunc {
	want := []byte("Bearer " + s.MetricsToken)
	return func(g *gin.Context) {
		if s.MetricsToken == "" {
			fail(g, http.StatusNotFound, "not_found", "metrics are not served here: set KEFU_METRICS_TOKEN or KEFU_METRICS_ADDR")
			return
		}
		if subtle.ConstantTimeCompare([]byte(g.GetHeader("Authorization")), want) != 1 {
			g.Header("WWW-Authenticate", `Bearer realm="metrics"`)
			fail(g, http.StatusUnauthorized, "unauthorized", "metrics need the bearer token (KEFU_METRICS_TOKEN)")
			return
		}
		h.ServeHTTP(g.Writer, g.Request)
	}
}
