package kbapi

import (
	"cmp"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/robot"
)

// mountKeywords adds the keyword auto-reply routes (关键词自动回复, admins).
func (a API) mountKeywords(admins gin.IRoutes) {
	admins.GET("/robot/keywords", a.keywords)
	admins.POST("/robot/keywords", a.createKeyword)
	admins.PUT("/robot/keywords/:id", a.updateKeyword)
	admins.DELETE("/robot/keywords/:id", a.deleteKeyword)
	admins.GET("/robot/stats", a.stats)
}

// stats counts the robot's conversations apart from the people's.
func (a API) stats(g *gin.Context) {
	days, err := strconv.Atoi(cmp.Or(g.Query("days"), "30"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("days is a number of days"))
		return
	}
	s, err := a.Robot.Stats(g.Request.Context(), connectors.AgentOf(g).TenantID, days)
	a.Kit.Respond(g, http.StatusOK, s, err)
}

func (a API) keywords(g *gin.Context) {
	ks, err := a.Robot.Keywords().List(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, gin.H{"keywords": ks}, err)
}

func (a API) createKeyword(g *gin.Context) {
	var in robot.KeywordInput
	if !a.Kit.Bind(g, &in) {
		return
	}
	k, err := a.Robot.Keywords().Create(g.Request.Context(), connectors.AgentOf(g).TenantID, in)
	a.Kit.Respond(g, http.StatusCreated, k, err)
}

func (a API) updateKeyword(g *gin.Context) {
	var in robot.KeywordInput
	if !a.Kit.Bind(g, &in) {
		return
	}
	k, err := a.Robot.Keywords().Update(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), in)
	a.Kit.Respond(g, http.StatusOK, k, err)
}

func (a API) deleteKeyword(g *gin.Context) {
	err := a.Robot.Keywords().Delete(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"status": "deleted"}, err)
}
