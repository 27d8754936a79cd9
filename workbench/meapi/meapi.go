// Package meapi is the HTTP side of what agents set for themselves (个人设置):
// their profile — display name, phone, signature, notices, personal
// automatic replies — and their password (hub/identity keeps both).
package meapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
)

// API serves the routes.
type API struct {
	Identity *identity.Identity
	// Token is the session token of a request (the workbench's bearer).
	Token func(*http.Request) string
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes to the signed-in group: every agent manages only
// themselves here.
func (a API) Mount(r gin.IRoutes) {
	r.GET("/me/profile", a.get)
	r.PUT("/me/profile", a.put)
	r.POST("/me/password", a.password)
}

// profileView is what the settings page shows: who the agent is (read
// only: an admin changes those) and what they set themselves.
type profileView struct {
	Name       string           `json:"name"`
	Email      string           `json:"email"`
	EmployeeNo string           `json:"employee_no"`
	Role       hub.Role         `json:"role"`
	Groups     []string         `json:"groups"`
	Profile    identity.Profile `json:"profile"`
}

func (a API) view(g *gin.Context, p identity.Profile) {
	me := connectors.AgentOf(g)
	full, err := a.Identity.Agents.Get(g.Request.Context(), me.TenantID, me.ID)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.JSON(http.StatusOK, profileView{Name: full.Name, Email: full.Email, EmployeeNo: full.EmployeeNo, Role: full.Role,
		Groups: full.Groups, Profile: p})
}

func (a API) get(g *gin.Context) {
	p, err := a.Identity.Agents.Profile(g.Request.Context(), connectors.AgentOf(g).ID)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.view(g, p)
}

type profileReq struct {
	Name *string `json:"name"`
	identity.Profile
}

func (a API) put(g *gin.Context) {
	r := profileReq{Profile: identity.DefaultProfile()}
	if !a.Kit.Bind(g, &r) {
		return
	}
	p, err := a.Identity.Agents.SetProfile(g.Request.Context(), connectors.AgentOf(g), r.Name, r.Profile)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.view(g, p)
}

type passwordReq struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// password changes the agent's own password: the current one is checked,
// this session stays signed in and every other one ends.
func (a API) password(g *gin.Context) {
	var r passwordReq
	if !a.Kit.Bind(g, &r) {
		return
	}
	err := a.Identity.Agents.ChangePassword(g.Request.Context(), connectors.AgentOf(g), r.Current, r.New,
		hub.HashToken(a.Token(g.Request)))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.Status(http.StatusNoContent)
}
