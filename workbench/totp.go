package workbench

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/assign/monitor"
	"github.com/kefu-hub/kefu/hub/identity"
)

type codeReq struct {
	Code string `json:"code"`
}

// setupTOTP issues a pending authenticator secret for the signed-in agent.
func (s authAPI) setupTOTP(g *gin.Context) {
	st, err := s.Identity.Auth.SetupTOTP(g.Request.Context(), connectors.AgentOf(g))
	s.respond(g, http.StatusOK, st, err)
}

// enableTOTP confirms the pending secret with a code from the authenticator.
func (s authAPI) enableTOTP(g *gin.Context) {
	var r codeReq
	if !bind(g, &r) {
		return
	}
	err := s.Identity.Auth.EnableTOTP(g.Request.Context(), connectors.AgentOf(g), strings.TrimSpace(r.Code))
	s.respond(g, http.StatusOK, gin.H{"totp_enabled": true}, err)
}

// disableTOTP turns two-factor off (with a valid code) unless it is required.
func (s authAPI) disableTOTP(g *gin.Context) {
	var r codeReq
	if !bind(g, &r) {
		return
	}
	err := s.Identity.Auth.DisableTOTP(g.Request.Context(), connectors.AgentOf(g), strings.TrimSpace(r.Code))
	s.respond(g, http.StatusOK, gin.H{"totp_enabled": false}, err)
}

func (s adminAPI) getSettings(g *gin.Context) {
	st, err := s.Identity.Tenants.Settings(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, st, err)
}

func (s adminAPI) putSettings(g *gin.Context) {
	var p identity.SettingsPatch
	if !bind(g, &p) {
		return
	}
	st, err := s.Identity.Tenants.UpdateSettings(g.Request.Context(), connectors.AgentOf(g).TenantID, p)
	s.respond(g, http.StatusOK, st, err)
}

// resetPassword gives an agent a generated password, shown once.
func (s adminAPI) resetPassword(g *gin.Context) {
	pw, err := s.Identity.Agents.ResetPassword(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"password": pw}, err)
}

// monitor is the live monitor of agents, queue and open tickets.
func (s adminAPI) monitor(g *gin.Context) {
	ctx, tenant := g.Request.Context(), connectors.AgentOf(g).TenantID
	m, err := monitor.Of(ctx, s.Kernel, s.Assign.Router, s.Identity, tenant)
	if err == nil {
		m.Tickets.Open, err = s.Tickets.OpenCount(ctx, tenant)
	}
	s.respond(g, http.StatusOK, m, err)
}
