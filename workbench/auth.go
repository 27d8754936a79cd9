package workbench

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
)

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// auth resolves the bearer token to the agent acting.
func (s *Server) auth(g *gin.Context) {
	tok := bearer(g.Request)
	if tok == "" {
		fail(g, http.StatusUnauthorized, "unauthorized", "missing Authorization: Bearer <token>")
		return
	}
	a, err := s.Identity.Auth.Authenticate(g.Request.Context(), tok)
	if err != nil {
		s.respond(g, 0, nil, err)
		g.Abort()
		return
	}
	if a.SetupRequired && !setupRoutes[g.Request.Method+" "+g.FullPath()] {
		fail(g, http.StatusForbidden, "totp_setup_required", "two-factor authentication is required: set it up first (POST /api/v1/me/totp/setup)")
		return
	}
	connectors.SetAgent(g, a)
	g.Next()
}

// setupRoutes are what a session that must set up TOTP may call.
var setupRoutes = map[string]bool{
	"GET /api/v1/me": true, "POST /api/v1/auth/logout": true,
	"POST /api/v1/me/totp/setup": true, "POST /api/v1/me/totp/enable": true, "POST /api/v1/me/totp/disable": true,
}

// staff lets admins and supervisors through (the live monitor).
func (s *Server) staff(g *gin.Context) {
	if !connectors.AgentOf(g).SeesAll() {
		fail(g, http.StatusForbidden, "forbidden", "admins and supervisors only")
		return
	}
	g.Next()
}

// admin lets only a tenant's admins through.
func (s *Server) admin(g *gin.Context) {
	if connectors.AgentOf(g).Role != hub.RoleAdmin {
		fail(g, http.StatusForbidden, "forbidden", "admins only")
		return
	}
	g.Next()
}

type loginReq struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

func (s authAPI) login(g *gin.Context) {
	var r loginReq
	if !bind(g, &r) {
		return
	}
	at := identity.Attempt{Email: r.Email, Password: r.Password, TOTP: strings.TrimSpace(r.TOTP), Addr: g.ClientIP(),
		UserAgent: g.Request.UserAgent()}
	tok, a, err := s.Identity.Auth.Login(g.Request.Context(), at, s.SessionTTL)
	defer func() { s.recordLogin(g, r.Email, a, err) }()
	if errors.Is(err, identity.ErrTOTPInvalid) {
		fail(g, http.StatusUnauthorized, "totp_invalid", err.Error()) // no token: a wrong code is a failed login
		return
	}
	var setup bool
	if a != nil {
		setup = a.SetupRequired
	}
	s.respond(g, http.StatusOK, gin.H{"token": tok, "agent": a, "totp_setup_required": setup}, err)
}

func (s authAPI) logout(g *gin.Context) {
	err := s.Identity.Auth.Logout(g.Request.Context(), bearer(g.Request))
	s.respond(g, http.StatusOK, gin.H{"status": "logged_out"}, err)
}

func (s authAPI) me(g *gin.Context) {
	a := connectors.AgentOf(g)
	full, err := s.Identity.Agents.Get(g.Request.Context(), a.TenantID, a.ID)
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	// totp_setup_required: this session may only set up two-factor (a UI
	// reloading the page learns it here).
	g.JSON(http.StatusOK, struct {
		*hub.Agent
		SetupRequired bool `json:"totp_setup_required"`
	}{full, a.SetupRequired})
}

type statusReq struct {
	Status hub.AgentStatus `json:"status"`
}

func (s authAPI) setStatus(g *gin.Context) {
	var r statusReq
	if !bind(g, &r) {
		return
	}
	a := connectors.AgentOf(g)
	err := s.Identity.Agents.SetStatus(g.Request.Context(), a, r.Status)
	if err == nil && r.Status == hub.StatusOnline {
		s.Pipeline.Kick(a.TenantID)
	}
	s.respond(g, http.StatusOK, gin.H{"status": a.Status}, err)
}
