package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIQualityInspection: an agent sends a sensitive word and the
// supervisor gets the toast; the supervisor draws a batch, scores the
// closed conversation in the reviewer workbench (customer text inert), the
// agent appeals at 375 px, the supervisor resolves it; the agent report
// then shows the resolved QA score (workbench/ui/e2e/qa.mjs; screenshots).
func TestUIQualityInspection(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "sup-qa@kefu.test", "password": "agent-pass-1",
		"name": "组长", "role": "supervisor"})
	adm.Must(200, "PUT", "/api/v1/qa/words", map[string]any{"words": []string{"滚"}})
	adm.Must(201, "POST", "/api/v1/qa/templates", map[string]any{"name": "服务质检", "items": []any{
		map[string]any{"name": "解答准确", "max_points": 60, "deductions": []any{map[string]any{"label": "答错", "points": 20},
			map[string]any{"label": "不完整", "points": 10}}},
		map[string]any{"name": "服务态度", "max_points": 40, "deductions": []any{map[string]any{"label": "不耐烦", "points": 20}}},
		map[string]any{"name": "辱骂客户", "fatal": true}}})
	li := adm.NewAgent("li-qa@kefu.test", 5)
	liID := li.MeID()
	li.SetStatus("online")
	sock := li.Dial(-1)
	ch := adm.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	chat := func(cust, text string) string {
		if st, b := ch.Post(t, h.Base, map[string]any{"id": "m-" + cust, "type": "text", "text": text,
			"contact": map[string]any{"id": cust, "name": "顾客"}}); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		ev := sock.WaitFor("conversation.assigned", 15*time.Second, nil)
		conv, _ := kit.Dig(ev, "data", "conversation", "id").(string)
		return conv
	}
	closed := chat("cust-a", "<img src=x onerror=alert(1)>我要投诉，退款还没到")
	li.Must(201, "POST", "/api/v1/conversations/"+closed+"/messages", map[string]any{"content": "您好，退款三天内到账"})
	li.Must(200, "POST", "/api/v1/conversations/"+closed+"/close", map[string]any{"reason": "solved"})
	open := chat("cust-b", "在吗")

	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_SUP_EMAIL=sup-qa@kefu.test", "KEFU_AGENT_EMAIL=li-qa@kefu.test", "KEFU_AGENT_NAME=li-qa",
		"KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/qa.mjs")
	script.Await("sup-ready")
	li.Must(201, "POST", "/api/v1/conversations/"+open+"/messages", map[string]any{"content": "别烦我，滚"})
	script.Send(map[string]any{})
	script.Await("sup-console")
	li.Must(201, "POST", "/api/v1/conversations/"+open+"/messages", map[string]any{"content": "再问就滚"})
	script.Send(map[string]any{})
	script.Await("done")
	script.Finish()

	var rs struct {
		Reviews []struct {
			Status string
			Score  int
		}
	}
	adm.Must(200, "GET", "/api/v1/qa/reviews", nil).JSON(t, &rs)
	if len(rs.Reviews) != 1 || rs.Reviews[0].Status != "resolved" || rs.Reviews[0].Score != 90 {
		t.Errorf("reviews after the browser %+v", rs.Reviews)
	}
	var ts struct {
		Templates []struct {
			Name     string
			MaxScore int `json:"max_score"`
			Items    []struct {
				Fatal      bool
				Deductions []struct{ Label string }
			}
		}
	}
	adm.Must(200, "GET", "/api/v1/qa/templates", nil).JSON(t, &ts)
	made := ts.Templates[len(ts.Templates)-1]
	if len(ts.Templates) != 2 || made.Name != "简易质检" || made.MaxScore != 100 || len(made.Items) != 2 ||
		len(made.Items[0].Deductions) != 2 || made.Items[0].Deductions[1].Label != "未致谢" || !made.Items[1].Fatal {
		t.Errorf("the template made in the editor: %+v", ts.Templates)
	}
	var agents struct {
		Agents []struct {
			Key        string   `json:"key"`
			QAScoreAvg *float64 `json:"qa_score_avg"`
		}
	}
	adm.Must(200, "GET", "/api/v1/reports/agents", nil).JSON(t, &agents)
	for _, a := range agents.Agents {
		if a.Key == liID && (a.QAScoreAvg == nil || *a.QAScoreAvg != 90) {
			t.Errorf("li's QA score in the agent report: %v", a.QAScoreAvg)
		}
	}
}
