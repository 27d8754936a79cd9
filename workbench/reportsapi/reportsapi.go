// Package reportsapi is the HTTP side of the reports (报表): the summary
// of a period with the previous one beside it, volume by day, hour,
// weekday, channel, group or agent (and the hour × weekday heatmap), and
// the agents' figures and attendance (考勤), conversations by source,
// region and device — each as JSON, CSV or XLSX (format=csv|xlsx), over local dates
// of the tenant's time zone, for admins and supervisors. hub/reports keeps
// the figures.
package reportsapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/qa"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/reports/schedules"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// API serves the report routes.
type API struct {
	reports *reports.Store
	// schedules keeps the daily report e-mail's schedule
	schedules *schedules.Store
	// qa reads the agents' QA scores for their table
	qa       *qa.Store
	identity *identity.Identity
	channels *channels.Store
	// tickets answers the tickets report (nil: the route answers 404)
	tickets *tickets.Store
	// respond writes v with status, or maps err to its status (the
	// workbench's one error map).
	respond func(g *gin.Context, status int, v any, err error)
	// bind decodes a JSON body, answering 400/413 itself when it cannot.
	bind func(g *gin.Context, v any) bool
}

// New returns the report routes over the kernel's report tables; names of
// agents, groups and channels come from identity and channels.
func New(k *store.Store, id *identity.Identity, ch *channels.Store, kit connectors.AgentKit) API {
	return API{reports: reports.New(k, reports.Options{}), schedules: schedules.New(k), qa: qa.New(k, nil), identity: id, channels: ch,
		respond: kit.Respond, bind: kit.Bind}
}

// Mount adds the routes: the reports to a group only admins and
// supervisors pass, the daily report e-mail's schedule to admins'.
func (a API) Mount(sup, admin gin.IRoutes) {
	admin.GET("/reports/schedule", a.getSchedule)
	admin.PUT("/reports/schedule", a.putSchedule)
	sup.GET("/reports/summary", a.summary)
	sup.GET("/reports/volume", a.volume)
	sup.GET("/reports/agents", a.agents)
	sup.GET("/reports/attendance", a.attendance)
	sup.GET("/reports/tickets", a.ticketsReport)
}

// WithTickets adds the tickets report's store.
func (a API) WithTickets(t *tickets.Store) API {
	a.tickets = t
	return a
}

// query is what every report route reads from its query string.
type query struct {
	tenantID string
	loc      *time.Location
	period   reports.Period
	filter   reports.Filter
	// format is the download asked for (format=csv or xlsx); "" for JSON
	format sheet.Format
	// business averages first responses, queue waits, replies and
	// resolutions, and takes the waits' and replies' 90th percentiles, in
	// the groups' business hours only (business_hours=1)
	business bool
}

// derive is the figures of c, in business hours when the query asks.
func (q query) derive(c reports.Counts) reports.Figures {
	if q.business {
		c = c.InBusinessHours()
	}
	return reports.Derive(c)
}

// defaultDays is the span of a report without from and to: the last week,
// today included.
const defaultDays = 7

func (a API) query(g *gin.Context) (query, error) {
	tenantID := connectors.AgentOf(g).TenantID
	tz := a.identity.Tenants.Timezone(g.Request.Context(), tenantID)
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	from, to := g.Query("from"), g.Query("to")
	today := time.Now().In(loc).Format(reports.DateLayout)
	if to == "" {
		to = today
	}
	if from == "" {
		t, _ := time.ParseInLocation(reports.DateLayout, to, loc)
		from = t.AddDate(0, 0, 1-defaultDays).Format(reports.DateLayout)
	}
	p, err := reports.ParsePeriod(from, to, loc)
	if err != nil {
		return query{}, hub.Invalid("%s", err.Error())
	}
	q := query{tenantID: tenantID, loc: loc, period: p,
		filter: reports.Filter{ChannelID: g.Query("channel"), GroupID: g.Query("group"), AgentID: g.Query("agent")}}
	switch g.Query("business_hours") {
	case "1", "true":
		q.business = true
	case "", "0", "false":
	default:
		return q, hub.Invalid("business_hours must be 1 or 0")
	}
	if f := g.Query("format"); f != "" && f != "json" {
		if q.format, err = sheet.ParseFormat(f); err != nil {
			return q, hub.Invalid("format must be json, csv or xlsx")
		}
	}
	return q, nil
}

// span is a period as the answers write it.
type span struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func spanOf(p reports.Period) span {
	return span{From: p.From.Format(reports.DateLayout), To: p.To.Format(reports.DateLayout)}
}

// periodFigures are a period's figures.
type periodFigures struct {
	span
	reports.Figures
}

// summaryOut is the summary: the period's figures, its time zone, and the
// previous period of as many days.
type summaryOut struct {
	periodFigures
	Timezone string        `json:"timezone"`
	Previous periodFigures `json:"previous"`
	// BusinessHours says the averages and 90th percentiles of first
	// responses, queue waits, replies and resolutions count only the
	// groups' business hours.
	BusinessHours bool `json:"business_hours"`
}

func (a API) summary(g *gin.Context) {
	q, err := a.query(g)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	ctx := g.Request.Context()
	out := summaryOut{Timezone: q.loc.String(), BusinessHours: q.business}
	for _, pf := range []struct {
		p   reports.Period
		dst *periodFigures
	}{{q.period, &out.periodFigures}, {q.period.Previous(), &out.Previous}} {
		c, err := a.reports.Totals(ctx, q.tenantID, pf.p.Filter(q.filter))
		if err != nil {
			a.respond(g, 0, nil, err)
			return
		}
		*pf.dst = periodFigures{span: spanOf(pf.p), Figures: q.derive(c)}
	}
	if q.format != "" {
		t := summaryTable(out)
		t.business = q.business
		a.writeSheet(g, q, "summary", t)
		return
	}
	g.JSON(http.StatusOK, out)
}

// names are the display names of a dimension's keys (channels, groups or
// agents of the tenant).
func (a API) names(ctx context.Context, tenantID string, d reports.Dimension) (map[string]string, error) {
	out := map[string]string{}
	switch d {
	case reports.ByAgent:
		as, err := a.identity.Agents.List(ctx, tenantID)
		for _, ag := range as {
			out[ag.ID] = ag.Name
		}
		return out, err
	case reports.ByGroup:
		gs, err := a.identity.Groups.List(ctx, tenantID)
		for _, gr := range gs {
			out[gr.ID] = gr.Name
		}
		return out, err
	default:
		cs, err := a.channels.List(ctx, tenantID)
		for _, c := range cs {
			out[c.ID] = c.Name
		}
		return out, err
	}
}
