package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/web/visitors"
	"github.com/kefu-hub/kefu/hub"
)

// AgentRoutes serves the live visitor list to agents: every agent of the
// tenant sees the visitors of its web channels (to invite one) and may
// start a chat with one.
func (c *Connector) AgentRoutes(r gin.IRouter, kit connectors.AgentKit) {
	h := agentAPI{c: c, kit: kit}
	r.GET("/visitors", h.list)
	r.GET("/visitors/:id", h.get)
	r.POST("/visitors/:id/invite", h.invite)
	r.POST("/visitors/:id/chat", h.chat)
}

type agentAPI struct {
	c   *Connector
	kit connectors.AgentKit
}

// list serves the visitors (?channel_id=, ?online=true for those on the
// site now, ?limit=).
func (h agentAPI) list(g *gin.Context) {
	limit, ok := connectors.QueryInt(g, "limit", 200)
	if !ok {
		return
	}
	f := visitors.Filter{ChannelID: g.Query("channel_id"), Online: g.Query("online") == "true", Limit: int(limit)}
	vs, err := h.c.visitors.List(g.Request.Context(), connectors.AgentOf(g), f)
	h.kit.Respond(g, http.StatusOK, gin.H{"visitors": vs}, err)
}

// get serves one visitor with the page trail.
func (h agentAPI) get(g *gin.Context) {
	v, err := h.c.visitors.WithTrail(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	h.kit.Respond(g, http.StatusOK, v, err)
}

type textReq struct {
	Text string `json:"text"`
}

// invite shows the visitor an invite to chat (409 when they left).
func (h agentAPI) invite(g *gin.Context) {
	var r textReq
	if !h.kit.Bind(g, &r) {
		return
	}
	id, err := h.c.visitors.Invite(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), r.Text)
	h.kit.Respond(g, http.StatusAccepted, gin.H{"invite_id": id}, err)
}

// chat starts a proactive chat: a conversation assigned to the caller,
// opened in the visitor's widget with the first message.
func (h agentAPI) chat(g *gin.Context) {
	var r textReq
	if !h.kit.Bind(g, &r) {
		return
	}
	conv, err := h.start(g, r.Text)
	h.kit.Respond(g, http.StatusCreated, conv, err)
}

func (h agentAPI) start(g *gin.Context, text string) (*hub.Conversation, error) {
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	text = hub.Clean(text)
	if strings.TrimSpace(text) == "" {
		return nil, hub.Invalid("text is required")
	}
	v, err := h.c.visitors.Get(ctx, a.TenantID, g.Param("id"))
	if err != nil {
		return nil, err
	}
	ch, err := h.c.deps.Channel(ctx, v.ChannelID)
	if err != nil {
		return nil, err
	}
	if ch.TenantID != a.TenantID {
		return nil, fmt.Errorf("visitor %s: %w", v.ID, hub.ErrNotFound)
	}
	return h.c.customers().Start(ctx, a, ch, hub.ContactInfo{ExternalID: v.ContactExternalID, Name: v.Name}, text)
}
