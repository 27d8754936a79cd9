package kbapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
)

// mountRich adds the rich answers: every agent reads them (the composer
// inserts them), admins set them.
func (a API) mountRich(agents, admins gin.IRoutes) {
	agents.GET("/kb/articles/:id/rich", a.rich)
	admins.PUT("/kb/articles/:id/rich", a.setRich)
}

func (a API) rich(g *gin.Context) {
	r, err := a.Rich.Get(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, r, err)
}

func (a API) setRich(g *gin.Context) {
	var body struct {
		HTML string `json:"html"`
	}
	if !a.Kit.Bind(g, &body) {
		return
	}
	me := connectors.AgentOf(g)
	r, err := a.Rich.Set(g.Request.Context(), me.TenantID, me.ID, g.Param("id"), body.HTML)
	a.Kit.Respond(g, http.StatusOK, r, err)
}
