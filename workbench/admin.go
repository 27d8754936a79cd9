package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
)

func (s *Server) createTenant(g *gin.Context) {
	if !current(g).Superadmin {
		fail(g, http.StatusForbidden, "forbidden", "only the platform admin creates tenants")
		return
	}
	var nt hub.NewTenant
	if !bind(g, &nt) {
		return
	}
	t, a, err := s.Store.CreateTenant(g.Request.Context(), nt, false)
	s.respond(g, http.StatusCreated, gin.H{"tenant": t, "admin": a}, err)
}

func (s *Server) listAgents(g *gin.Context) {
	as, err := s.Store.Agents(g.Request.Context(), current(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"agents": as}, err)
}

func (s *Server) createAgent(g *gin.Context) {
	var na hub.NewAgent
	if !bind(g, &na) {
		return
	}
	a, err := s.Store.CreateAgent(g.Request.Context(), current(g).TenantID, na)
	s.respond(g, http.StatusCreated, a, err)
}

func (s *Server) getAgent(g *gin.Context) {
	a, err := s.Store.Agent(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, a, err)
}

func (s *Server) updateAgent(g *gin.Context) {
	var p hub.AgentPatch
	if !bind(g, &p) {
		return
	}
	me := current(g)
	if g.Param("id") == me.ID && ((p.Disabled != nil && *p.Disabled) || (p.Role != nil && *p.Role != hub.RoleAdmin)) {
		fail(g, http.StatusBadRequest, "invalid", "you cannot disable yourself or give up your own admin role")
		return
	}
	tid := me.TenantID
	a, err := s.Store.UpdateAgent(g.Request.Context(), tid, g.Param("id"), p)
	if err == nil {
		s.Pipeline.Kick(tid)
	}
	s.respond(g, http.StatusOK, a, err)
}

// createGroup creates a group with its members and, optionally, its
// routing settings (the fields of PATCH /groups/{id}).
func (s *Server) createGroup(g *gin.Context) {
	var p hub.GroupPatch
	if !bind(g, &p) {
		return
	}
	gr, err := s.Store.CreateGroup(g.Request.Context(), current(g).TenantID, p)
	s.respond(g, http.StatusCreated, gr, err)
}

func (s *Server) listGroups(g *gin.Context) {
	gs, err := s.Store.Groups(g.Request.Context(), current(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"groups": gs}, err)
}

func (s *Server) getGroup(g *gin.Context) {
	gr, err := s.Store.Group(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gr, err)
}

func (s *Server) listFailed(g *gin.Context) {
	fs, err := s.Store.FailedMessages(g.Request.Context(), current(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"failed_messages": fs}, err)
}

// retryFailed puts a failed message back on its topic.
func (s *Server) retryFailed(g *gin.Context) {
	ctx := g.Request.Context()
	f, err := s.Store.FailedMessage(ctx, current(g).TenantID, g.Param("id"), true)
	if err == nil {
		err = s.Pipeline.Republish(ctx, f.Topic, f.ID+"-retry-"+hub.NewID("r"), []byte(f.Payload))
	}
	s.respond(g, http.StatusAccepted, gin.H{"status": "requeued"}, err)
}

type tokenReq struct {
	Name string `json:"name"`
}

func (s *Server) createToken(g *gin.Context) {
	var r tokenReq
	if !bind(g, &r) {
		return
	}
	t, err := s.Store.CreateAPIToken(g.Request.Context(), current(g), r.Name)
	s.respond(g, http.StatusCreated, t, err)
}

func (s *Server) listTokens(g *gin.Context) {
	ts, err := s.Store.APITokens(g.Request.Context(), current(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"api_tokens": ts}, err)
}

func (s *Server) deleteToken(g *gin.Context) {
	err := s.Store.DeleteAPIToken(g.Request.Context(), current(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}
