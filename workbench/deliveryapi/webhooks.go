package deliveryapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/outbound"
)

func (a API) listWebhooks(g *gin.Context) {
	subs, err := a.Outbound.Subscriptions(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, gin.H{"webhooks": subs}, err)
}

// createWebhook subscribes a URL to events; the answer carries the signing
// secret, shown this once.
func (a API) createWebhook(g *gin.Context) {
	var p outbound.SubscriptionPatch
	if !a.Kit.Bind(g, &p) {
		return
	}
	if p.URL == nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("url is required"))
		return
	}
	ctx := g.Request.Context()
	if err := a.checkURL(ctx, p.URL); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	sub, err := a.Outbound.CreateSubscription(ctx, connectors.AgentOf(g).TenantID, p, api.NewSecret())
	a.Kit.Respond(g, http.StatusCreated, sub, err)
}

func (a API) getWebhook(g *gin.Context) {
	sub, err := a.Outbound.Subscription(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, sub, err)
}

func (a API) updateWebhook(g *gin.Context) {
	var p outbound.SubscriptionPatch
	if !a.Kit.Bind(g, &p) {
		return
	}
	ctx := g.Request.Context()
	tid := connectors.AgentOf(g).TenantID
	if _, err := a.Outbound.Subscription(ctx, tid, g.Param("id")); err != nil {
		a.Kit.Respond(g, 0, nil, err) // an unknown id is a 404 before the URL is looked at
		return
	}
	if err := a.checkURL(ctx, p.URL); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	sub, err := a.Outbound.UpdateSubscription(ctx, tid, g.Param("id"), p, "")
	a.Kit.Respond(g, http.StatusOK, sub, err)
}

func (a API) deleteWebhook(g *gin.Context) {
	err := a.Outbound.DeleteSubscription(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

// rotateWebhookSecret replaces the signing secret; the new one is shown once.
func (a API) rotateWebhookSecret(g *gin.Context) {
	sub, err := a.Outbound.UpdateSubscription(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"),
		outbound.SubscriptionPatch{}, api.NewSecret())
	a.Kit.Respond(g, http.StatusOK, sub, err)
}

func (a API) listWebhookDeliveries(g *gin.Context) {
	limit, ok := connectors.QueryInt(g, "limit", 100)
	if !ok {
		return
	}
	ds, err := a.Outbound.SubscriptionDeliveries(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), int(limit))
	a.Kit.Respond(g, http.StatusOK, gin.H{"deliveries": asSent(ds)}, err)
}
