package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/tickets"
)

func (s *Server) getContact(g *gin.Context) {
	c, err := s.Conversations.Card(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	s.respond(g, http.StatusOK, c, err)
}

func (s *Server) updateContact(g *gin.Context) {
	var p contacts.Patch
	if !bind(g, &p) {
		return
	}
	c, err := s.Conversations.UpdateCard(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), p)
	s.respond(g, http.StatusOK, c, err)
}

func (s *Server) contactConversations(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	cs, err := s.Conversations.ContactConversations(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), int(limit))
	s.respond(g, http.StatusOK, gin.H{"conversations": cs}, err)
}

func (s *Server) contactTickets(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	// Tickets are open to every agent of the tenant; the contact must be one
	// the agent may see.
	if _, err := s.Conversations.Card(ctx, a, g.Param("id")); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	ts, err := s.Tickets.List(ctx, a.TenantID, tickets.Filter{ContactID: g.Param("id"), Limit: int(limit)})
	s.respond(g, http.StatusOK, gin.H{"tickets": ts}, err)
}
