package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/canned"
)

// supervisor lets only a tenant's admins and supervisors through.
func (s *Server) supervisor(g *gin.Context) {
	if !connectors.AgentOf(g).SeesAll() {
		fail(g, http.StatusForbidden, "forbidden", "admins and supervisors only")
		return
	}
	g.Next()
}

func (s toolsAPI) listCanned(g *gin.Context) {
	cs, err := s.Canned.List(g.Request.Context(), connectors.AgentOf(g), g.Query("q"), g.Query("category"))
	s.respond(g, http.StatusOK, gin.H{"canned_replies": cs}, err)
}

func (s toolsAPI) cannedCategories(g *gin.Context) {
	cs, err := s.Canned.Categories(g.Request.Context(), connectors.AgentOf(g))
	s.respond(g, http.StatusOK, gin.H{"categories": cs}, err)
}

func (s toolsAPI) createCanned(g *gin.Context) {
	var p canned.Patch
	if !bind(g, &p) {
		return
	}
	c, err := s.Canned.Create(g.Request.Context(), connectors.AgentOf(g), p)
	s.respond(g, http.StatusCreated, c, err)
}

func (s toolsAPI) updateCanned(g *gin.Context) {
	var p canned.Patch
	if !bind(g, &p) {
		return
	}
	c, err := s.Canned.Update(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), p)
	s.respond(g, http.StatusOK, c, err)
}

func (s toolsAPI) deleteCanned(g *gin.Context) {
	err := s.Canned.Delete(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

func (s toolsAPI) listCategories(g *gin.Context) {
	cs, err := s.Categories.List(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"categories": cs}, err)
}

type nameReq struct {
	Name string `json:"name"`
}

func (s toolsAPI) createCategory(g *gin.Context) {
	var r nameReq
	if !bind(g, &r) {
		return
	}
	c, err := s.Categories.Create(g.Request.Context(), connectors.AgentOf(g).TenantID, r.Name)
	s.respond(g, http.StatusCreated, c, err)
}

func (s toolsAPI) deleteCategory(g *gin.Context) {
	err := s.Categories.Delete(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

type noteReq struct {
	Text string `json:"text"`
}

// addNote stores an internal note: agents see it, the customer never does.
func (s toolsAPI) addNote(g *gin.Context) {
	var r noteReq
	if !bind(g, &r) {
		return
	}
	m, err := s.Conversations.AddNote(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), r.Text)
	s.respond(g, http.StatusCreated, m, err)
}

type blacklistReq struct {
	Reason string `json:"reason"`
}

// blacklist blocks the conversation's contact and closes the conversation.
func (s toolsAPI) blacklist(g *gin.Context) {
	var r blacklistReq
	if g.Request.ContentLength != 0 && !bind(g, &r) {
		return
	}
	a := connectors.AgentOf(g)
	e, c, err := s.Assign.Handoffs.Blacklist(g.Request.Context(), a, g.Param("id"), r.Reason)
	if err == nil {
		s.Pipeline.Kick(a.TenantID) // the closed conversation freed a seat
	}
	s.respond(g, http.StatusCreated, gin.H{"blacklist": e, "conversation": c}, err)
}

func (s toolsAPI) listBlacklist(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	es, err := s.Contacts.Blacklist(g.Request.Context(), connectors.AgentOf(g).TenantID, int(limit))
	s.respond(g, http.StatusOK, gin.H{"blacklist": es}, err)
}

func (s toolsAPI) deleteBlacklist(g *gin.Context) {
	err := s.Contacts.Unblock(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

// requestRating asks the customer for a satisfaction rating.
func (s toolsAPI) requestRating(g *gin.Context) {
	err := s.Conversations.RequestRating(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	s.respond(g, http.StatusAccepted, gin.H{"status": "requested"}, err)
}
