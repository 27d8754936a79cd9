package workbench

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/outbound"
)

// checkURL applies the SSRF guard to a subscription URL (private addresses
// only when the operator allows them, as for callback URLs).
func (s channelAPI) checkURL(ctx context.Context, url *string) error {
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

func (s channelAPI) listWebhooks(g *gin.Context) {
	subs, err := s.Outbound.Subscriptions(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"webhooks": subs}, err)
}

// createWebhook subscribes a URL to events; the answer carries the signing
// secret, shown this once.
func (s channelAPI) createWebhook(g *gin.Context) {
	var p outbound.SubscriptionPatch
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
	sub, err := s.Outbound.CreateSubscription(ctx, connectors.AgentOf(g).TenantID, p, api.NewSecret())
	s.respond(g, http.StatusCreated, sub, err)
}

func (s channelAPI) getWebhook(g *gin.Context) {
	sub, err := s.Outbound.Subscription(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, sub, err)
}

func (s channelAPI) updateWebhook(g *gin.Context) {
	var p outbound.SubscriptionPatch
	if !bind(g, &p) {
		return
	}
	ctx := g.Request.Context()
	tid := connectors.AgentOf(g).TenantID
	if _, err := s.Outbound.Subscription(ctx, tid, g.Param("id")); err != nil {
		s.respond(g, 0, nil, err) // an unknown id is a 404 before the URL is looked at
		return
	}
	if err := s.checkURL(ctx, p.URL); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	sub, err := s.Outbound.UpdateSubscription(ctx, tid, g.Param("id"), p, "")
	s.respond(g, http.StatusOK, sub, err)
}

func (s channelAPI) deleteWebhook(g *gin.Context) {
	err := s.Outbound.DeleteSubscription(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

// rotateWebhookSecret replaces the signing secret; the new one is shown once.
func (s channelAPI) rotateWebhookSecret(g *gin.Context) {
	sub, err := s.Outbound.UpdateSubscription(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"),
		outbound.SubscriptionPatch{}, api.NewSecret())
	s.respond(g, http.StatusOK, sub, err)
}

func (s channelAPI) listWebhookDeliveries(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	ds, err := s.Outbound.SubscriptionDeliveries(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), int(limit))
	s.respond(g, http.StatusOK, gin.H{"deliveries": asSent(ds)}, err)
}
