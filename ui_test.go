package main

// Browser test of the agent workbench (workbench/ui): headless Debian
// chromium driven by playwright-core (workbench/ui/e2e/workbench.mjs)
// against a real hub. On CI (CI=true) a missing chromium, node or UI build
// fails the test; on a laptop it skips and says what is missing.

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/workbench"
)

const uiChromium = "/usr/bin/chromium"

// needUI fails on CI and skips elsewhere when the browser test cannot run.
func needUI(t *testing.T) {
	t.Helper()
	var missing []string
	if !workbench.UIBuilt() {
		missing = append(missing, "the built UI (make build)")
	}
	needBrowser(t, "workbench/ui", missing...)
}

// needBrowser fails on CI (CI=true) and skips elsewhere when a browser test
// cannot run: Debian chromium, node and playwright-core under nodeDir, and
// whatever else the caller found missing.
func needBrowser(t *testing.T, nodeDir string, missing ...string) {
	t.Helper()
	if _, err := os.Stat(uiChromium); err != nil {
		missing = append(missing, uiChromium+" (apt-get install -y chromium)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(nodeDir + "/node_modules/playwright-core"); err != nil {
		missing = append(missing, nodeDir+"/node_modules (npm ci there, or make)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "browser test needs: " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// The hub serves the UI at / with a strict CSP, and /api/* stays JSON.
func TestUIServed(t *testing.T) {
	h := newEnv(t, mode{name: "embedded"}).start()
	get := func(path string) (*http.Response, string) {
		res, err := http.Get(h.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, p := range []string{"/", "/conversations/cv_1", "/console", "/console/agents"} {
		res, body := get(p)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html") {
			t.Fatalf("GET %s: %d %s %.200s", p, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("GET %s: CSP %q", p, csp)
		}
	}
	for _, p := range []string{"/api/v1/nope", "/webhooks/nope", "/missing.js"} {
		res, body := get(p)
		if res.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Fatalf("GET %s: %d %.200s", p, res.StatusCode, body)
		}
	}
}

// TestUIWorkbenchBrowser walks issue 5's list in a real browser: the admin
// creates two agents, a shared canned reply and an API channel in the
// console; a customer message sent through that channel arrives live; the
// agent answers with the canned reply; hostile text renders as text; a cut
// websocket resumes with no gap and no duplicate; the agent transfers to the
// second agent, who sees the history and closes the conversation.
func TestUIWorkbenchBrowser(t *testing.T) {
	needUI(t)
	h := newEnv(t, mode{name: "embedded"}).start()
	adm := h.admin()
	adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})

	shots, _ := filepath.Abs(filepath.Join("testdata", "ui-output"))
	script := runBrowserScript(t, "workbench/ui", 4*time.Minute, []string{"KEFU_BASE=" + h.base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + shots}, "e2e/workbench.mjs")
	await, send := script.args, script.send

	// The channel the admin created in the console, as the integrator got it.
	args := await("channel")
	if len(args) != 2 {
		t.Fatalf("channel step: %v", args)
	}
	ch := apiChannel{ID: args[0], Secret: args[1]}
	var agents struct {
		Agents []struct{ ID, Email, Name, Role string } `json:"agents"`
	}
	adm.must(200, "GET", "/api/v1/agents", nil).json(t, &agents)
	ids := map[string]string{}
	for _, a := range agents.Agents {
		ids[a.Email] = a.ID
	}
	if ids["ui@kefu.test"] == "" || ids["ui2@kefu.test"] == "" {
		t.Fatalf("agents created in the console: %+v", agents)
	}
	post := func(id, name, text string) {
		t.Helper()
		body := textMsg(id, "c-ui", text)
		body["contact"] = map[string]any{"id": "c-ui", "name": name}
		if st, b := ch.post(t, h.base, body); st/100 != 2 {
			t.Fatalf("post customer message: %d %s", st, b)
		}
	}

	await("online")
	agent := login(t, h.base, "ui@kefu.test", "agent-pass-1")
	if s := agent.must(200, "GET", "/api/v1/me", nil).str("status"); s != "online" {
		t.Fatalf("status after the UI switched it: %q", s)
	}
	hostileName := `<img src=x onerror=alert(2)>{{7*7}}`
	post("m1", hostileName, "你好，我想退货 ui-first")
	send(map[string]string{"text": "ui-first"})
	await("replied")

	var cs struct {
		Conversations []struct{ ID string } `json:"conversations"`
	}
	agent.must(200, "GET", "/api/v1/conversations", nil).json(t, &cs)
	if len(cs.Conversations) != 1 {
		t.Fatalf("conversations: %+v", cs)
	}
	convID := cs.Conversations[0].ID
	var ms struct {
		Messages []struct{ Direction, Text string } `json:"messages"`
	}
	agent.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).json(t, &ms)
	if n := len(ms.Messages); n < 2 || ms.Messages[n-1].Direction != "out" || ms.Messages[n-1].Text != "您好，请提供订单号 ui-reply" {
		t.Fatalf("messages after the UI replied with the canned reply: %+v", ms)
	}

	evil := `ui-evil <img src=x onerror=alert(1)> {{constructor.constructor('alert(1)')()}} <script>alert(3)</script>`
	post("m2", hostileName, evil)
	send(map[string]string{"marker": "ui-evil", "text": evil, "name": hostileName})
	await("cut")
	post("m3", hostileName, "断线期间的消息 ui-missed")
	eventually(t, 10*time.Second, "the missed message is stored", func() bool {
		agent.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).json(t, &ms)
		return len(ms.Messages) > 0 && ms.Messages[len(ms.Messages)-1].Text == "断线期间的消息 ui-missed"
	})
	send(map[string]any{"text": "ui-missed", "count": len(ms.Messages)})
	await("busy")
	body := textMsg("m-q", "c-queue", "排队中的客户 ui-queued")
	body["contact"] = map[string]any{"id": "c-queue", "name": "Customer c-queue"}
	if st, b := ch.post(t, h.base, body); st/100 != 2 {
		t.Fatalf("post customer message: %d %s", st, b)
	}
	eventually(t, 10*time.Second, "the busy agent's customer waits in the queue", func() bool {
		var q struct {
			Queue []struct{ ID string } `json:"queue"`
		}
		adm.must(200, "GET", "/api/v1/queue", nil).json(t, &q)
		return len(q.Queue) == 1
	})
	send(map[string]string{"text": "ui-queued"})
	await("offline")
	body = textMsg("m-t", "c-ticket", "没人在吗？我要开发票 ui-ticket")
	if st, b := ch.post(t, h.base, body); st/100 != 2 {
		t.Fatalf("post customer message: %d %s", st, b)
	}
	send(map[string]string{"text": "ui-ticket"})
	await("hidden")
	body = textMsg("m-n", "c-notify", "有人吗 ui-notify")
	if st, b := ch.post(t, h.base, body); st/100 != 2 {
		t.Fatalf("post customer message: %d %s", st, b)
	}
	send(map[string]string{"text": "ui-notify"})
	await("done")
	script.finish()
	c := adm.must(200, "GET", "/api/v1/conversations/"+convID, nil)
	if st, who := c.str("status"), c.str("assignee_id"); st != "closed" || who != ids["ui2@kefu.test"] {
		t.Fatalf("after the transfer and close in the UI: status %q, assignee %q (want closed by %s)", st, who, ids["ui2@kefu.test"])
	}
	if c.str("category_id") == "" {
		t.Fatalf("closed without the category chosen in the UI: %s", c.body)
	}
	adm.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).json(t, &ms)
	noted := false
	for _, m := range ms.Messages {
		noted = noted || (m.Direction == "internal" && strings.Contains(m.Text, "ui-note"))
	}
	if !noted {
		t.Fatalf("the internal note added in the UI is not stored: %+v", ms.Messages)
	}
	var gs struct {
		Groups []struct {
			ID, Name string
			Settings struct {
				Policy          string `json:"policy"`
				OverflowGroupID string `json:"overflow_group_id"`
				BusinessHours   *struct {
					Weekly []struct{ From, To string } `json:"weekly"`
				} `json:"business_hours"`
			} `json:"settings"`
		} `json:"groups"`
	}
	adm.must(200, "GET", "/api/v1/groups", nil).json(t, &gs)
	byName := map[string]int{}
	for i, g := range gs.Groups {
		byName[g.Name] = i
	}
	if i, ok := byName["售后"]; !ok || gs.Groups[i].Settings.Policy != "round_robin" ||
		gs.Groups[i].Settings.OverflowGroupID != gs.Groups[byName["售前"]].ID ||
		gs.Groups[i].Settings.BusinessHours == nil || len(gs.Groups[i].Settings.BusinessHours.Weekly) != 1 {
		t.Fatalf("the group created in the console: %+v", gs)
	}
	var rules struct {
		Rules []struct {
			Name    string
			Targets []struct {
				GroupID string `json:"group_id"`
			} `json:"targets"`
		} `json:"rules"`
	}
	adm.must(200, "GET", "/api/v1/routing/rules", nil).json(t, &rules)
	if len(rules.Rules) != 1 || rules.Rules[0].Name != "发票 → 售后" || len(rules.Rules[0].Targets) != 1 {
		t.Fatalf("the routing rule created in the console: %+v", rules)
	}
	if g := adm.must(200, "GET", "/api/v1/automations", nil); g.str("effective.greeting.text") != "您好，欢迎咨询 ui-greeting" {
		t.Fatalf("the greeting saved in the console: %s", g.body)
	}
	var tks struct {
		Tickets []struct{ Status, Subject string } `json:"tickets"`
	}
	adm.must(200, "GET", "/api/v1/tickets?status=solved", nil).json(t, &tks)
	if len(tks.Tickets) != 1 {
		t.Fatalf("the ticket solved in the UI: %+v", tks)
	}
	t.Logf("screenshots in %s", shots)
}

// TestUIWechatReplyWindow: for a WeChat customer the composer shows the
// reply window counting down (48 h, 5 replies) and, once the 5 replies are
// used, is disabled and says why.
func TestUIWechatReplyWindow(t *testing.T) {
	needUI(t)
	_, h, adm, fake := wechatHub(t, mode{name: "embedded"})
	agent := adm.newAgent("ui-wx@kefu.test", 5)
	app := fake.NewApp("safe") // the account on WeChat's side; the admin binds it in the console

	shots, _ := filepath.Abs(filepath.Join("testdata", "ui-output"))
	script := runBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.base,
		"KEFU_EMAIL=ui-wx@kefu.test", "KEFU_PASSWORD=agent-pass-1", "KEFU_ADMIN_EMAIL=admin@kefu.test",
		"KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_WX_APPID=" + app.AppID, "KEFU_WX_SECRET=" + app.Secret,
		"KEFU_SHOTS=" + shots}, "e2e/wechat.mjs")
	await := script.args

	// What the console showed is what the admin pastes into WeChat.
	args := await("wechat")
	if len(args) != 3 {
		t.Fatalf("wechat step: %v", args)
	}
	app.Token, app.AESKey = args[1], args[2]
	fake.AddApp(app)
	wx := wxChannel{ID: args[0], URL: h.base + "/webhooks/wechat/" + args[0], App: app}
	await("online")
	user := "oUI_" + randHex(6)
	wx.mustPush(t, wechattest.Text(user, "在吗？ wx-first", nextMsgID()))
	script.send(map[string]string{"text": "wx-first"})
	await("done")
	script.finish()
	convID := agent.conversationOf(user, 5*time.Second)["id"].(string)
	if r := agent.do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第 6 条"}); r.status != 409 {
		t.Fatalf("a 6th reply after the UI used the quota: %d %s, want 409", r.status, r.body)
	}
}

// syncBuf is a strings.Builder safe for the reader goroutine and os/exec.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
