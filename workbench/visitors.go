package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
)

// listVisitors serves the live visitor list of the web channels
// (?channel_id=, ?online=true for those on the site now).
func (s *Server) listVisitors(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 200)
	if !ok {
		return
	}
	f := hub.VisitorFilter{ChannelID: g.Query("channel_id"), Online: g.Query("online") == "true", Limit: int(limit)}
	vs, err := s.Store.Visitors(g.Request.Context(), current(g), f)
	s.respond(g, http.StatusOK, gin.H{"visitors": vs}, err)
}

// getVisitor serves one visitor with the page trail.
func (s *Server) getVisitor(g *gin.Context) {
	v, err := s.Store.Visitor(g.Request.Context(), current(g), g.Param("id"))
	s.respond(g, http.StatusOK, v, err)
}

type visitorTextReq struct {
	Text string `json:"text"`
}

// inviteVisitor shows the visitor an invite to chat (409 when they left).
func (s *Server) inviteVisitor(g *gin.Context) {
	var r visitorTextReq
	if !bind(g, &r) {
		return
	}
	id, err := s.Store.InviteVisitor(g.Request.Context(), current(g), g.Param("id"), r.Text)
	s.respond(g, http.StatusAccepted, gin.H{"invite_id": id}, err)
}

// chatVisitor starts a proactive chat: a conversation assigned to the
// caller, opened in the visitor's widget with the first message.
func (s *Server) chatVisitor(g *gin.Context) {
	var r visitorTextReq
	if !bind(g, &r) {
		return
	}
	c, err := s.Store.StartConversation(g.Request.Context(), current(g), g.Param("id"), r.Text)
	s.respond(g, http.StatusCreated, c, err)
}
