package workbench

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/hub"
)

// checkURL applies the SSRF guard to a subscription URL (private addresses
// only when the operator allows them, as for callback URLs).
func (s *Server) checkURL(ctx context.Context, url *string) error {
	if url == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := connectors.CheckURL(ctx, *url, s.AllowPrivateCallbacks); err != nil {
		return hub.Invalid("url: %v", err)
	}
	return nil
}

func (s *Server) listWebhooks(g *gin.Context) {
	subs, err := s.Store.Subscriptions(g.Request.Context(), current(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"webhooks": subs}, err)
}

// createWebhook subscribes a URL to events; the answer carries the signing
// secret, shown this once.
func (s *Server) createWebhook(g *gin.Context) {
	var p hub.SubscriptionPatch
	if !bind(g, &p) {
		return
	}
	if p.URL == nil {
		fail(g, http.StatusBadRequest, "invalid", "url is required")
		return
	}
	ctx := g.Request.Context()
	if err := s.checkURL(ctx, p.URL); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	sub, err := s.Store.CreateSubscription(ctx, current(g).TenantID, p, api.NewSecret())
	s.respond(g, http.StatusCreated, sub, err)
}

func (s *Server) getWebhook(g *gin.Context) {
	sub, err := s.Store.Subscription(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, sub, err)
}

func (s *Server) updateWebhook(g *gin.Context) {
	var p hub.SubscriptionPatch
	if !bind(g, &p) {
		return
	}
	ctx := g.Request.Context()
	tid := current(g).TenantID
	if _, err := s.Store.Subscription(ctx, tid, g.Param("id")); err != nil {
		s.respond(g, 0, nil, err) // an unknown id is a 404 before the URL is looked at
		return
	}
	if err := s.checkURL(ctx, p.URL); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	sub, err := s.Store.UpdateSubscription(ctx, tid, g.Param("id"), p, "")
	s.respond(g, http.StatusOK, sub, err)
}

func (s *Server) deleteWebhook(g *gin.Context) {
	err := s.Store.DeleteSubscription(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

// rotateWebhookSecret replaces the signing secret; the new one is shown once.
func (s *Server) rotateWebhookSecret(g *gin.Context) {
	sub, err := s.Store.UpdateSubscription(g.Request.Context(), current(g).TenantID, g.Param("id"),
		hub.SubscriptionPatch{}, api.NewSecret())
	s.respond(g, http.StatusOK, sub, err)
}

func (s *Server) listWebhookDeliveries(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	ds, err := s.Store.SubscriptionDeliveries(g.Request.Context(), current(g).TenantID, g.Param("id"), int(limit))
	s.respond(g, http.StatusOK, gin.H{"deliveries": ds}, err)
}
