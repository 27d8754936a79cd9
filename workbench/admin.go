package workbench

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
)

func (s adminAPI) createTenant(g *gin.Context) {
	if !connectors.AgentOf(g).Superadmin {
		fail(g, http.StatusForbidden, "forbidden", "only the platform admin creates tenants")
		return
	}
	var nt identity.NewTenant
	if !bind(g, &nt) {
		return
	}
	t, a, err := s.Identity.Tenants.Create(g.Request.Context(), nt, false)
	s.respond(g, http.StatusCreated, gin.H{"tenant": t, "admin": a}, err)
}

func (s adminAPI) listAgents(g *gin.Context) {
	as, err := s.Identity.Agents.List(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"agents": as}, err)
}

func (s adminAPI) createAgent(g *gin.Context) {
	var na identity.NewAgent
	if !bind(g, &na) {
		return
	}
	a, err := s.Identity.Agents.Create(g.Request.Context(), connectors.AgentOf(g).TenantID, na)
	s.respond(g, http.StatusCreated, a, err)
}

func (s adminAPI) getAgent(g *gin.Context) {
	a, err := s.Identity.Agents.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, a, err)
}

func (s adminAPI) updateAgent(g *gin.Context) {
	var p identity.Patch
	if !bind(g, &p) {
		return
	}
	me := connectors.AgentOf(g)
	if g.Param("id") == me.ID && ((p.Disabled != nil && *p.Disabled) || (p.Role != nil && *p.Role != hub.RoleAdmin)) {
		fail(g, http.StatusBadRequest, "invalid", "you cannot disable yourself or give up your own admin role")
		return
	}
	tid := me.TenantID
	a, err := s.Identity.Agents.Update(g.Request.Context(), tid, g.Param("id"), p, s.Assign.Handoffs.SignOffTo(""))
	if err == nil {
		s.Pipeline.Kick(tid)
	}
	s.respond(g, http.StatusOK, a, err)
}

// createGroup creates a group with its members and, optionally, its
// routing settings (the fields of PATCH /groups/{id}).
func (s adminAPI) createGroup(g *gin.Context) {
	var p identity.GroupPatch
	if !bind(g, &p) {
		return
	}
	gr, err := s.Identity.Groups.Create(g.Request.Context(), connectors.AgentOf(g).TenantID, p)
	s.respond(g, http.StatusCreated, gr, err)
}

func (s adminAPI) listGroups(g *gin.Context) {
	gs, err := s.Identity.Groups.List(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"groups": gs}, err)
}

func (s adminAPI) getGroup(g *gin.Context) {
	gr, err := s.Identity.Groups.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gr, err)
}

func (s adminAPI) listFailed(g *gin.Context) {
	fs, err := s.Failed.List(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"failed_messages": fs}, err)
}

// retryFailed puts a failed message back on its topic.
func (s adminAPI) retryFailed(g *gin.Context) {
	ctx := g.Request.Context()
	f, err := s.Failed.Get(ctx, connectors.AgentOf(g).TenantID, g.Param("id"), true)
	if err == nil {
		err = s.Pipeline.Republish(ctx, f.Topic, f.ID+"-retry-"+hub.NewID("r"), []byte(f.Payload))
	}
	s.respond(g, http.StatusAccepted, gin.H{"status": "requeued"}, err)
}

type tokenReq struct {
	Name string `json:"name"`
}

func (s adminAPI) createToken(g *gin.Context) {
	var r tokenReq
	if !bind(g, &r) {
		return
	}
	t, err := s.Identity.Auth.CreateAPIToken(g.Request.Context(), connectors.AgentOf(g), r.Name)
	s.respond(g, http.StatusCreated, t, err)
}

func (s adminAPI) listTokens(g *gin.Context) {
	ts, err := s.Identity.Auth.APITokens(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"api_tokens": ts}, err)
}

func (s adminAPI) deleteToken(g *gin.Context) {
	err := s.Identity.Auth.DeleteAPIToken(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}
