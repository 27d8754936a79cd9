package reportsapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
)

// row is one line of a breakdown: its key (a date — a week's first date
// in the period —, a month YYYY-MM, an hour "00"–"23", an ISO weekday
// "1"–"7" from Monday, or an id), the key's name for ids, and
// the figures.
type row struct {
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	reports.Figures
}

// volumeOut is a breakdown; Heatmap (by=heatmap) counts conversations
// opened per weekday (Monday first) and local hour.
type volumeOut struct {
	span
	Timezone string `json:"timezone"`
	By       string `json:"by"`
	// Of is "leave_messages" when the origins' rows count leave-messages
	// (their tickets figure) instead of conversations.
	Of      string        `json:"of,omitempty"`
	Rows    []row         `json:"rows"`
	Heatmap *[7][24]int64 `json:"heatmap,omitempty"`
}

var dimensions = map[string]reports.Dimension{"channel": reports.ByChannel, "group": reports.ByGroup,
	"agent": reports.ByAgent}

func (a API) volume(g *gin.Context) {
	q, err := a.query(g)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	by := g.DefaultQuery("by", "day")
	leave, err := leaveOf(g, by)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	out := volumeOut{span: spanOf(q.period), Timezone: q.loc.String(), By: by, Rows: []row{}}
	if leave {
		out.Of = "leave_messages"
	}
	if d, ok := dimensions[by]; ok {
		out.Rows, err = a.byDimension(g, q, d)
	} else if o, ok := origins[by]; ok {
		out.Rows, err = a.byOrigin(g, q, o, leave)
	} else {
		err = a.byTime(g, q, &out)
	}
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	if q.format != "" {
		t := rowsTable(by, out.Rows, out.Heatmap, leave)
		_, origin := origins[by]
		t.business = q.business && out.Heatmap == nil && !origin // the counts of those have no averages
		name := "volume-" + by
		if leave {
			name = "leave-messages-" + by
		}
		a.writeSheet(g, q, name, t)
		return
	}
	g.JSON(http.StatusOK, out)
}

func (a API) byDimension(g *gin.Context, q query, d reports.Dimension) ([]row, error) {
	ctx := g.Request.Context()
	kcs, err := a.reports.By(ctx, q.tenantID, q.period.Filter(q.filter), d)
	if err != nil {
		return nil, err
	}
	names, err := a.names(ctx, q.tenantID, d)
	if err != nil {
		return nil, err
	}
	rows := make([]row, 0, len(kcs))
	for _, kc := range kcs {
		rows = append(rows, row{Key: kc.Key, Name: names[kc.Key], Figures: q.derive(kc.Counts)})
	}
	return rows, nil
}

func (a API) byTime(g *gin.Context, q query, out *volumeOut) error {
	switch out.By {
	case "day", "week", "month", "hour", "weekday", "heatmap":
	default:
		return hub.Invalid("by must be day, week, month, hour, weekday, heatmap, channel, group, agent, source, keyword, " +
			"referrer, landing, region or device")
	}
	if out.By == "day" || out.By == "week" || out.By == "month" {
		days, err := a.reports.Days(g.Request.Context(), q.tenantID, q.period, q.filter)
		if err != nil {
			return err
		}
		switch out.By {
		case "week":
			days = reports.Weekly(days)
		case "month":
			days = reports.Monthly(days)
		}
		for _, d := range days {
			out.Rows = append(out.Rows, row{Key: d.Date, Figures: q.derive(d.Counts)})
		}
		return nil
	}
	hours, err := a.reports.Hours(g.Request.Context(), q.tenantID, q.period.Filter(q.filter))
	if err != nil {
		return err
	}
	switch out.By {
	case "hour":
		for h, c := range reports.HoursOfDay(q.loc, hours) {
			out.Rows = append(out.Rows, row{Key: fmt.Sprintf("%02d", h), Figures: q.derive(c)})
		}
	case "weekday":
		for d, c := range reports.Weekdays(q.loc, hours) {
			out.Rows = append(out.Rows, row{Key: fmt.Sprint(d + 1), Figures: q.derive(c)})
		}
	case "heatmap":
		hm := reports.Heatmap(q.loc, hours)
		out.Heatmap = &hm
	}
	return nil
}

// agentsOut are the agents' figures: every agent of the tenant, busiest
// first, then any agent no longer listed who still has figures.
type agentsOut struct {
	span
	Timezone string     `json:"timezone"`
	Agents   []agentRow `json:"agents"`
}

func (a API) agents(g *gin.Context) {
	q, err := a.query(g)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	rows, err := a.byDimension(g, q, reports.ByAgent)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	if q.filter.AgentID == "" {
		rows, err = a.withIdleAgents(g, q, rows)
		if err != nil {
			a.respond(g, 0, nil, err)
			return
		}
	}
	out, err := a.withQA(g, q, rows)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	if q.format != "" {
		t := agentsTable(out)
		t.business = q.business
		a.writeSheet(g, q, "agents", t)
		return
	}
	g.JSON(http.StatusOK, agentsOut{span: spanOf(q.period), Timezone: q.loc.String(), Agents: out})
}

// agentRow is an agent's figures with their quality inspection (reviews
// scored in the period and their average on a 100-point scale, null
// without reviews) and their average concurrency (平均并发会话数: the
// seconds they held conversations ÷ their seconds on, online or busy;
// null without time on).
type agentRow struct {
	row
	QAScoreAvg     *float64 `json:"qa_score_avg"`
	QAReviews      int64    `json:"qa_reviews"`
	OnSeconds      int64    `json:"on_seconds"`
	HeldSeconds    int64    `json:"held_seconds"`
	ConcurrencyAvg *float64 `json:"concurrency_avg"`
}

func (a API) withQA(g *gin.Context, q query, rows []row) ([]agentRow, error) {
	ctx := g.Request.Context()
	scores, err := a.qa.AgentScores(ctx, q.tenantID, q.period.From, q.period.To.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	days, err := a.reports.Attendance(ctx, q.tenantID, q.period, q.filter.AgentID, time.Now())
	if err != nil {
		return nil, err
	}
	on, held := map[string]int64{}, map[string]int64{}
	for _, d := range days {
		on[d.AgentID] += d.OnlineSeconds + d.BusySeconds
		held[d.AgentID] += d.HeldSeconds
	}
	out := make([]agentRow, len(rows))
	for i, r := range rows {
		sc := scores[r.Key]
		out[i] = agentRow{row: r, QAScoreAvg: sc.Avg, QAReviews: sc.Reviews, OnSeconds: on[r.Key],
			HeldSeconds: held[r.Key], ConcurrencyAvg: reports.Concurrency(held[r.Key], on[r.Key])}
	}
	return out, nil
}

// withIdleAgents adds the tenant's agents without figures, at zero.
func (a API) withIdleAgents(g *gin.Context, q query, rows []row) ([]row, error) {
	as, err := a.identity.Agents.List(g.Request.Context(), q.tenantID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Key] = true
	}
	for _, ag := range as {
		if !seen[ag.ID] {
			rows = append(rows, row{Key: ag.ID, Name: ag.Name, Figures: reports.Derive(reports.Counts{})})
		}
	}
	return rows, nil
}
