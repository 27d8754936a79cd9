package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
)

func (s *Server) getContact(g *gin.Context) {
	c, err := s.Store.ContactCard(g.Request.Context(), current(g), g.Param("id"))
	s.respond(g, http.StatusOK, c, err)
}

func (s *Server) updateContact(g *gin.Context) {
	var p hub.ContactPatch
	if !bind(g, &p) {
		return
	}
	c, err := s.Store.UpdateContact(g.Request.Context(), current(g), g.Param("id"), p)
	s.respond(g, http.StatusOK, c, err)
}

func (s *Server) contactConversations(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	cs, err := s.Store.ContactConversations(g.Request.Context(), current(g), g.Param("id"), int(limit))
	s.respond(g, http.StatusOK, gin.H{"conversations": cs}, err)
}

func (s *Server) contactTickets(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	ts, err := s.Store.ContactTickets(g.Request.Context(), current(g), g.Param("id"), int(limit))
	s.respond(g, http.StatusOK, gin.H{"tickets": ts}, err)
}
