package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/tickets"
)

func (s toolsAPI) getContact(g *gin.Context) {
	c, err := s.Cards.Get(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	s.respond(g, http.StatusOK, c, err)
}

func (s toolsAPI) updateContact(g *gin.Context) {
	var p contacts.Patch
	if !bind(g, &p) {
		return
	}
	c, err := s.Cards.Update(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), p)
	s.respond(g, http.StatusOK, c, err)
}

func (s toolsAPI) contactConversations(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	cs, err := s.Cards.Conversations(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), int(limit))
	s.respond(g, http.StatusOK, gin.H{"conversations": cs}, err)
}

func (s toolsAPI) contactTickets(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	// Tickets are open to every agent of the tenant; the contact must be one
	// the agent may see.
	if _, err := s.Cards.Get(ctx, a, g.Param("id")); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	ts, err := s.Tickets.List(ctx, a.TenantID, tickets.Filter{ContactID: g.Param("id"), Limit: int(limit)})
	s.respond(g, http.StatusOK, gin.H{"tickets": ts}, err)
}
