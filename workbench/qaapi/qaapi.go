// Package qaapi is the HTTP side of quality inspection (质检): scoring
// templates, review batches drawn by rule, the reviewer workbench (a
// review with its transcript and template, scored here), the agent's
// acknowledgement or appeal and the supervisor's resolution, and the
// sensitive words with their alerts. hub/qa keeps all of it and checks
// who may do what.
package qaapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/qa"
	"github.com/kefu-hub/kefu/hub/reports"
)

// API serves the quality inspection routes.
type API struct {
	QA            *qa.Store
	Conversations *conversations.Store
	Identity      *identity.Identity
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes: an agent's own reviews (read, acknowledge,
// appeal) for every agent; templates, batches, scoring, appeals and
// alerts for admins and supervisors; the word list's changes for admins.
func (a API) Mount(agents, staff, admins gin.IRoutes) {
	agents.GET("/qa/reviews", a.reviews)
	agents.GET("/qa/reviews/:id", a.review)
	agents.POST("/qa/reviews/:id/acknowledge", a.acknowledge)
	agents.POST("/qa/reviews/:id/appeal", a.appeal)
	staff.POST("/qa/reviews/:id/score", a.score)
	staff.POST("/qa/reviews/:id/resolve", a.resolve)
	staff.GET("/qa/templates", a.templates)
	staff.POST("/qa/templates", a.createTemplate)
	staff.PATCH("/qa/templates/:id", a.updateTemplate)
	staff.DELETE("/qa/templates/:id", a.deleteTemplate)
	staff.GET("/qa/batches", a.batches)
	staff.POST("/qa/batches", a.sample)
	staff.GET("/qa/words", a.words)
	staff.GET("/qa/alerts", a.alerts)
	admins.PUT("/qa/words", a.setWords)
}

func (a API) reviews(g *gin.Context) {
	limit, _ := strconv.Atoi(g.Query("limit"))
	rs, err := a.QA.Reviews(g.Request.Context(), connectors.AgentOf(g), qa.Filter{Tab: g.Query("tab"),
		AgentID: g.Query("agent"), BatchID: g.Query("batch"), Limit: limit})
	a.Kit.Respond(g, http.StatusOK, gin.H{"reviews": rs}, err)
}

// reviewOut is a review as the reviewer workbench opens it: with its
// template and the conversation's transcript.
type reviewOut struct {
	*qa.Review
	Template *qa.Template  `json:"template"`
	Messages []hub.Message `json:"messages"`
}

func (a API) review(g *gin.Context) {
	ctx, ag := g.Request.Context(), connectors.AgentOf(g)
	r, err := a.QA.Review(ctx, ag, g.Param("id"))
	out := reviewOut{Review: r}
	if err == nil {
		out.Template, err = a.QA.Template(ctx, ag.TenantID, r.TemplateID)
	}
	if err == nil {
		// the reviewed agent took the conversation: they may read it too
		out.Messages, err = a.Conversations.Messages(ctx, ag, r.ConversationID, 0, 500)
	}
	a.Kit.Respond(g, http.StatusOK, out, err)
}

func (a API) score(g *gin.Context) {
	var in qa.Submission
	if !a.Kit.Bind(g, &in) {
		return
	}
	r, err := a.QA.Submit(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), in)
	a.Kit.Respond(g, http.StatusOK, r, err)
}

func (a API) acknowledge(g *gin.Context) {
	r, err := a.QA.Acknowledge(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, r, err)
}

func (a API) appeal(g *gin.Context) {
	var in struct {
		Reason string `json:"reason"`
	}
	if !a.Kit.Bind(g, &in) {
		return
	}
	r, err := a.QA.Appeal(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), in.Reason)
	a.Kit.Respond(g, http.StatusOK, r, err)
}

func (a API) resolve(g *gin.Context) {
	var in qa.Resolution
	if !a.Kit.Bind(g, &in) {
		return
	}
	r, err := a.QA.Resolve(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), in)
	a.Kit.Respond(g, http.StatusOK, r, err)
}

func (a API) templates(g *gin.Context) {
	ts, err := a.QA.Templates(g.Request.Context(), connectors.AgentOf(g))
	a.Kit.Respond(g, http.StatusOK, gin.H{"templates": ts}, err)
}

func (a API) createTemplate(g *gin.Context) {
	var in qa.TemplateIn
	if !a.Kit.Bind(g, &in) {
		return
	}
	t, err := a.QA.CreateTemplate(g.Request.Context(), connectors.AgentOf(g), in)
	a.Kit.Respond(g, http.StatusCreated, t, err)
}

func (a API) updateTemplate(g *gin.Context) {
	var in qa.TemplateIn
	if !a.Kit.Bind(g, &in) {
		return
	}
	t, err := a.QA.UpdateTemplate(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), in)
	a.Kit.Respond(g, http.StatusOK, t, err)
}

func (a API) deleteTemplate(g *gin.Context) {
	err := a.QA.DeleteTemplate(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

func (a API) batches(g *gin.Context) {
	bs, err := a.QA.Batches(g.Request.Context(), connectors.AgentOf(g))
	a.Kit.Respond(g, http.StatusOK, gin.H{"batches": bs}, err)
}

// sampleIn is a sampling rule as the API takes it: local dates of the
// tenant's time zone, both included.
type sampleIn struct {
	TemplateID  string   `json:"template_id"`
	Name        string   `json:"name"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	AgentIDs    []string `json:"agent_ids"`
	ChannelID   string   `json:"channel_id"`
	MaxRating   int      `json:"max_rating"`
	MinMessages int      `json:"min_messages"`
	Keywords    []string `json:"keywords"`
	Count       int      `json:"count"`
}

func (a API) sample(g *gin.Context) {
	var in sampleIn
	if !a.Kit.Bind(g, &in) {
		return
	}
	ctx, ag := g.Request.Context(), connectors.AgentOf(g)
	loc, err := time.LoadLocation(a.Identity.Tenants.Timezone(ctx, ag.TenantID))
	if err != nil {
		loc = time.UTC
	}
	p, err := reports.ParsePeriod(in.From, in.To, loc)
	if err != nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("from and to: %s", err.Error()))
		return
	}
	b, err := a.QA.Sample(ctx, ag, qa.Rule{TemplateID: in.TemplateID, Name: in.Name, From: p.From, To: p.To.AddDate(0, 0, 1),
		AgentIDs: in.AgentIDs, ChannelID: in.ChannelID, MaxRating: in.MaxRating, MinMessages: in.MinMessages,
		Keywords: in.Keywords, Count: in.Count})
	a.Kit.Respond(g, http.StatusCreated, b, err)
}

func (a API) words(g *gin.Context) {
	ws, err := a.QA.Words(g.Request.Context(), connectors.AgentOf(g))
	a.Kit.Respond(g, http.StatusOK, gin.H{"words": ws}, err)
}

func (a API) setWords(g *gin.Context) {
	var in struct {
		Words []string `json:"words"`
	}
	if !a.Kit.Bind(g, &in) {
		return
	}
	ws, err := a.QA.SetWords(g.Request.Context(), connectors.AgentOf(g), in.Words)
	a.Kit.Respond(g, http.StatusOK, gin.H{"words": ws}, err)
}

func (a API) alerts(g *gin.Context) {
	limit, _ := strconv.Atoi(g.Query("limit"))
	al, err := a.QA.Alerts(g.Request.Context(), connectors.AgentOf(g), limit)
	a.Kit.Respond(g, http.StatusOK, gin.H{"alerts": al}, err)
}
