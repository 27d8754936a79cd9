package kbapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// mountVersions adds an article's versions (修改记录), each with its rich
// answer, and their restore (admins).
func (a API) mountVersions(admins gin.IRoutes) {
	admins.GET("/kb/articles/:id/versions", a.versions)
	admins.POST("/kb/articles/:id/restore", a.restore)
}

func (a API) versions(g *gin.Context) {
	vs, err := a.Rich.Versions(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"versions": vs}, err)
}

// restore makes the article what it was at {"version": n}.
func (a API) restore(g *gin.Context) {
	var body struct {
		Version int64 `json:"version"`
	}
	if !a.Kit.Bind(g, &body) {
		return
	}
	if body.Version < 1 {
		a.Kit.Respond(g, 0, nil, hub.Invalid("version is required (1 or more)"))
		return
	}
	me := connectors.AgentOf(g)
	art, err := a.Rich.Restore(g.Request.Context(), me.TenantID, g.Param("id"), body.Version, me.ID)
	a.Kit.Respond(g, http.StatusOK, art, err)
}
