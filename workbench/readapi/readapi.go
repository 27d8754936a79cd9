// Package readapi is the agent's read receipt (已读): POST
// /api/v1/conversations/{id}/read {"seq"} tells the customer's app that the
// assigned agent has read their messages up to seq. It is announced, not
// stored: an app that was away learns it from the agent's next read.
package readapi

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// API serves the route.
type API struct {
	Conversations *conversations.Store
	Kernel        *store.Store
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the route for signed-in agents.
func (a API) Mount(r gin.IRoutes) { r.POST("/conversations/:id/read", a.read) }

type readReq struct {
	Seq int64 `json:"seq"`
}

// read announces the receipt when the agent is the conversation's
// assignee (a supervisor looking in reads nothing for the customer); a
// conversation the agent may not see is a 404.
func (a API) read(g *gin.Context) {
	var r readReq
	if !a.Kit.Bind(g, &r) {
		return
	}
	if r.Seq < 1 {
		a.Kit.Respond(g, 0, nil, hub.Invalid("seq must be 1 or more"))
		return
	}
	me := connectors.AgentOf(g)
	c, err := a.Conversations.Get(g.Request.Context(), me, g.Param("id"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	if c.AssigneeID != nil && *c.AssigneeID == me.ID {
		payload, _ := json.Marshal(map[string]any{"conversation_id": c.ID, "seq": min(r.Seq, c.LastSeq), "agent_id": me.ID})
		a.Kernel.Announce(hub.Event{TenantID: c.TenantID, ChannelID: c.ChannelID, Type: hub.EvAgentRead,
			ConversationID: c.ID, AgentID: me.ID, Payload: payload})
	}
	g.Status(http.StatusNoContent)
}
