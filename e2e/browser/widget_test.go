package browser

// Browser test of the website chat widget (connectors/web/widget): headless
// Debian chromium driven by playwright-core (connectors/web/widget/e2e/
// widget.mjs) against a real hub, with the snippet on a host page served
// from another origin. On CI (CI=true) a missing chromium, node or widget
// build fails the test; on a laptop it skips and says what is missing.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/web"
	"github.com/kefu-hub/kefu/e2e/kit"
)

const widgetDir = "connectors/web/widget"

// needWidget fails on CI and skips elsewhere when the widget browser test
// cannot run.
func needWidget(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(kit.Path(t, "connectors/web/assets/dist/widget.js")); err != nil {
		missing = append(missing, "the built widget (make widget)")
	}
	kit.NeedBrowser(t, widgetDir, missing...)
}

// widgetSnippet is the channel's snippet pointed at this test hub (the
// snippet is built from KEFU_PUBLIC_URL, unknown before the hub listens).
var snippetSrc = regexp.MustCompile(`src="[^"]*/widget\.js"`)

func TestWidgetBrowser(t *testing.T) {
	t.Parallel()
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()

	// The hub must serve the bundles this test was built against.
	for _, f := range []string{"widget.js", "widget/chat.js"} {
		res, err := http.Get(h.Base + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		disk, _ := os.ReadFile(kit.Path(t, "connectors/web/assets/dist/"+filepath.Base(f)))
		if res.StatusCode != 200 || !bytes.Equal(body, disk) {
			t.Fatalf("GET /%s: %d, %d bytes; want the built bundle (%d bytes): rebuild the binary after make widget", f, res.StatusCode, len(body), len(disk))
		}
	}

	groupID := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"}).Str("id")
	agent := adm.NewAgent("web@kefu.test", 5, groupID)
	r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "web", "name": "官网", "config": map[string]any{
		"allowed_domains": []string{"127.0.0.1"}, "rating": true,
		"groups": []map[string]string{{"id": groupID, "label": "售前"}},
		"invite": map[string]any{"enabled": true, "after_seconds": 1, "max_times": 1, "decline_interval_seconds": 3600, "text": "需要帮助吗？"},
	}})
	chID := r.Str("id")
	// A second channel that requires Kefu.identify with a valid hash.
	r2 := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "web", "name": "会员中心", "config": map[string]any{
		"allowed_domains": []string{"127.0.0.1"}, "identity_required": true}})
	idCh, idSecret := r2.Str("id"), r2.Str("setup.identity_secret")
	if idSecret == "" {
		t.Fatalf("identity channel without setup.identity_secret: %s", r2.Body)
	}
	snippet := r.Str("setup.snippet")
	if !strings.Contains(snippet, `data-channel="`+chID+`"`) || !snippetSrc.MatchString(snippet) {
		t.Fatalf("setup.snippet = %q", snippet)
	}
	snippet = snippetSrc.ReplaceAllString(snippet, `src="`+h.Base+`/widget.js"`)

	// The host site: another origin (its own port), the snippet before </body>.
	// /member?hash=… is a logged-in page of the identity channel.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		snip, ident := snippet, ""
		if r.URL.Path == "/member" {
			snip = strings.Replace(snippet, `data-channel="`+chID+`"`, `data-channel="`+idCh+`"`, 1)
			h, _ := json.Marshal(r.URL.Query().Get("hash"))
			ident = `Kefu.q.push(['identify', {id: 'u-42', name: '张三', email: 'zhang@example.com', hash: ` + string(h) + `}]);`
		}
		fmt.Fprintf(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>某某科技 — 首页</title></head>
<body><h1>某某科技</h1><p>企业版价格与功能介绍。</p>
<script>window.Kefu = window.Kefu || {q: []}; Kefu.q.push(['on', 'ready', function () { window.__kefuReady = true }]); %s</script>
%s</body></html>`, ident, snip)
	}))
	defer site.Close()
	page := site.URL + "/pricing"
	badPage := strings.Replace(page, "127.0.0.1", "localhost", 1)

	shots := kit.ShotsDir(t)
	params, _ := json.Marshal(map[string]string{"hub": h.Base, "page": page, "badPage": badPage,
		"chatURL": h.Base + "/chat/" + chID, "channel": chID, "shots": shots, "idChannel": idCh,
		"memberPage":    site.URL + "/member?hash=" + web.IdentityHash(idSecret, "u-42"),
		"memberBadPage": site.URL + "/member?hash=" + web.IdentityHash("not-the-secret", "u-42")})
	script := kit.RunBrowserScript(t, widgetDir, 4*time.Minute, nil, "e2e/widget.mjs", string(params))
	type stepMsg struct {
		Step    string `json:"step"`
		Visitor *struct {
			ID string `json:"id"`
		} `json:"visitor"`
		Conv  string `json:"conv"`
		Shown []struct {
			Who, Text, ID, State string
		} `json:"shown"`
	}
	await := func(want string) stepMsg {
		t.Helper()
		var m stepMsg
		json.Unmarshal([]byte(script.Await(want)), &m)
		return m
	}
	reply := script.Send
	visitors := func() []map[string]any {
		var vs struct {
			Visitors []map[string]any `json:"visitors"`
		}
		agent.Must(200, "GET", "/api/v1/visitors?channel_id="+chID, nil).JSON(t, &vs)
		return vs.Visitors
	}
	messages := func(conv string) []map[string]any {
		var ms struct {
			Messages []map[string]any `json:"messages"`
		}
		agent.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil).JSON(t, &ms)
		return ms.Messages
	}

	// 1. offline: the leave-a-message form becomes a ticket
	st := await("left")
	if st.Visitor == nil || !strings.HasPrefix(st.Visitor.ID, "v_") {
		t.Fatalf("visitor after the first visit: %+v", st.Visitor)
	}
	visitorID := st.Visitor.ID
	kit.Eventually(t, 10*time.Second, "the left message is a ticket", func() bool {
		return strings.Contains(string(adm.Must(200, "GET", "/api/v1/tickets", nil).Body), "web-offline 请问企业版多少钱？")
	})
	reply(nil)

	// 2. the agent comes online; invites
	agent.SetStatus("online")
	s := agent.Dial(-1)
	await("agent-online")
	reply(nil)
	st = await("invite")
	if st.Visitor == nil || st.Visitor.ID != visitorID {
		t.Fatalf("visitor id changed across a reload: %+v, want %s", st.Visitor, visitorID)
	}
	agent.Must(202, "POST", "/api/v1/visitors/"+visitorID+"/invite", map[string]string{"text": "您好 web-invite，我是客服"})
	reply(nil)

	// 3. chat
	await("sent")
	ev := s.WaitFor("conversation.assigned", 15*time.Second, nil)
	conv, _ := kit.Dig(ev, "data", "conversation", "id").(string)
	if !strings.Contains(fmt.Sprint(kit.Dig(ev, "data", "messages")), "web-first 你好，我想咨询") {
		t.Fatalf("assigned event without the visitor's message: %v", ev)
	}
	agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "您好 web-reply，请问有什么可以帮您？"})
	reply(map[string]string{"conv": conv})

	await("typing")
	s.WaitFor("typing", 10*time.Second, func(f map[string]any) bool {
		p, _ := kit.Dig(f, "data", "preview").(string)
		return strings.HasPrefix(p, "web-typ")
	})
	reply(nil)

	await("xss")
	s.WaitFor("message.created", 10*time.Second, func(f map[string]any) bool {
		return kit.Dig(f, "data", "message", "text") == "<img src=x onerror=alert(1)> web-xss"
	})
	agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "<script>alert(2)</script> web-xss-reply"})
	reply(nil)

	// 4. the network cut: a reply sent meanwhile
	await("cut")
	agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "web-cut-reply 收到"})
	reply(nil)

	// the widget shows exactly the conversation's messages, each once
	for i := 0; i < 3; i++ { // after the reconnect, after the reload, after the second tab
		st = await("count")
		var want, got []string
		for _, m := range messages(conv) {
			if d := m["direction"]; d == "in" || d == "out" {
				if m["sender_type"] == "system" {
					continue
				}
				want = append(want, fmt.Sprint(m["sender_type"], ":", m["text"]))
			}
		}
		for _, m := range st.Shown {
			if m.Who != "system" && (m.State != "failed" || m.Text != "") { // a refused upload never reached the hub
				got = append(got, m.Who+":"+m.Text)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("count %d: the widget shows\n%s\nthe hub stored\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		reply(nil)
	}

	// 6. close → rating
	await("close")
	agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{"reason": "solved"})
	reply(nil)
	// The widget thanks the visitor only on the hub's {"type":"ack","rate":conv},
	// sent once the rating is stored.
	await("rated")
	var rated struct {
		Rating *struct {
			Score   int    `json:"score"`
			Comment string `json:"comment"`
		} `json:"rating"`
	}
	agent.Must(200, "GET", "/api/v1/conversations/"+conv, nil).JSON(t, &rated)
	if rated.Rating == nil || rated.Rating.Score != 5 || rated.Rating.Comment != "web-rating 很满意" {
		t.Fatalf("the conversation's rating after the widget rated it: %+v", rated.Rating)
	}
	reply(nil)

	// proactive chat (主动对话): the agent starts a conversation with the visitor
	await("proactive")
	agent.Must(201, "POST", "/api/v1/visitors/"+visitorID+"/chat", map[string]string{"text": "您好 web-proactive，需要帮忙吗？"})
	reply(nil)
	await("proactive-shown")
	reply(nil)

	// 7. the direct chat page on a phone
	st = await("mobile")
	if st.Visitor == nil || st.Visitor.ID == visitorID {
		t.Fatalf("direct page visitor: %+v", st.Visitor)
	}
	s.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
		return strings.Contains(fmt.Sprint(kit.Dig(f, "data", "messages")), "web-mobile 手机上咨询")
	})
	before := len(visitors())
	reply(nil)

	// 8. a foreign site: refused, no visitor
	await("refused")
	if n := len(visitors()); n != before {
		t.Fatalf("visitors: %d after a foreign site loaded the widget, want %d", n, before)
	}
	reply(nil)

	// 9. Kefu.identify on a channel that requires it: the right hash chats
	// as the known user, a wrong one is refused.
	await("identified")
	ev = s.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
		return strings.Contains(fmt.Sprint(kit.Dig(f, "data", "messages")), "web-identified")
	})
	if c := fmt.Sprint(kit.Dig(ev, "data", "conversation")); !strings.Contains(c, "张三") && !strings.Contains(c, "u:u-42") {
		t.Fatalf("the identified visitor's conversation does not name the user: %s", c)
	}
	reply(nil)
	await("identity-refused")
	reply(nil)

	await("done")
	reply(nil)
	script.Finish()
	if shots != "" {
		t.Logf("screenshots in %s", shots)
	}
}

// The widget when the hub holds visitors back: a socket refused by the
// per-address cap (close 4429) shows 「当前咨询人数较多，稍后将自动为您重新连接」
// with the chat still on screen, and a first message refused by the
// channel's conversation caps shows 「当前咨询人数较多，请稍后再试」. A
// rating the hub refuses (a reason taken off the list after the page
// loaded) shows 「出错了，请稍后再试」, not the hub's English reason, stores
// nothing, and the visitor's second try is stored. Asked again by the
// agent, the same visitor (a new tab) is refused a second rating: the
// form reads 「已评价」 with no 提交 left, and the first rating stays.
func TestWidgetBusyBrowser(t *testing.T) {
	t.Parallel()
	needWidget(t)
	e := kit.NewEnv(t, kit.Embedded)
	e.Vars["KEFU_VISITOR_SOCKETS_PER_ADDR"] = "1"
	h := e.Start()
	adm := h.Admin()
	agent := adm.NewAgent("busy@kefu.test", 5)
	agent.SetStatus("online")
	busyCh, _ := adm.NewWebChannel(map[string]any{})
	capsCh, _ := adm.NewWebChannel(map[string]any{"limits": map[string]any{"open_per_address": 1}, "rating": true})

	// A visitor of this address opens a conversation on the capped channel.
	v, _, err := kit.DialVisitor(t, h.Base, capsCh, kit.VisitorOpts{})
	if err != nil {
		t.Fatal(err)
	}
	v.Say("caps-1", "第一位访客")
	v.WaitFor("conversation", 10*time.Second, nil)
	v.Conn.Close()
	// Then one holds the address's only socket.
	var holder *kit.Visitor
	hold := func() bool {
		s, w, err := kit.DialVisitor(t, h.Base, busyCh, kit.VisitorOpts{})
		if err == nil && w["type"] == "welcome" {
			holder = s
			return true
		}
		if s != nil {
			s.Conn.Close()
		}
		return false
	}
	// Each try is a socket connection from this address, and the hub lets
	// an address open 60 at once, then 2 a second: tries every half second
	// leave the browser's own connection one (polling faster on a loaded
	// box spent them all, and the widget was refused as rate limited).
	holdSoon := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !hold(); time.Sleep(500 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not within 20 s: %s", what)
			}
		}
	}
	holdSoon("the address's socket is free for the holder")

	params, _ := json.Marshal(map[string]string{"busyChat": h.Base + "/chat/" + busyCh, "capsChat": h.Base + "/chat/" + capsCh,
		"shots": kit.ShotsDir(t)})
	script := kit.RunBrowserScript(t, widgetDir, 2*time.Minute, nil, "e2e/busy.mjs", string(params))
	script.Await("busy")
	holder.Conn.Close()
	holdSoon("the holder's socket is given back")
	holder.Conn.Close()
	script.Send(nil)
	script.Await("caps")
	var list struct {
		Conversations []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
	}
	adm.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &list)
	if len(list.Conversations) != 1 {
		t.Fatalf("%d conversations, want only the first visitor's", len(list.Conversations))
	}
	first := list.Conversations[0].ID
	agent.Must(200, "POST", "/api/v1/conversations/"+first+"/close", map[string]any{"reason": "solved"})
	script.Send(nil)

	script.Await("opened")
	var conv string
	// open: assigned to the agent, who may then close it (while it is still
	// queued the agent does not see it: 404)
	kit.Eventually(t, 15*time.Second, "the browser visitor's conversation is assigned", func() bool {
		adm.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &list)
		for _, c := range list.Conversations {
			if c.ID != first && c.Status == "open" {
				conv = c.ID
			}
		}
		return conv != ""
	})
	st := adm.Must(200, "GET", "/api/v1/ratings/settings", nil).JSONMap(t)
	st["levels"] = []map[string]any{{"score": 5, "label": "非常满意"}, {"score": 4, "label": "满意"}, {"score": 3, "label": "一般"},
		{"score": 2, "label": "不满意", "reasons": []string{"问题未解决"}}, {"score": 1, "label": "非常不满意"}}
	adm.Must(200, "PUT", "/api/v1/ratings/settings", st)
	agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{"reason": "solved"})
	script.Send(nil)

	script.Await("rated")
	var rated struct {
		Rating *struct {
			Score   int      `json:"score"`
			Reasons []string `json:"reasons"`
		} `json:"rating"`
	}
	adm.Must(200, "GET", "/api/v1/conversations/"+conv, nil).JSON(t, &rated)
	// (had the refused rating been stored, the second try would have been
	// refused as a change: the tenant allows none)
	if rated.Rating == nil || rated.Rating.Score != 2 || len(rated.Rating.Reasons) != 0 {
		t.Errorf("stored rating %+v, want the second try's: 2 without reasons", rated.Rating)
	}
	script.Send(nil)
	script.Await("asked-again")
	agent.Must(202, "POST", "/api/v1/conversations/"+conv+"/rating-request", nil)
	script.Send(nil)
	script.Await("already-rated")
	adm.Must(200, "GET", "/api/v1/conversations/"+conv, nil).JSON(t, &rated)
	if rated.Rating == nil || rated.Rating.Score != 2 {
		t.Errorf("stored rating %+v after the refused second one, want the first: 2", rated.Rating)
	}
	script.Send(nil)
	script.Finish()
}

// A transfer made while the visitor's socket is down sends its 「… 为您服务」
// to no socket: once the widget is back, the visitor is told who serves
// them now (once), and the header names the new agent.
func TestWidgetReconnectBrowser(t *testing.T) {
	t.Parallel()
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	wang := adm.NewAgent("wang@kefu.test", 5)
	wang.SetStatus("online")
	li := adm.NewAgent("li@kefu.test", 5)
	ch, _ := adm.NewWebChannel(map[string]any{})

	params, _ := json.Marshal(map[string]string{"chat": h.Base + "/chat/" + ch, "shots": kit.ShotsDir(t)})
	script := kit.RunBrowserScript(t, widgetDir, 2*time.Minute, nil, "e2e/reconnect.mjs", string(params))
	script.Await("sent")
	var convID string
	kit.Eventually(t, 15*time.Second, "the visitor's conversation is assigned to wang", func() bool {
		var list struct {
			Conversations []struct {
				ID         string  `json:"id"`
				AssigneeID *string `json:"assignee_id"`
			}
		}
		wang.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &list)
		if len(list.Conversations) == 1 && list.Conversations[0].AssigneeID != nil {
			convID = list.Conversations[0].ID
		}
		return convID != ""
	})
	script.Send(map[string]string{"name": "wang"})
	script.Await("offline")
	li.SetStatus("online")
	adm.Must(200, "POST", "/api/v1/conversations/"+convID+"/transfer", map[string]string{"agent_id": li.MeID()})
	script.Send(map[string]string{"name": "li"})
	script.Await("told")
	script.Send(nil)
	script.Finish()
}
