package reportsapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/reports/schedules"
)

// getSchedule answers the tenant's daily report e-mail schedule.
func (a API) getSchedule(g *gin.Context) {
	sc, err := a.schedules.Get(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.respond(g, http.StatusOK, sc, err)
}

// putSchedule sets it: {enabled, time "HH:MM", recipients [addresses]}.
func (a API) putSchedule(g *gin.Context) {
	var sc schedules.Schedule
	if !a.bind(g, &sc) {
		return
	}
	sc, err := a.schedules.Set(g.Request.Context(), connectors.AgentOf(g).TenantID, sc)
	a.respond(g, http.StatusOK, sc, err)
}
