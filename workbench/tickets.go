package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/tickets"
)

func (s *Server) listTickets(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	f := tickets.Filter{Status: g.Query("status"), Assignee: g.Query("assignee"), Channel: g.Query("channel_id"), Limit: int(limit)}
	ts, err := s.Tickets.List(g.Request.Context(), current(g).TenantID, f)
	s.respond(g, http.StatusOK, gin.H{"tickets": ts}, err)
}

func (s *Server) getTicket(g *gin.Context) {
	t, err := s.Tickets.Get(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, t, err)
}

type assignReq struct {
	AgentID string `json:"agent_id"`
}

func (s *Server) assignTicket(g *gin.Context) {
	var r assignReq
	if !bind(g, &r) {
		return
	}
	t, err := s.Tickets.Assign(g.Request.Context(), current(g).TenantID, g.Param("id"), r.AgentID)
	s.respond(g, http.StatusOK, t, err)
}

func (s *Server) solveTicket(g *gin.Context) {
	t, err := s.Tickets.Solve(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, t, err)
}
