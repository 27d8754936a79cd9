// Package slaapi is the HTTP side of ticket SLAs and followers: the
// tenant's SLA policies (targets per priority and group) and following a
// ticket. tickets keeps the rules; these handlers decode, call one method
// and answer.
package slaapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/audit"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/workbench/crmapi"
)

// API serves the routes.
type API struct {
	Tickets *tickets.Store
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes: every agent follows the tickets they see,
// supervisors read the policies, admins set them.
func (a API) Mount(agents, staff, admins gin.IRoutes) {
	agents.POST("/tickets/:id/follow", a.follow)
	agents.DELETE("/tickets/:id/follow", a.unfollow)
	staff.GET("/sla/policies", a.policies)
	admins.PUT("/sla/policies", a.putPolicies)
}

// policySet is the body of GET and PUT /sla/policies.
type policySet struct {
	Policies []tickets.Policy `json:"policies"`
}

func (a API) policies(g *gin.Context) {
	ps, err := a.Tickets.Policies(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, policySet{Policies: ps}, err)
}

func (a API) putPolicies(g *gin.Context) {
	var r policySet
	if !a.Kit.Bind(g, &r) {
		return
	}
	ctx, tid := g.Request.Context(), connectors.AgentOf(g).TenantID
	if was, err := a.Tickets.Policies(ctx, tid); err == nil {
		audit.Describe(ctx, "was: "+describe(was)+"; now: "+describe(r.Policies))
	}
	ps, err := a.Tickets.SetPolicies(ctx, tid, r.Policies)
	a.Kit.Respond(g, http.StatusOK, policySet{Policies: ps}, err)
}

// describe is a policy set for the audit log: each rule's priority (and
// group) with its first-response/resolution minutes.
func describe(ps []tickets.Policy) string {
	if len(ps) == 0 {
		return "none"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		who := string(p.Priority)
		if p.GroupID != "" {
			who += "@" + p.GroupID
		}
		parts[i] = fmt.Sprintf("%s %d/%d min", who, p.FirstResponseMinutes, p.ResolutionMinutes)
	}
	return strings.Join(parts, ", ")
}

// seen answers 404 unless the caller may see the path's ticket.
func (a API) seen(g *gin.Context) bool { return crmapi.TicketSeen(a.Kit, a.Tickets, g) }

func (a API) follow(g *gin.Context) {
	if !a.seen(g) {
		return
	}
	me := connectors.AgentOf(g)
	t, err := a.Tickets.Follow(g.Request.Context(), me.TenantID, g.Param("id"), me.ID)
	a.Kit.Respond(g, http.StatusOK, t, err)
}

func (a API) unfollow(g *gin.Context) {
	if !a.seen(g) {
		return
	}
	me := connectors.AgentOf(g)
	t, err := a.Tickets.Unfollow(g.Request.Context(), me.TenantID, g.Param("id"), me.ID)
	a.Kit.Respond(g, http.StatusOK, t, err)
}
