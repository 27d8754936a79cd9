// Package activation is the HTTP side of admins deactivating and
// reactivating agents and channels — the console's "delete", which keeps
// every conversation, ticket and report that names them (hub/identity and
// hub/channels keep the flag, hub/assign hands the conversations over).
package activation

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/identity"
)

// API serves the routes.
type API struct {
	Identity *identity.Identity
	Channels *channels.Store
	Assign   *assign.Assign
	// Kick drains a tenant's queues (a deactivated agent's conversations
	// wait there).
	Kick func(tenantID string)
	Kit  connectors.AgentKit
}

// Mount adds the routes to the admins' group.
func (a API) Mount(adm gin.IRoutes) {
	adm.POST("/agents/:id/deactivate", a.deactivateAgent)
	adm.POST("/agents/:id/reactivate", a.reactivateAgent)
	adm.POST("/channels/:id/deactivate", a.deactivateChannel)
	adm.POST("/channels/:id/reactivate", a.reactivateChannel)
}

// Deactivation says where a deactivated agent's open conversations go:
// to another agent, or (empty) back to the queue.
type Deactivation struct {
	ReassignTo string `json:"reassign_to"`
}

// deactivateAgent signs the agent off everywhere (sessions end, sockets
// close, seats freed), hands their open conversations over and keeps them
// out of routing until reactivated.
func (a API) deactivateAgent(g *gin.Context) {
	var d Deactivation
	if g.Request.ContentLength != 0 && !a.Kit.Bind(g, &d) {
		return
	}
	me, id := connectors.AgentOf(g), g.Param("id")
	if id == me.ID {
		a.Kit.Respond(g, 0, nil, hub.Invalid("you cannot deactivate yourself"))
		return
	}
	if err := a.checkHeir(g, id, d.ReassignTo); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	ag, err := a.Identity.Agents.Update(g.Request.Context(), me.TenantID, id,
		identity.Patch{Disabled: ptr(true)}, a.Assign.Handoffs.SignOffTo(d.ReassignTo))
	if err == nil {
		a.Kick(me.TenantID)
	}
	a.Kit.Respond(g, http.StatusOK, ag, err)
}

// checkHeir checks the agent who takes a deactivated agent's conversations:
// another active agent of the tenant.
func (a API) checkHeir(g *gin.Context, id, heir string) error {
	if heir == "" {
		return nil
	}
	if heir == id {
		return hub.Invalid("reassign_to must be another agent")
	}
	h, err := a.Identity.Agents.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, heir)
	if errors.Is(err, hub.ErrNotFound) || (err == nil && h.Disabled) {
		return hub.Invalid("reassign_to: no active agent %q", heir)
	}
	return err
}

func (a API) reactivateAgent(g *gin.Context) {
	me := connectors.AgentOf(g)
	ag, err := a.Identity.Agents.Update(g.Request.Context(), me.TenantID, g.Param("id"), identity.Patch{Disabled: ptr(false)}, nil)
	a.Kit.Respond(g, http.StatusOK, ag, err)
}

func (a API) deactivateChannel(g *gin.Context) { a.setChannel(g, true) }

func (a API) reactivateChannel(g *gin.Context) { a.setChannel(g, false) }

func (a API) setChannel(g *gin.Context, disabled bool) {
	ch, err := a.Channels.SetDisabled(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), disabled)
	a.Kit.Respond(g, http.StatusOK, ch, err)
}

func ptr[T any](v T) *T { return &v }
