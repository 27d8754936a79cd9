package reportsapi

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// figureCols are the spreadsheet columns of a row's figures, named as in
// the JSON.
var figureCols = []string{"conversations", "taken", "answered", "answer_rate", "first_response_seconds_avg",
	"resolved", "resolution_seconds_avg", "messages_in", "messages_out", "rated", "satisfied", "satisfaction_rate",
	"abandoned", "transfers", "tickets", "queue_wait_seconds_avg", "robot_conversations", "robot_resolved",
	"robot_handovers", "robot_resolution_rate", "reply_seconds_avg", "replies", "queue_wait_seconds_p90",
	"bad_ratings", "rating_invited", "rating_responses", "rating_response_rate", "messages_per_conversation",
	"reply_seconds_p90"}

func num(v int64) string { return strconv.FormatInt(v, 10) }

func rate(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 4, 64)
}

func figureCells(f reports.Figures) []string {
	return []string{num(f.Conversations), num(f.Taken), num(f.Answered), rate(f.AnswerRate), rate(f.FirstResponseAvg),
		num(f.Resolved), rate(f.ResolutionAvg), num(f.MessagesIn), num(f.MessagesOut), num(f.Rated), num(f.Satisfied),
		rate(f.SatisfactionRate), num(f.Abandoned), num(f.Transfers), num(f.Tickets), rate(f.QueueWaitAvg),
		num(f.RobotConversations), num(f.RobotResolved), num(f.RobotHandovers), rate(f.RobotResolutionRate),
		rate(f.ReplyAvg), num(f.Replies), rate(f.QueueWaitP90), num(f.BadRatings), num(f.RatingInvited),
		num(f.RatingResponses), rate(f.RatingResponseRate), rate(f.MessagesPerConversation), rate(f.ReplyP90)}
}

// table is a report as a spreadsheet: its header and its lines;
// business marks figures averaged over business hours only.
type table struct {
	header   []string
	rows     [][]string
	business bool
}

// businessTitle is the first line of a download whose averages count
// business hours only (the 仅工作时间 toggle).
const businessTitle = "仅工作时间 / Business hours only: first_response_seconds_avg, queue_wait_seconds_avg, " +
	"reply_seconds_avg, resolution_seconds_avg, queue_wait_seconds_p90 and reply_seconds_p90 count only the time " +
	"within the groups' business hours"

// summaryTable is the summary as two lines, the period and the previous one.
func summaryTable(s summaryOut) table {
	t := table{header: append([]string{"from", "to"}, figureCols...)}
	for _, p := range []periodFigures{s.periodFigures, s.Previous} {
		t.rows = append(t.rows, append([]string{p.From, p.To}, figureCells(p.Figures)...))
	}
	return t
}

// rowsTable is a breakdown, a line per row (the heatmap: a line per
// weekday; an origin: its conversations only).
func rowsTable(by string, rows []row, hm *[7][24]int64, leave bool) table {
	if hm != nil {
		t := table{header: []string{"weekday"}}
		for h := range 24 {
			t.header = append(t.header, fmt.Sprintf("%02d", h))
		}
		for d, hours := range hm {
			line := []string{strconv.Itoa(d + 1)}
			for _, v := range hours {
				line = append(line, num(v))
			}
			t.rows = append(t.rows, line)
		}
		return t
	}
	if _, ok := origins[by]; ok {
		if leave {
			t := table{header: []string{by, "leave_messages"}}
			for _, r := range rows {
				t.rows = append(t.rows, []string{r.Key, num(r.Tickets)})
			}
			return t
		}
		t := table{header: []string{by, "conversations"}}
		for _, r := range rows {
			t.rows = append(t.rows, []string{r.Key, num(r.Conversations)})
		}
		return t
	}
	t := table{header: append([]string{by, "name"}, figureCols...)}
	for _, r := range rows {
		t.rows = append(t.rows, append([]string{r.Key, r.Name}, figureCells(r.Figures)...))
	}
	return t
}

// agentsTable is the agents' table, a line per agent with their QA figures.
func agentsTable(rows []agentRow) table {
	t := table{header: append(append([]string{"agent", "name"}, figureCols...), "qa_score_avg", "qa_reviews",
		"on_seconds", "held_seconds", "concurrency_avg")}
	for _, r := range rows {
		avg := ""
		if r.QAScoreAvg != nil {
			avg = strconv.FormatFloat(*r.QAScoreAvg, 'f', 2, 64)
		}
		t.rows = append(t.rows, append(append([]string{r.Key, r.Name}, figureCells(r.Figures)...), avg,
			num(r.QAReviews), num(r.OnSeconds), num(r.HeldSeconds), rate(r.ConcurrencyAvg)))
	}
	return t
}

// writeSheet answers a download as CSV (UTF-8 with a byte-order mark, so
// Excel reads the Chinese names; formula-looking cells defused) or XLSX,
// named after the report and its period. Figures in business hours only
// say so in a title line above the header and in the name.
func (a API) writeSheet(g *gin.Context, q query, name string, t table) {
	var b bytes.Buffer
	header, rows := t.header, t.rows
	if t.business {
		header, rows = []string{businessTitle}, append([][]string{t.header}, t.rows...)
		name += "-business-hours"
	}
	if err := sheet.Write(&b, q.format, header, rows); err != nil {
		a.respond(g, 0, nil, err)
		return
	}
	file := q.format.Filename(fmt.Sprintf("report-%s-%s-%s", name, q.period.From.Format("20060102"),
		q.period.To.Format("20060102")))
	g.Header("Content-Disposition", `attachment; filename="`+file+`"`)
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(200, q.format.ContentType(), b.Bytes())
}
