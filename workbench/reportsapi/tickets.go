package reportsapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/tickets"
)

// ticketFigures are a tickets report row with its averages and rates (nil
// with nothing to divide by).
type ticketFigures struct {
	tickets.ReportRow
	Name string `json:"name,omitempty"`
	// SolveSecondsAvg is the mean of solved − created of the solved.
	SolveSecondsAvg *float64 `json:"solve_seconds_avg"`
	// SLACompliance is sla_met ÷ solved_with_due.
	SLACompliance *float64 `json:"sla_compliance"`
	// ResponseCompliance is response_met ÷ responded_with_due.
	ResponseCompliance *float64 `json:"response_compliance"`
}

func ticketDerive(r tickets.ReportRow, name string) ticketFigures {
	return ticketFigures{ReportRow: r, Name: name, SolveSecondsAvg: ratioOf(r.SolveSeconds, r.Solved),
		SLACompliance: ratioOf(r.SLAMet, r.SolvedWithDue), ResponseCompliance: ratioOf(r.ResponseMet, r.RespondedWithDue)}
}

func ratioOf(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

// ticketsOut is the tickets report: the period's totals and, with by,
// a row per channel, priority, agent or origin.
type ticketsOut struct {
	span
	Timezone string          `json:"timezone"`
	By       string          `json:"by,omitempty"`
	Totals   ticketFigures   `json:"totals"`
	Rows     []ticketFigures `json:"rows"`
}

func (a API) ticketsReport(g *gin.Context) {
	if a.tickets == nil {
		a.respond(g, 0, nil, hub.ErrNotFound)
		return
	}
	q, err := a.query(g)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	by := tickets.ReportBy(g.Query("by"))
	origin := tickets.Origin(g.Query("origin"))
	switch origin {
	case "", tickets.FromOffline, tickets.FromAgent, tickets.FromConversation:
	default:
		a.respond(g, 0, nil, hub.Invalid("origin must be offline, agent or conversation"))
		return
	}
	switch by {
	case "", tickets.ReportByChannel, tickets.ReportByPriority, tickets.ReportByAgent, tickets.ReportByOrigin:
	default:
		a.respond(g, 0, nil, hub.Invalid("by must be channel, priority, agent or origin"))
		return
	}
	ctx := g.Request.Context()
	span := q.period.Filter(reports.Filter{})
	f := tickets.ReportFilter{From: span.From, To: span.To, ChannelID: q.filter.ChannelID, GroupID: q.filter.GroupID,
		AgentID: q.filter.AgentID, Origin: origin}
	totals, err := a.tickets.Report(ctx, q.tenantID, f)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	out := ticketsOut{span: spanOf(q.period), Timezone: q.loc.String(), By: string(by), Rows: []ticketFigures{}}
	if len(totals) == 1 {
		out.Totals = ticketDerive(totals[0], "")
	}
	if by != "" {
		f.By = by
		rows, err := a.tickets.Report(ctx, q.tenantID, f)
		if err != nil {
			a.respond(g, 0, nil, err)
			return
		}
		names := map[string]string{}
		if by == tickets.ReportByChannel || by == tickets.ReportByAgent {
			d := map[tickets.ReportBy]reports.Dimension{tickets.ReportByChannel: reports.ByChannel,
				tickets.ReportByAgent: reports.ByAgent}[by]
			if names, err = a.names(ctx, q.tenantID, d); err != nil {
				a.respond(g, 0, nil, err)
				return
			}
		}
		for _, r := range rows {
			out.Rows = append(out.Rows, ticketDerive(r, names[r.Key]))
		}
	}
	if q.format != "" {
		a.writeSheet(g, q, "tickets", ticketsTable(out))
		return
	}
	g.JSON(http.StatusOK, out)
}

// ticketsTable is the tickets report, the totals first then a line per row.
func ticketsTable(o ticketsOut) table {
	t := table{header: []string{"by", "key", "name", "created", "solved", "backlog", "solve_seconds_avg",
		"solved_with_due", "sla_met", "sla_compliance", "responded_with_due", "response_met", "response_compliance"}}
	line := func(by string, f ticketFigures) []string {
		return []string{by, f.Key, f.Name, num(f.Created), num(f.Solved), num(f.Backlog), rate(f.SolveSecondsAvg),
			num(f.SolvedWithDue), num(f.SLAMet), rate(f.SLACompliance), num(f.RespondedWithDue), num(f.ResponseMet),
			rate(f.ResponseCompliance)}
	}
	t.rows = append(t.rows, line("total", o.Totals))
	for _, r := range o.Rows {
		t.rows = append(t.rows, line(o.By, r))
	}
	return t
}
