package reportsapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
)

// origins are the volume breakdowns by where conversations came from.
var origins = map[string]reports.Origin{}

func init() {
	for _, o := range reports.Origins {
		origins[string(o)] = o
	}
}

// byOrigin is the conversations opened per source, keyword, referrer,
// landing page, region or device (only conversations: an origin is
// recorded at the opening) — or, with leave, the leave-messages (留言,
// conversations that became tickets) per the same origins, as tickets.
func (a API) byOrigin(g *gin.Context, q query, o reports.Origin, leave bool) ([]row, error) {
	if leave {
		o = reports.LeaveMessages(o)
	}
	ocs, err := a.reports.ByOrigin(g.Request.Context(), q.tenantID, q.period.Filter(q.filter), o)
	if err != nil {
		return nil, err
	}
	rows := make([]row, 0, len(ocs))
	for _, oc := range ocs {
		c := reports.Counts{Conversations: oc.Conversations}
		if leave {
			c = reports.Counts{Tickets: oc.Conversations}
		}
		rows = append(rows, row{Key: oc.Key, Figures: reports.Derive(c)})
	}
	return rows, nil
}

// leaveOf reads of= of a volume request: true for of=leave_messages,
// which only the origins' breakdowns take.
func leaveOf(g *gin.Context, by string) (bool, error) {
	switch g.Query("of") {
	case "", "conversations":
		return false, nil
	case "leave_messages":
		if _, ok := origins[by]; !ok {
			return false, hub.Invalid("of=leave_messages needs by=source, keyword, referrer, landing, region or device")
		}
		return true, nil
	}
	return false, hub.Invalid("of must be conversations or leave_messages")
}

// attendanceRow is an agent's day with the agent's name.
type attendanceRow struct {
	reports.AgentDay
	Name string `json:"name"`
}

// attendanceOut is the attendance (考勤) of the period: a line per agent
// and date the agent was on (online or busy), by date then name.
type attendanceOut struct {
	span
	Timezone string          `json:"timezone"`
	Days     []attendanceRow `json:"days"`
}

func (a API) attendance(g *gin.Context) {
	q, err := a.query(g)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	ctx := g.Request.Context()
	days, err := a.reports.Attendance(ctx, q.tenantID, q.period, q.filter.AgentID, time.Now())
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	names, err := a.names(ctx, q.tenantID, reports.ByAgent)
	if err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	out := attendanceOut{span: spanOf(q.period), Timezone: q.loc.String(), Days: make([]attendanceRow, 0, len(days))}
	for _, d := range days {
		out.Days = append(out.Days, attendanceRow{AgentDay: d, Name: names[d.AgentID]})
	}
	if q.format != "" {
		a.writeSheet(g, q, "attendance", attendanceTable(out.Days))
		return
	}
	g.JSON(http.StatusOK, out)
}

// attendanceTable is the attendance, a line per agent and date; times are
// the tenant's local HH:MM:SS.
func attendanceTable(days []attendanceRow) table {
	t := table{header: []string{"date", "agent", "name", "online_seconds", "busy_seconds", "offline_seconds",
		"first_online", "last_offline", "held_seconds", "concurrency_avg"}}
	clock := func(v *time.Time) string {
		if v == nil {
			return ""
		}
		return v.Format(time.TimeOnly)
	}
	for _, d := range days {
		t.rows = append(t.rows, []string{d.Date, d.AgentID, d.Name, num(d.OnlineSeconds), num(d.BusySeconds),
			num(d.OfflineSeconds), clock(d.FirstOnline), clock(d.LastOffline), num(d.HeldSeconds),
			rate(reports.Concurrency(d.HeldSeconds, d.OnlineSeconds+d.BusySeconds))})
	}
	return t
}
