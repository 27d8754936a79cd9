// Package kbapi is the HTTP side of the knowledge base (知识库): articles,
// the lexicon admins teach the search, and the search agents and the robot
// use (hub/kb keeps and searches them).
package kbapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/richanswers"
	"github.com/kefu-hub/kefu/hub/robot"
)

// API serves the knowledge base routes.
type API struct {
	KB    *kb.Store
	Robot *robot.Robot
	// Rich keeps the articles' rich answers (bold, lists, links, images).
	Rich *richanswers.Store
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes: reading and searching for every agent (agents
// search the KB from the composer), changes for admins.
func (a API) Mount(agents, admins gin.IRoutes) {
	agents.GET("/kb/search", a.search)
	agents.GET("/kb/articles", a.list)
	agents.GET("/kb/articles/:id", a.get)
	admins.POST("/kb/articles", a.create)
	admins.PATCH("/kb/articles/:id", a.update)
	admins.DELETE("/kb/articles/:id", a.remove)
	admins.GET("/kb/lexicon", a.lexicon)
	admins.PUT("/kb/lexicon", a.setLexicon)
	admins.GET("/kb/unanswered", a.unanswered)
	admins.DELETE("/kb/unanswered", a.forgetUnanswered)
	admins.GET("/channels/:id/robot", a.robot)
	admins.PUT("/channels/:id/robot", a.setRobot)
	admins.GET("/groups/:id/robot", a.groupRobot)
	admins.PUT("/groups/:id/robot", a.setGroupRobot)
	admins.DELETE("/groups/:id/robot", a.clearGroupRobot)
	a.mountKeywords(admins)
	a.mountCSV(admins)
	a.mountVersions(admins)
	a.mountRich(agents, admins)
}

// item is one search result: the contract's id and score (higher is
// better), with what a UI shows.
type item struct {
	ID       string  `json:"id"`
	Score    float64 `json:"score"`
	Question string  `json:"question"`
	Answer   string  `json:"answer"`
	Category string  `json:"category"`
}

func (a API) search(g *gin.Context) {
	limit, _ := strconv.Atoi(g.Query("limit"))
	r, err := a.KB.Search(g.Request.Context(), connectors.AgentOf(g).TenantID,
		kb.Query{Text: g.Query("q"), ChannelID: g.Query("channel_id"), Limit: limit})
	items := make([]item, len(r.Hits))
	for i, h := range r.Hits {
		items[i] = item{ID: h.Article.ID, Score: h.Score, Question: h.Article.Question, Answer: h.Article.Answer,
			Category: h.Article.Category}
	}
	a.Kit.Respond(g, http.StatusOK, gin.H{"items": items, "threshold": r.Threshold}, err)
}

func (a API) list(g *gin.Context) {
	limit, _ := strconv.Atoi(g.Query("limit"))
	offset, _ := strconv.Atoi(g.Query("offset"))
	tenantID := connectors.AgentOf(g).TenantID
	as, err := a.KB.List(g.Request.Context(), tenantID,
		kb.Filter{Q: g.Query("q"), Category: g.Query("category"), Limit: limit, Offset: offset})
	var rs map[string]robot.Rating
	if err == nil {
		rs, err = a.Robot.ArticleRatings(g.Request.Context(), tenantID)
	}
	a.Kit.Respond(g, http.StatusOK, gin.H{"articles": as, "ratings": rs}, err)
}

func (a API) get(g *gin.Context) {
	art, err := a.KB.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, art, err)
}

func (a API) create(g *gin.Context) {
	var p kb.Patch
	if !a.Kit.Bind(g, &p) {
		return
	}
	me := connectors.AgentOf(g)
	p.By = me.ID
	art, err := a.KB.Create(g.Request.Context(), me.TenantID, p)
	a.Kit.Respond(g, http.StatusCreated, art, err)
}

func (a API) update(g *gin.Context) {
	var p kb.Patch
	if !a.Kit.Bind(g, &p) {
		return
	}
	me := connectors.AgentOf(g)
	p.By = me.ID
	art, err := a.KB.Update(g.Request.Context(), me.TenantID, g.Param("id"), p)
	a.Kit.Respond(g, http.StatusOK, art, err)
}

func (a API) remove(g *gin.Context) {
	err := a.Rich.Delete(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}

func (a API) lexicon(g *gin.Context) {
	l, err := a.KB.Lexicon(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, l, err)
}

func (a API) setLexicon(g *gin.Context) {
	var l kb.Lexicon
	if !a.Kit.Bind(g, &l) {
		return
	}
	l, err := a.KB.SetLexicon(g.Request.Context(), connectors.AgentOf(g).TenantID, l)
	a.Kit.Respond(g, http.StatusOK, l, err)
}

func (a API) robot(g *gin.Context) {
	st, err := a.Robot.Settings(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, st, err)
}

func (a API) setRobot(g *gin.Context) {
	var st robot.Settings
	if !a.Kit.Bind(g, &st) {
		return
	}
	st, err := a.Robot.SetSettings(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), st)
	a.Kit.Respond(g, http.StatusOK, st, err)
}

func (a API) groupRobot(g *gin.Context) {
	st, err := a.Robot.GroupSettings(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, st, err)
}

func (a API) setGroupRobot(g *gin.Context) {
	var st robot.GroupSettings
	if !a.Kit.Bind(g, &st) {
		return
	}
	st, err := a.Robot.SetGroupSettings(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), st)
	a.Kit.Respond(g, http.StatusOK, st, err)
}

func (a API) clearGroupRobot(g *gin.Context) {
	st, err := a.Robot.ClearGroupSettings(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, st, err)
}

func (a API) unanswered(g *gin.Context) {
	us, err := a.KB.Unanswered(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, gin.H{"questions": us}, err)
}

func (a API) forgetUnanswered(g *gin.Context) {
	err := a.KB.ForgetUnanswered(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Query("question"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}
