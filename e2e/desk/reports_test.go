package desk

// Reports (报表, issue 16): a conversation a customer opens, an agent
// answers and closes shows up in the summary, the daily volume, the
// heatmap and the agent report within seconds, filtered by channel and
// agent, and as CSV; plain agents are refused.

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
	"github.com/kefu-hub/kefu/hub/sheet"
)

type reportFigures struct {
	From             string   `json:"from"`
	To               string   `json:"to"`
	Conversations    int      `json:"conversations"`
	Taken            int      `json:"taken"`
	Answered         int      `json:"answered"`
	AnswerRate       *float64 `json:"answer_rate"`
	FirstResponseAvg *float64 `json:"first_response_seconds_avg"`
	Resolved         int      `json:"resolved"`
	MessagesIn       int      `json:"messages_in"`
	MessagesOut      int      `json:"messages_out"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	MessagesPerConv  *float64 `json:"messages_per_conversation"`
	RatingInvited    int      `json:"rating_invited"`
	RatingResponse   *float64 `json:"rating_response_rate"`
	QueueWaitP90     *float64 `json:"queue_wait_seconds_p90"`
	ReplyAvg         *float64 `json:"reply_seconds_avg"`
	BadRatings       int      `json:"bad_ratings"`
	Tickets          int      `json:"tickets"`
}

type reportSummary struct {
	reportFigures
	Timezone string        `json:"timezone"`
	Previous reportFigures `json:"previous"`
}

type reportRow struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	reportFigures
	OnSeconds      int64    `json:"on_seconds"`
	ConcurrencyAvg *float64 `json:"concurrency_avg"`
}

func TestReports(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		grp := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
		li := adm.NewAgent("li@kefu.test", 5, grp)
		liID := li.MeID()
		li.SetStatus("online")
		sock := li.Dial(-1)
		ch := adm.NewAPIChannel(kit.NewCallbackServer(t).URL, map[string]any{"default_group_id": grp})
		if st, b := ch.Post(t, h.Base, map[string]any{"id": "r1", "type": "text", "text": "发票怎么开？",
			"contact": map[string]any{"id": "cust-1", "name": "王先生"},
			"visitor": map[string]any{"referrer": "https://www.example.org/post", "keyword": "发票", "region": "上海",
				"page": "https://shop.test/help?from=ad"}}); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		ev := sock.WaitFor("conversation.assigned", 15*time.Second, nil)
		conv, _ := kit.Dig(ev, "data", "conversation", "id").(string)
		li.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "您好，在订单页申请。"})
		// an API channel's close offers no rating (its integration decides):
		// li asks for one by hand first
		li.Must(202, "POST", "/api/v1/conversations/"+conv+"/rating-request", nil)
		li.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{"reason": "solved"})

		var s reportSummary
		deadline := time.Now().Add(20 * time.Second)
		for s.Resolved == 0 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			adm.Must(200, "GET", "/api/v1/reports/summary", nil).JSON(t, &s)
		}
		if s.Timezone != "Asia/Shanghai" || s.Conversations != 1 || s.Answered != 1 || s.Resolved != 1 ||
			s.MessagesIn != 1 || s.MessagesOut != 1 || s.AnswerRate == nil || *s.AnswerRate != 1 ||
			s.FirstResponseAvg == nil || *s.FirstResponseAvg > 30 || s.SatisfactionRate != nil {
			t.Fatalf("summary %+v", s)
		}
		// one message each way; offered a rating by li, not rated;
		// no customer waited after the first reply; li took it at once
		if s.MessagesPerConv == nil || *s.MessagesPerConv != 2 || s.RatingInvited != 1 || s.RatingResponse == nil ||
			*s.RatingResponse != 0 || s.ReplyAvg != nil || s.BadRatings != 0 || s.QueueWaitP90 == nil || *s.QueueWaitP90 > 30 {
			t.Errorf("summary's newer figures %+v", s)
		}
		// 仅工作时间: the group has no hours, so its business time is the
		// calendar's; a toggle that is neither on nor off is refused
		var biz struct {
			reportFigures
			BusinessHours bool `json:"business_hours"`
		}
		adm.Must(200, "GET", "/api/v1/reports/summary?business_hours=1", nil).JSON(t, &biz)
		if !biz.BusinessHours || biz.FirstResponseAvg == nil || *biz.FirstResponseAvg != *s.FirstResponseAvg {
			t.Errorf("business-hours summary %+v, calendar first response %v", biz, *s.FirstResponseAvg)
		}
		adm.Must(400, "GET", "/api/v1/reports/summary?business_hours=maybe", nil)
		if s.Previous.Conversations != 0 || s.Previous.To >= s.From {
			t.Errorf("previous period %+v of %s..%s", s.Previous, s.From, s.To)
		}
		today := s.To
		var other reportSummary
		adm.Must(200, "GET", "/api/v1/reports/summary?from="+today+"&to="+today+"&channel=ch_nope", nil).JSON(t, &other)
		if other.Conversations != 0 || other.MessagesIn != 0 {
			t.Errorf("another channel's summary %+v", other)
		}

		var agents struct{ Agents []reportRow }
		adm.Must(200, "GET", "/api/v1/reports/agents?from="+today+"&to="+today, nil).JSON(t, &agents)
		var row *reportRow
		for i := range agents.Agents {
			if agents.Agents[i].Key == liID {
				row = &agents.Agents[i]
			}
		}
		if row == nil || row.Taken != 1 || row.Conversations != 1 || row.Answered != 1 || row.MessagesOut != 1 ||
			row.Resolved != 1 || agents.Agents[0].Key != liID {
			t.Errorf("agent report %+v", agents.Agents)
		}
		// li has been online all along: a concurrency (held ÷ time on) once
		// a whole second of it has passed
		for deadline := time.Now().Add(5 * time.Second); row != nil && row.OnSeconds == 0 && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			var again struct{ Agents []reportRow }
			adm.Must(200, "GET", "/api/v1/reports/agents?agent="+liID, nil).JSON(t, &again)
			if len(again.Agents) == 1 {
				row = &again.Agents[0]
			}
		}
		if row != nil && (row.OnSeconds <= 0 || row.ConcurrencyAvg == nil) {
			t.Errorf("li's concurrency %+v", row)
		}

		var days struct{ Rows []reportRow }
		adm.Must(200, "GET", "/api/v1/reports/volume?by=day&agent="+liID, nil).JSON(t, &days)
		if n := len(days.Rows); n != 7 || days.Rows[n-1].Key != today || days.Rows[n-1].Conversations != 1 {
			t.Errorf("daily volume %+v", days.Rows)
		}
		// the same 7 days by week (the first from the period's first date,
		// then from each Monday) and by month
		for _, by := range []string{"week", "month"} {
			var rows struct{ Rows []reportRow }
			adm.Must(200, "GET", "/api/v1/reports/volume?by="+by+"&agent="+liID, nil).JSON(t, &rows)
			n, sum := len(rows.Rows), 0
			for _, r := range rows.Rows {
				sum += r.Conversations
			}
			first, last := days.Rows[0].Key, today
			if by == "month" {
				first, last = first[:7], today[:7]
			}
			if n < 1 || n > 2 || rows.Rows[0].Key != first || sum != 1 || rows.Rows[n-1].Conversations != 1 ||
				(n == 2 && rows.Rows[1].Key > last) {
				t.Errorf("volume by %s %+v", by, rows.Rows)
			}
		}
		var hm struct{ Heatmap [][]int }
		adm.Must(200, "GET", "/api/v1/reports/volume?by=heatmap", nil).JSON(t, &hm)
		total := 0
		for _, day := range hm.Heatmap {
			for _, v := range day {
				total += v
			}
		}
		if len(hm.Heatmap) != 7 || total != 1 {
			t.Errorf("heatmap %v", hm.Heatmap)
		}

		r := adm.Must(200, "GET", "/api/v1/reports/volume?by=channel&format=csv", nil)
		lines, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if !bytes.HasPrefix(r.Body, []byte("\uFEFF")) || err != nil || len(lines) != 2 || lines[0][0] != "channel" ||
			lines[1][0] != ch.ID || lines[1][2] != "1" {
			t.Errorf("CSV %q: %v", r.Body, err)
		}

		// a download in business hours only says so, above the header and
		// in its name
		r = adm.Must(200, "GET", "/api/v1/reports/volume?by=channel&format=csv&business_hours=1", nil)
		lines, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if err == nil && (len(lines) != 3 || !strings.HasPrefix(lines[0][0], "仅工作时间 / Business hours only") ||
			lines[1][0] != "channel" || lines[2][0] != ch.ID) {
			t.Errorf("business-hours CSV %q", r.Body)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "report-volume-channel-business-hours-") {
			t.Errorf("business-hours CSV named %q", cd)
		}
		bx := adm.Must(200, "GET", "/api/v1/reports/agents?format=xlsx&business_hours=1", nil)
		if cd := bx.Header.Get("Content-Disposition"); !strings.Contains(cd, "report-agents-business-hours-") ||
			!strings.HasSuffix(cd, `.xlsx"`) {
			t.Errorf("business-hours XLSX named %q", cd)
		}
		if rows, err := sheet.Read(bytes.NewReader(bx.Body), sheet.XLSX, 100); err != nil || len(rows) < 2 ||
			!strings.HasPrefix(rows[0][0], "仅工作时间") || rows[1][0] != "agent" {
			t.Errorf("business-hours XLSX %v: %v", rows, err)
		}
		// the agent filter applies to where conversations came from: li
		// took the one conversation, the other agent none
		var src struct{ Rows []reportRow }
		adm.Must(200, "GET", "/api/v1/reports/volume?by=source&agent="+liID, nil).JSON(t, &src)
		if len(src.Rows) != 1 || src.Rows[0].Key != "example.org" || src.Rows[0].Conversations != 1 {
			t.Errorf("li's by source %+v", src.Rows)
		}
		adm.Must(200, "GET", "/api/v1/reports/volume?by=source&agent="+adm.MeID(), nil).JSON(t, &src)
		if len(src.Rows) != 0 {
			t.Errorf("the admin's by source %+v", src.Rows)
		}
		// where it came from (the API channel's visitor)
		adm.Must(200, "GET", "/api/v1/reports/volume?by=source", nil).JSON(t, &src)
		if len(src.Rows) != 1 || src.Rows[0].Key != "example.org" || src.Rows[0].Conversations != 1 {
			t.Errorf("by source %+v", src.Rows)
		}
		adm.Must(200, "GET", "/api/v1/reports/volume?by=landing", nil).JSON(t, &src)
		if len(src.Rows) != 1 || src.Rows[0].Key != "https://shop.test/help" {
			t.Errorf("by landing page %+v", src.Rows)
		}
		// leave-messages by source: li answered it, so none; only origins
		// take of=leave_messages
		adm.Must(200, "GET", "/api/v1/reports/volume?by=source&of=leave_messages", nil).JSON(t, &src)
		if len(src.Rows) != 0 {
			t.Errorf("leave-messages by source %+v", src.Rows)
		}
		lm := adm.Must(200, "GET", "/api/v1/reports/volume?by=keyword&of=leave_messages&format=csv", nil)
		if !bytes.Contains(lm.Body, []byte("keyword,leave_messages")) ||
			!strings.Contains(lm.Header.Get("Content-Disposition"), "report-leave-messages-keyword-") {
			t.Errorf("leave-messages CSV %q %q", lm.Body, lm.Header.Get("Content-Disposition"))
		}
		adm.Must(400, "GET", "/api/v1/reports/volume?by=day&of=leave_messages", nil)
		adm.Must(400, "GET", "/api/v1/reports/volume?by=source&of=tickets", nil)
		// attendance: li has been online since the start
		var att struct {
			Days []struct {
				AgentID       string  `json:"agent_id"`
				Name          string  `json:"name"`
				Date          string  `json:"date"`
				OnlineSeconds int64   `json:"online_seconds"`
				FirstOnline   *string `json:"first_online"`
				LastOffline   *string `json:"last_offline"`
			}
		}
		deadline = time.Now().Add(10 * time.Second)
		for len(att.Days) == 0 && time.Now().Before(deadline) {
			adm.Must(200, "GET", "/api/v1/reports/attendance?agent="+liID, nil).JSON(t, &att)
		}
		if len(att.Days) != 1 || att.Days[0].Date != today || att.Days[0].Name == "" ||
			att.Days[0].FirstOnline == nil || att.Days[0].LastOffline != nil {
			t.Errorf("attendance %+v", att.Days)
		}
		x := adm.Must(200, "GET", "/api/v1/reports/agents?format=xlsx", nil)
		if !bytes.HasPrefix(x.Body, []byte("PK")) || !bytes.Contains(x.Body, []byte("xl/worksheets/")) {
			t.Errorf("XLSX download: %q", x.Body[:min(len(x.Body), 16)])
		}

		// tickets: one opened from the conversation, high priority, by li
		li.Must(201, "POST", "/api/v1/tickets", map[string]any{"conversation_id": conv, "priority": "high",
			"assignee_id": liID})
		var tk struct {
			Totals struct{ Created, Solved, Backlog int }
			Rows   []struct {
				Key              string
				Created, Backlog int
				SLACompliance    *float64 `json:"sla_compliance"`
			}
		}
		adm.Must(200, "GET", "/api/v1/reports/tickets?by=priority", nil).JSON(t, &tk)
		if tk.Totals.Created != 1 || tk.Totals.Backlog != 1 || tk.Totals.Solved != 0 || len(tk.Rows) != 1 ||
			tk.Rows[0].Key != "high" || tk.Rows[0].Created != 1 || tk.Rows[0].SLACompliance != nil {
			t.Errorf("tickets report %+v", tk)
		}
		adm.Must(200, "GET", "/api/v1/reports/tickets?by=agent&origin=offline", nil).JSON(t, &tk)
		if tk.Totals.Created != 0 || len(tk.Rows) != 0 {
			t.Errorf("leave-messages %+v", tk)
		}
		adm.Must(400, "GET", "/api/v1/reports/tickets?by=status", nil)

		li.Must(403, "GET", "/api/v1/reports/summary", nil)
		li.Must(403, "GET", "/api/v1/reports/attendance", nil)
		li.Must(403, "GET", "/api/v1/reports/tickets", nil)
		adm.Must(400, "GET", "/api/v1/reports/summary?from=2026-13-01", nil)
		adm.Must(400, "GET", "/api/v1/reports/volume?by=minute", nil)
	})
}
