package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/tickets"
)

// ticket reads the path's ticket if the caller may see it: another agent's
// ticket looks like one that does not exist.
func (s ticketAPI) ticket(g *gin.Context) (*tickets.Ticket, bool) {
	a := connectors.AgentOf(g)
	t, err := s.Tickets.Get(g.Request.Context(), a.TenantID, g.Param("id"))
	if err == nil && !a.SeesAll() && !t.Visible(a.ID) {
		err = tickets.ErrNotFound
	}
	if err != nil {
		s.respond(g, 0, nil, err)
		return nil, false
	}
	return t, true
}

func (s ticketAPI) getTicket(g *gin.Context) {
	if t, ok := s.ticket(g); ok {
		g.JSON(http.StatusOK, t)
	}
}

type assignReq struct {
	AgentID string `json:"agent_id"`
}

func (s ticketAPI) assignTicket(g *gin.Context) {
	var r assignReq
	if !bind(g, &r) {
		return
	}
	if _, ok := s.ticket(g); !ok {
		return
	}
	t, err := s.Tickets.Assign(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), r.AgentID)
	s.respond(g, http.StatusOK, t, err)
}

func (s ticketAPI) solveTicket(g *gin.Context) {
	if _, ok := s.ticket(g); !ok {
		return
	}
	t, err := s.Tickets.Solve(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, t, err)
}

type textReq struct {
	Text string `json:"text"`
}

// replyTicket answers the ticket's customer through its channel.
func (s ticketAPI) replyTicket(g *gin.Context) {
	var r textReq
	if !bind(g, &r) {
		return
	}
	if _, ok := s.ticket(g); !ok {
		return
	}
	m, err := s.Conversations.ReplyToTicket(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), r.Text)
	s.respond(g, http.StatusCreated, m, err)
}

// commentTicket adds an internal comment (never sent to the customer).
func (s ticketAPI) commentTicket(g *gin.Context) {
	var r textReq
	if !bind(g, &r) {
		return
	}
	if _, ok := s.ticket(g); !ok {
		return
	}
	a := connectors.AgentOf(g)
	t, err := s.Tickets.AddComment(g.Request.Context(), a.TenantID, g.Param("id"), a.ID, r.Text)
	s.respond(g, http.StatusCreated, t, err)
}
