package kbapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/robot"
)

// mountKeywords adds the keyword auto-reply routes (关键词自动回复, admins).
func (a API) mountKeywords(admins gin.IRoutes) {
	admins.GET("/robot/keywords", a.keywords)
	admins.POST("/robot/keywords", a.createKeyword)
	admins.PUT("/robot/keywords/:id", a.updateKeyword)
	admins.DELETE("/robot/keywords/:id", a.deleteKeyword)
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
