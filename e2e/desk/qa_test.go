package desk

// Quality inspection (质检, issue 16): a supervisor draws review batches
// from the day's closed conversations by rule, scores them (a failed fatal
// item scores 0); each agent sees only their own scored reviews, with the
// transcript, and acknowledges or appeals; the supervisor resolves the
// appeal; the agent report shows the QA scores; an agent's sensitive word
// reaches supervisors live and is listed, the message sent all the same;
// a webhook subscription gets the alert too; every change is in the audit
// log.

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

type qaReview struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	AgentID        string `json:"agent_id"`
	Status         string `json:"status"`
	Score          *int   `json:"score"`
	MaxScore       int    `json:"max_score"`
	Fatal          bool   `json:"fatal"`
	Messages       []struct {
		Text string `json:"text"`
	} `json:"messages"`
	Template *struct {
		Name string `json:"name"`
	} `json:"template"`
}

// qaChat has a customer write, the agent answer with text and close.
func qaChat(t *testing.T, h *kit.Hub, ch kit.APIChannel, agent *kit.Client, sock *kit.Sock, cust, text string) string {
	t.Helper()
	if st, b := ch.Post(t, h.Base, map[string]any{"id": cust + "-m1", "type": "text", "text": "我要投诉，快递太慢了",
		"contact": map[string]any{"id": cust, "name": cust}}); st != 200 {
		t.Fatalf("post: %d %s", st, b)
	}
	ev := sock.WaitFor("conversation.assigned", 15*time.Second, nil)
	conv, _ := kit.Dig(ev, "data", "conversation", "id").(string)
	agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": text})
	agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{"reason": "solved"})
	return conv
}

func qaReviews(c *kit.Client, q string) []qaReview {
	c.T.Helper()
	var rs struct{ Reviews []qaReview }
	c.Must(200, "GET", "/api/v1/qa/reviews?"+q, nil).JSON(c.T, &rs)
	return rs.Reviews
}

func TestQualityInspection(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "zhang@kefu.test", "password": "agent-pass-1",
			"name": "张主管", "role": "supervisor"})
		sup := kit.Login(t, h.Base, "zhang@kefu.test", "agent-pass-1")
		supSock := sup.Dial(-1)
		adm.Must(200, "PUT", "/api/v1/qa/words", map[string]any{"words": []string{"滚", "Stupid"}})
		hook := kit.NewCallbackServer(t) // a compliance system subscribed to the alerts
		hook.SetSecret(adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL,
			"events": []string{"qa.sensitive_word"}}).Str("secret"))
		li, wang := adm.NewAgent("li@kefu.test", 5), adm.NewAgent("wang@kefu.test", 5)
		liID, wangID := li.MeID(), wang.MeID()
		custSide := kit.NewCallbackServer(t) // the API channel's callback: the customer's side
		ch := adm.NewAPIChannel(custSide.URL, nil)

		li.SetStatus("online")
		liSock := li.Dial(-1)
		liConv := qaChat(t, h, ch, li, liSock, "cust-1", "嫌慢就滚，STUPID")
		ev := supSock.WaitFor("qa.sensitive_word", 15*time.Second, nil)
		if kit.Dig(ev, "data", "agent_id") != liID || kit.Dig(ev, "conversation_id") != liConv {
			t.Errorf("alert event %v", ev)
		}
		if ms := li.Messages(liConv); len(ms) != 2 || ms[1].Text != "嫌慢就滚，STUPID" {
			t.Errorf("the message with sensitive words was not sent as written: %+v", ms)
		}
		kit.Eventually(t, 15*time.Second, "the alert reaches the webhook subscription", func() bool {
			for _, c := range hook.Received() {
				if c.OK && c.Body["type"] == "qa.sensitive_word" && kit.Dig(c.Body, "data", "agent_id") == liID {
					return true
				}
			}
			return false
		})
		li.SetStatus("offline")
		wang.SetStatus("online")
		wangConv := qaChat(t, h, ch, wang, wang.Dial(-1), "cust-2", "抱歉久等了，已为您催件")

		var al struct {
			Alerts []struct {
				AgentID string   `json:"agent_id"`
				Words   []string `json:"words"`
			}
		}
		sup.Must(200, "GET", "/api/v1/qa/alerts", nil).JSON(t, &al)
		if len(al.Alerts) != 1 || al.Alerts[0].AgentID != liID || len(al.Alerts[0].Words) != 2 {
			t.Errorf("alerts %+v", al.Alerts)
		}
		li.Must(403, "GET", "/api/v1/qa/alerts", nil)
		var liEvents struct{ Events []struct{ Type string } }
		li.Must(200, "GET", "/api/v1/events?after=0", nil).JSON(t, &liEvents)
		for _, e := range liEvents.Events {
			if e.Type == "qa.sensitive_word" {
				t.Error("the agent got the sensitive-word alert about themselves")
			}
		}

		tpl := sup.Must(201, "POST", "/api/v1/qa/templates", map[string]any{"name": "服务质检", "items": []any{
			map[string]any{"name": "解答准确", "max_points": 60, "deductions": []any{map[string]any{"label": "答错", "points": 20}}},
			map[string]any{"name": "服务态度", "max_points": 40, "deductions": []any{map[string]any{"label": "不耐烦", "points": 20}}},
			map[string]any{"name": "辱骂客户", "fatal": true}}})
		if qaNum(tpl, "max_score") != 100 {
			t.Errorf("template %s", tpl.Body)
		}
		li.Must(403, "POST", "/api/v1/qa/templates", map[string]any{"name": "x"})
		today := time.Now().In(shanghai(t)).Format("2006-01-02")
		rule := map[string]any{"template_id": tpl.Str("id"), "from": today, "to": today}
		rule["agent_ids"] = []string{wangID}
		if b := sup.Must(201, "POST", "/api/v1/qa/batches", rule); qaNum(b, "size") != 1 {
			t.Errorf("batch of wang's: %s", b.Body)
		}
		delete(rule, "agent_ids")
		rule["keywords"] = []string{"投诉"}
		if b := sup.Must(201, "POST", "/api/v1/qa/batches", rule); qaNum(b, "size") != 1 {
			t.Errorf("the rest: %s", b.Body) // wang's was drawn already
		}
		sup.Must(400, "POST", "/api/v1/qa/batches", rule)

		if rs := qaReviews(li, ""); len(rs) != 0 {
			t.Errorf("li sees pending reviews %+v", rs)
		}
		pending := qaReviews(sup, "tab=pending")
		var liRev, wangRev string
		for _, r := range pending {
			switch r.ConversationID {
			case liConv:
				liRev = r.ID
			case wangConv:
				wangRev = r.ID
			}
		}
		if len(pending) != 2 || liRev == "" || wangRev == "" {
			t.Fatalf("pending %+v", pending)
		}
		r := sup.Must(200, "POST", "/api/v1/qa/reviews/"+liRev+"/score", map[string]any{"comment": "辱骂客户",
			"items": []any{map[string]any{"item_id": "i3", "failed": true}}})
		if qaNum(r, "score") != 0 || r.Str("status") != "scored" {
			t.Errorf("fatal: %s", r.Body)
		}
		r = sup.Must(200, "POST", "/api/v1/qa/reviews/"+wangRev+"/score", map[string]any{
			"items": []any{map[string]any{"item_id": "i1", "deductions": []int{0}}}})
		if qaNum(r, "score") != 80 {
			t.Errorf("wang's score: %s", r.Body)
		}
		li.Must(403, "POST", "/api/v1/qa/reviews/"+liRev+"/score", map[string]any{})

		// each agent sees their own review, with the transcript, and nobody else's
		if rs := qaReviews(li, ""); len(rs) != 1 || rs[0].ID != liRev {
			t.Errorf("li lists %+v", rs)
		}
		li.Must(404, "GET", "/api/v1/qa/reviews/"+wangRev, nil)
		li.Must(404, "POST", "/api/v1/qa/reviews/"+wangRev+"/acknowledge", nil)
		var full qaReview
		li.Must(200, "GET", "/api/v1/qa/reviews/"+liRev, nil).JSON(t, &full)
		if full.Score == nil || *full.Score != 0 || !full.Fatal || len(full.Messages) != 2 || full.Template == nil ||
			full.Template.Name != "服务质检" {
			t.Errorf("li's review %+v", full)
		}
		li.Must(400, "POST", "/api/v1/qa/reviews/"+liRev+"/appeal", map[string]any{"reason": " "})
		li.Must(200, "POST", "/api/v1/qa/reviews/"+liRev+"/appeal", map[string]any{"reason": "客户先辱骂，我只是回应"})
		wang.Must(200, "POST", "/api/v1/qa/reviews/"+wangRev+"/acknowledge", nil)
		wang.Must(409, "POST", "/api/v1/qa/reviews/"+wangRev+"/appeal", map[string]any{"reason": "晚了"})
		if rs := qaReviews(sup, "tab=appealed"); len(rs) != 1 || rs[0].ID != liRev {
			t.Errorf("appealed %+v", rs)
		}
		if r := sup.Must(200, "POST", "/api/v1/qa/reviews/"+liRev+"/resolve", map[string]any{"score": 90, "note": "改判"}); r.Str("status") != "resolved" || qaNum(r, "score") != 90 {
			t.Errorf("resolved %s", r.Body)
		}

		var agents struct {
			Agents []struct {
				Key        string   `json:"key"`
				QAScoreAvg *float64 `json:"qa_score_avg"`
				QAReviews  int      `json:"qa_reviews"`
			}
		}
		sup.Must(200, "GET", "/api/v1/reports/agents?from="+today+"&to="+today, nil).JSON(t, &agents)
		want := map[string]float64{liID: 90, wangID: 80}
		for _, a := range agents.Agents {
			if w, ok := want[a.Key]; ok {
				if a.QAScoreAvg == nil || *a.QAScoreAvg != w || a.QAReviews != 1 {
					t.Errorf("agent %s: qa %v over %d, want %v over 1", a.Key, a.QAScoreAvg, a.QAReviews, w)
				}
				delete(want, a.Key)
			}
		}
		if len(want) != 0 {
			t.Errorf("agents missing from the report: %v", want)
		}

		// (by now, seconds later, it would have come)
		for _, c := range custSide.Received() {
			if c.Body["type"] == "qa.sensitive_word" {
				t.Errorf("the alert reached the channel's callback (the customer's side): %v", c.Body)
			}
		}
		entries := auditList(adm, url.Values{"action": {"qa_review"}}).Entries
		for _, w := range []struct{ action, target string }{{"qa_review.score", liRev}, {"qa_review.appeal", liRev},
			{"qa_review.resolve", liRev}, {"qa_review.acknowledge", wangRev}} {
			if find(entries, w.action, w.target) == nil {
				t.Errorf("no %s entry on %s", w.action, w.target)
			}
		}
	})
}

// qaNum is the number at a key of a JSON object body (-1 if none).
func qaNum(r kit.Resp, key string) int {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	v, ok := m[key].(float64)
	if !ok {
		return -1
	}
	return int(v)
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
