// Package deliveryapi is the HTTP side of what the hub sends out for a
// tenant: each channel's delivery log (what a callback was sent, and
// sending it again) and the tenant's webhook subscriptions (signed event
// callbacks). outbound keeps the rules; these handlers decode, call one
// method and answer.
package deliveryapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/outbound"
)

// API serves the routes.
type API struct {
	Channels *channels.Store
	Outbound *outbound.Store
	// AllowPrivateCallbacks lets subscription URLs name loopback or
	// private addresses (the SSRF guard is off).
	AllowPrivateCallbacks bool
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes, all for admins.
func (a API) Mount(admins gin.IRoutes) {
	admins.GET("/channels/:id/deliveries", a.listDeliveries)
	admins.GET("/deliveries/:id", a.getDelivery)
	admins.POST("/deliveries/:id/redeliver", a.redeliver)
	admins.GET("/webhooks", a.listWebhooks)
	admins.POST("/webhooks", a.createWebhook)
	admins.GET("/webhooks/:id", a.getWebhook)
	admins.PATCH("/webhooks/:id", a.updateWebhook)
	admins.DELETE("/webhooks/:id", a.deleteWebhook)
	admins.POST("/webhooks/:id/rotate-secret", a.rotateWebhookSecret)
	admins.GET("/webhooks/:id/deliveries", a.listWebhookDeliveries)
}

func (a API) listDeliveries(g *gin.Context) {
	ctx := g.Request.Context()
	tid := connectors.AgentOf(g).TenantID
	if _, err := a.Channels.ForTenant(ctx, tid, g.Param("id")); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	limit, ok := connectors.QueryInt(g, "limit", 100)
	if !ok {
		return
	}
	ds, err := a.Outbound.List(ctx, tid, g.Param("id"), int(limit))
	a.Kit.Respond(g, http.StatusOK, gin.H{"deliveries": asSent(ds)}, err)
}

func (a API) getDelivery(g *gin.Context) {
	d, attempts, err := a.Outbound.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	if err == nil {
		d = &asSent([]outbound.Delivery{*d})[0]
	}
	a.Kit.Respond(g, http.StatusOK, gin.H{"delivery": d, "attempts": attempts}, err)
}

func (a API) redeliver(g *gin.Context) {
	err := a.Outbound.Redeliver(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusAccepted, gin.H{"status": "queued"}, err)
}

// asSent shows each delivery's payload as the JSON body a callback receives
// (the delivery log shows what was sent, not how it is stored).
func asSent(ds []outbound.Delivery) []outbound.Delivery {
	for i := range ds {
		out, err := ds[i].Decode()
		if err != nil {
			continue
		}
		if body, err := api.Body(out); err == nil {
			ds[i].Payload = body
		}
	}
	return ds
}

// checkURL applies the SSRF guard to a subscription URL (private addresses
// only when the operator allows them, as for callback URLs).
func (a API) checkURL(ctx context.Context, url *string) error {
	if url == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := connectors.CheckURL(ctx, *url, a.AllowPrivateCallbacks); err != nil {
		return hub.Invalid("url: %v", err)
	}
	return nil
}
