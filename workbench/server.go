// Package workbench is the HTTP surface for agents, admins and integrators:
// the REST API under /api/v1, the agent websocket, health and metrics, and
// the platform webhooks mounted from the connectors.
package workbench

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/metrics"
	"github.com/kefu-hub/kefu/hub/stream"
	"github.com/kefu-hub/kefu/tickets"
)

// Pipeline is what the API asks of the running pipeline.
type Pipeline interface {
	Kick(tenantID string)
	Events(evs []hub.Event)
	Republish(ctx context.Context, topic, id string, payload []byte) error
}

// Deps is everything the HTTP surface needs.
type Deps struct {
	Store      *hub.Store
	Tickets    *tickets.Store
	Stream     *stream.Hub
	Pipeline   Pipeline
	Connectors connectors.Registry
	Metrics    *metrics.Metrics
	Ready      func(ctx context.Context) error
	Log        *slog.Logger
	PublicURL  string
	SessionTTL time.Duration
	// SessionRecheck is how often an open agent socket rechecks its
	// session (0: the SessionRecheck default).
	SessionRecheck time.Duration
	// TrustedProxies may name the client in X-Forwarded-For (none: the
	// direct peer is the client).
	TrustedProxies []string
	// AllowPrivateCallbacks lets webhook subscription URLs name loopback or
	// private hosts (KEFU_ALLOW_PRIVATE_CALLBACKS), as for callback URLs.
	AllowPrivateCallbacks bool
}

// Server holds the handlers.
type Server struct{ Deps }

// New builds the gin engine with every route.
func New(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler) // tests build the route table without a logger
	}
	s := &Server{d}
	e := gin.New()
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Error("trusted proxies", "err", err) // configs.Validate checked them
	}
	e.Use(gin.Recovery(), s.accessLog, cleanInput)
	e.GET("/healthz", func(g *gin.Context) { g.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	if d.Metrics != nil {
		e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})))
	}
	d.Connectors.Mount(e)

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", openAPI)
	v1.POST("/auth/login", s.login)
	v1.GET("/ws", s.websocket)

	a := v1.Group("", s.auth)
	a.POST("/auth/logout", s.logout)
	a.GET("/me", s.me)
	a.PUT("/me/status", s.setStatus)
	a.GET("/events", s.events)
	a.GET("/conversations", s.listConversations)
	a.GET("/conversations/:id", s.getConversation)
	a.GET("/conversations/:id/messages", s.listMessages)
	a.POST("/conversations/:id/messages", s.reply)
	a.POST("/conversations/:id/transfer", s.transfer)
	a.POST("/conversations/:id/close", s.closeConversation)
	a.POST("/conversations/:id/typing", s.typing)
	a.POST("/attachments", s.uploadAttachment)
	a.GET("/attachments/:id", s.getAttachment)
	a.GET("/conversations/:id/routing", s.conversationRouting)
	a.POST("/conversations/:id/pickup", s.pickUp)
	a.GET("/queue", s.listQueue)
	a.GET("/tickets", s.listTickets)
	a.GET("/tickets/:id", s.getTicket)
	a.POST("/tickets/:id/assign", s.assignTicket)
	a.POST("/tickets/:id/solve", s.solveTicket)
	a.GET("/agents", s.listAgents)
	// web visitors (connectors/web; visitors.go)
	a.GET("/visitors", s.listVisitors)
	a.GET("/visitors/:id", s.getVisitor)
	a.POST("/visitors/:id/invite", s.inviteVisitor)
	a.POST("/visitors/:id/chat", s.chatVisitor)
	a.GET("/groups", s.listGroups)

	// Agent tools of the workbench (issue 5, part A): canned replies, notes,
	// categories, blacklist, customer card, history export, rating request.
	a.GET("/canned-replies", s.listCanned)
	a.GET("/canned-replies/categories", s.cannedCategories)
	a.POST("/canned-replies", s.createCanned)
	a.PATCH("/canned-replies/:id", s.updateCanned)
	a.DELETE("/canned-replies/:id", s.deleteCanned)
	a.POST("/conversations/:id/notes", s.addNote)
	a.POST("/conversations/:id/blacklist", s.blacklist)
	a.POST("/conversations/:id/rating-request", s.requestRating)
	a.GET("/conversations/:id/export", s.exportConversation)
	a.GET("/categories", s.listCategories)
	a.GET("/contacts/:id", s.getContact)
	a.PATCH("/contacts/:id", s.updateContact)
	a.GET("/contacts/:id/conversations", s.contactConversations)
	a.GET("/contacts/:id/tickets", s.contactTickets)
	sup := a.Group("", s.supervisor)
	sup.GET("/blacklist", s.listBlacklist)
	sup.DELETE("/blacklist/:id", s.deleteBlacklist)
	a.POST("/categories", s.admin, s.createCategory)
	a.DELETE("/categories/:id", s.admin, s.deleteCategory)

	adm := a.Group("", s.admin)
	adm.POST("/tenants", s.createTenant)
	adm.POST("/agents", s.createAgent)
	adm.GET("/agents/:id", s.getAgent)
	adm.PATCH("/agents/:id", s.updateAgent)
	adm.POST("/groups", s.createGroup)
	adm.GET("/groups/:id", s.getGroup)
	adm.PATCH("/groups/:id", s.updateGroup)
	adm.GET("/routing/rules", s.listRules)
	adm.POST("/routing/rules", s.createRule)
	adm.GET("/routing/rules/:id", s.getRule)
	adm.PATCH("/routing/rules/:id", s.updateRule)
	adm.DELETE("/routing/rules/:id", s.deleteRule)
	adm.GET("/routing/region", s.region)
	adm.GET("/automations", s.getAutomations)
	adm.PUT("/automations", s.putAutomations)
	adm.GET("/channels", s.listChannels)
	adm.POST("/channels", s.createChannel)
	adm.GET("/channels/:id", s.getChannel)
	adm.PATCH("/channels/:id", s.updateChannel)
	adm.POST("/channels/:id/rotate-secret", s.rotateSecret)
	adm.GET("/channels/:id/deliveries", s.listDeliveries)
	adm.GET("/channels/:id/automations", s.getChannelAutomations)
	adm.PUT("/channels/:id/automations", s.putChannelAutomations)
	adm.DELETE("/channels/:id/automations", s.deleteChannelAutomations)
	adm.GET("/deliveries/:id", s.getDelivery)
	adm.POST("/deliveries/:id/redeliver", s.redeliver)
	adm.GET("/failed-messages", s.listFailed)
	adm.POST("/failed-messages/:id/retry", s.retryFailed)
	adm.GET("/api-tokens", s.listTokens)
	adm.POST("/api-tokens", s.createToken)
	adm.DELETE("/api-tokens/:id", s.deleteToken)
	s.consoleRoutes(a, adm)
	e.NoRoute(serveUI()) // the workbench UI (ui.go); JSON 404 under /api/ and /webhooks/
	return e
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

func (s *Server) readyz(g *gin.Context) {
	ctx, cancel := context.WithTimeout(g.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		fail(g, http.StatusServiceUnavailable, "not_ready", err.Error())
		return
	}
	g.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// consoleRoutes are the admin console's additions (issue 5, part B): TOTP
// two-factor, tenant settings, agent administration, the live monitor,
// ticket replies and comments, and webhook subscriptions.
func (s *Server) consoleRoutes(a, adm *gin.RouterGroup) {
	a.POST("/me/totp/setup", s.setupTOTP)
	a.POST("/me/totp/enable", s.enableTOTP)
	a.POST("/me/totp/disable", s.disableTOTP)
	a.POST("/tickets/:id/reply", s.replyTicket)
	a.POST("/tickets/:id/comments", s.commentTicket)
	a.GET("/monitor", s.staff, s.monitor)
	adm.GET("/settings", s.getSettings)
	adm.PUT("/settings", s.putSettings)
	adm.POST("/agents/:id/reset-password", s.resetPassword)
	adm.GET("/webhooks", s.listWebhooks)
	adm.POST("/webhooks", s.createWebhook)
	adm.GET("/webhooks/:id", s.getWebhook)
	adm.PATCH("/webhooks/:id", s.updateWebhook)
	adm.DELETE("/webhooks/:id", s.deleteWebhook)
	adm.POST("/webhooks/:id/rotate-secret", s.rotateWebhookSecret)
	adm.GET("/webhooks/:id/deliveries", s.listWebhookDeliveries)
}
