package reportsapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// figureCols are the CSV columns of a row's figures, named as in the JSON.
var figureCols = []string{"conversations", "taken", "answered", "answer_rate", "first_response_seconds_avg",
	"resolved", "resolution_seconds_avg", "messages_in", "messages_out", "rated", "satisfied", "satisfaction_rate",
	"abandoned", "transfers", "tickets", "queue_wait_seconds_avg"}

func figureCells(f reports.Figures) []string {
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	r := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 4, 64)
	}
	return []string{n(f.Conversations), n(f.Taken), n(f.Answered), r(f.AnswerRate), r(f.FirstResponseAvg),
		n(f.Resolved), r(f.ResolutionAvg), n(f.MessagesIn), n(f.MessagesOut), n(f.Rated), n(f.Satisfied),
		r(f.SatisfactionRate), n(f.Abandoned), n(f.Transfers), n(f.Tickets), r(f.QueueWaitAvg)}
}

// summaryCSV is the summary as two lines, the period and the previous one.
func summaryCSV(s summaryOut) [][]string {
	out := [][]string{append([]string{"from", "to"}, figureCols...)}
	for _, p := range []periodFigures{s.periodFigures, s.Previous} {
		out = append(out, append([]string{p.From, p.To}, figureCells(p.Figures)...))
	}
	return out
}

// rowsCSV is a breakdown, a line per row (the heatmap: a line per weekday).
func rowsCSV(by string, rows []row, hm *[7][24]int64) [][]string {
	if hm != nil {
		head := []string{"weekday"}
		for h := range 24 {
			head = append(head, fmt.Sprintf("%02d", h))
		}
		out := [][]string{head}
		for d, hours := range hm {
			line := []string{strconv.Itoa(d + 1)}
			for _, v := range hours {
				line = append(line, strconv.FormatInt(v, 10))
			}
			out = append(out, line)
		}
		return out
	}
	out := [][]string{append([]string{by, "name"}, figureCols...)}
	for _, r := range rows {
		out = append(out, append([]string{sheet.Defuse(r.Key), sheet.Defuse(r.Name)}, figureCells(r.Figures)...))
	}
	return out
}

// agentsCSV is the agents' table, a line per agent with their QA figures.
func agentsCSV(rows []agentRow) [][]string {
	out := [][]string{append(append([]string{"agent", "name"}, figureCols...), "qa_score_avg", "qa_reviews")}
	for _, r := range rows {
		avg := ""
		if r.QAScoreAvg != nil {
			avg = strconv.FormatFloat(*r.QAScoreAvg, 'f', 2, 64)
		}
		out = append(out, append(append([]string{sheet.Defuse(r.Key), sheet.Defuse(r.Name)}, figureCells(r.Figures)...), avg,
			strconv.FormatInt(r.QAReviews, 10)))
	}
	return out
}

// writeCSV answers a download: UTF-8 with a byte-order mark (so Excel
// reads the Chinese names), named after the report and its period.
func writeCSV(g *gin.Context, name string, p reports.Period, lines [][]string) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	_ = w.WriteAll(lines) // a bytes.Buffer does not fail
	file := fmt.Sprintf("report-%s-%s-%s.csv", name, p.From.Format("20060102"), p.To.Format("20060102"))
	g.Header("Content-Disposition", `attachment; filename="`+file+`"`)
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
