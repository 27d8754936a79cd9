package workbench

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign/rules"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/mask"
)

// Routing, queue and automation handlers: the admin's routing pages (group
// settings, rules, automations), the queue with manual pick-up, and each
// conversation's routing activity.

func (s routingAPI) updateGroup(g *gin.Context) {
	var p identity.GroupPatch
	if !bind(g, &p) {
		return
	}
	tid := connectors.AgentOf(g).TenantID
	gr, err := s.Identity.Groups.Update(g.Request.Context(), tid, g.Param("id"), p)
	if err == nil {
		s.Pipeline.Kick(tid) // new members, hours or policy may free seats
	}
	s.respond(g, http.StatusOK, gr, err)
}

func (s routingAPI) listRules(g *gin.Context) {
	rs, err := s.Assign.Rules.Rules(g.Request.Context(), connectors.AgentOf(g).TenantID)
	s.respond(g, http.StatusOK, gin.H{"rules": rs}, err)
}

func (s routingAPI) createRule(g *gin.Context) {
	var p rules.RulePatch
	if !bind(g, &p) {
		return
	}
	r, err := s.Assign.Rules.CreateRule(g.Request.Context(), connectors.AgentOf(g).TenantID, p)
	s.respond(g, http.StatusCreated, r, err)
}

func (s routingAPI) getRule(g *gin.Context) {
	r, err := s.Assign.Rules.Rule(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, r, err)
}

func (s routingAPI) updateRule(g *gin.Context) {
	var p rules.RulePatch
	if !bind(g, &p) {
		return
	}
	r, err := s.Assign.Rules.UpdateRule(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), p)
	s.respond(g, http.StatusOK, r, err)
}

func (s routingAPI) deleteRule(g *gin.Context) {
	err := s.Assign.Rules.DeleteRule(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

// region looks an IP up in the configured IP database, so admins can check
// what their region rules will see.
func (s routingAPI) region(g *gin.Context) {
	ip := g.Query("ip")
	if ip == "" {
		ip = g.ClientIP() // "where am I"
	}
	g.JSON(http.StatusOK, gin.H{"ip": ip, "region": s.Region(ip)})
}

func (s routingAPI) getAutomations(g *gin.Context) {
	a, err := s.Automations.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, "")
	s.respond(g, http.StatusOK, a, err)
}

func (s routingAPI) putAutomations(g *gin.Context) {
	var raw json.RawMessage
	if !bind(g, &raw) {
		return
	}
	a, err := s.Automations.Put(g.Request.Context(), connectors.AgentOf(g).TenantID, "", raw)
	s.respond(g, http.StatusOK, a, err)
}

// maskPreview shows an admin what masking does to a sample text and which
// rule masked what: with the patterns given (before saving them), else the
// tenant's effective ones.
func (s routingAPI) maskPreview(g *gin.Context) {
	var in struct {
		Text     string          `json:"text"`
		Patterns *[]mask.Pattern `json:"patterns"`
	}
	if !bind(g, &in) {
		return
	}
	if len([]rune(in.Text)) > 5000 {
		fail(g, http.StatusBadRequest, "invalid", "text is at most 5000 characters")
		return
	}
	ps := []mask.Pattern{}
	if in.Patterns != nil {
		ps = *in.Patterns
	} else if a, err := s.Automations.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, ""); err != nil {
		s.respond(g, 0, nil, err)
		return
	} else if a.Effective.Masking.Enabled {
		ps = a.Effective.Masking.Patterns
	}
	m, err := mask.Compile(ps)
	if err != nil {
		s.respond(g, 0, nil, hub.Invalid("masking: %v", err))
		return
	}
	out, hits := m.Explain(in.Text)
	g.JSON(http.StatusOK, gin.H{"masked": out, "hits": hits})
}

// channelAutomations checks the channel is the caller's and returns its id.
func (s routingAPI) channelAutomations(g *gin.Context) (string, bool) {
	ch, err := s.Channels.ForTenant(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	if err != nil {
		s.respond(g, 0, nil, err)
		return "", false
	}
	return ch.ID, true
}

func (s routingAPI) getChannelAutomations(g *gin.Context) {
	id, ok := s.channelAutomations(g)
	if !ok {
		return
	}
	a, err := s.Automations.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, id)
	s.respond(g, http.StatusOK, a, err)
}

func (s routingAPI) putChannelAutomations(g *gin.Context) {
	id, ok := s.channelAutomations(g)
	if !ok {
		return
	}
	var raw json.RawMessage
	if !bind(g, &raw) {
		return
	}
	a, err := s.Automations.Put(g.Request.Context(), connectors.AgentOf(g).TenantID, id, raw)
	s.respond(g, http.StatusOK, a, err)
}

func (s routingAPI) deleteChannelAutomations(g *gin.Context) {
	id, ok := s.channelAutomations(g)
	if !ok {
		return
	}
	err := s.Automations.Delete(g.Request.Context(), connectors.AgentOf(g).TenantID, id)
	s.respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

func (s routingAPI) listQueue(g *gin.Context) {
	q, err := s.Assign.Handoffs.Queue(g.Request.Context(), connectors.AgentOf(g))
	s.respond(g, http.StatusOK, gin.H{"queue": q}, err)
}

func (s routingAPI) conversationRouting(g *gin.Context) {
	r, err := s.Assign.Router.Activity(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	s.respond(g, http.StatusOK, r, err)
}

func (s routingAPI) pickUp(g *gin.Context) {
	a := connectors.AgentOf(g)
	c, err := s.Assign.Handoffs.PickUp(g.Request.Context(), a, g.Param("id"))
	s.respond(g, http.StatusOK, c, err)
}
