package crmapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/tickets/views"
)

// listViews lists the agent's saved ticket views (their own and the
// shared ones), each with its count for them.
func (a API) listViews(g *gin.Context) {
	vs, err := a.Views.List(g.Request.Context(), connectors.AgentOf(g))
	a.Kit.Respond(g, http.StatusOK, gin.H{"views": vs}, err)
}

func (a API) createView(g *gin.Context) {
	var sp views.Spec
	if !a.Kit.Bind(g, &sp) {
		return
	}
	v, err := a.Views.Create(g.Request.Context(), connectors.AgentOf(g), sp)
	a.Kit.Respond(g, http.StatusCreated, v, err)
}

func (a API) updateView(g *gin.Context) {
	var sp views.Spec
	if !a.Kit.Bind(g, &sp) {
		return
	}
	v, err := a.Views.Update(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), sp)
	a.Kit.Respond(g, http.StatusOK, v, err)
}

func (a API) deleteView(g *gin.Context) {
	err := a.Views.Delete(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"deleted": true}, err)
}
