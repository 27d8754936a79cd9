package reportsapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/reports"
)

// getSchedule answers the tenant's daily report e-mail schedule.
func (a API) getSchedule(g *gin.Context) {
	sc, err := a.reports.Schedule(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.respond(g, http.StatusOK, sc, err)
}

// putSchedule sets it: {enabled, time "HH:MM", recipients [addresses]}.
func (a API) putSchedule(g *gin.Context) {
	var sc reports.Schedule
	if !a.bind(g, &sc) {
		return
	}
	sc, err := a.reports.SetSchedule(g.Request.Context(), connectors.AgentOf(g).TenantID, sc)
	a.respond(g, http.StatusOK, sc, err)
}
