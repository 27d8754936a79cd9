package main

// Admin console, part B (issue 5): TOTP two-factor login, agent
// administration, the live monitor, ticket filters / visibility / replies,
// and webhook subscriptions — driven over real HTTP against real hubs.

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/workbench"
)

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := identity.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// otherCode is a well-formed code that is not the right one at any step
// near now.
func otherCode(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[totpCode(t, secret, now.Add(d))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

func loginWith(c *client, email, password, code string) resp {
	body := map[string]string{"email": email, "password": password}
	if code != "" {
		body["totp"] = code
	}
	return c.do("POST", "/api/v1/auth/login", body)
}

func TestTOTPLogin(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		ag := adm.newAgent("totp@kefu.test", 5)
		anon := &client{t: t, base: h.base}

		setup := ag.must(200, "POST", "/api/v1/me/totp/setup", nil)
		secret := setup.str("secret")
		if secret == "" || !strings.HasPrefix(setup.str("otpauth_url"), "otpauth://totp/") {
			t.Fatalf("setup: %s", setup.body)
		}
		// Pending until confirmed: logging in still needs no code.
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", ""); r.status != 200 {
			t.Fatalf("login with a pending secret: %d %s", r.status, r.body)
		}
		if r := ag.do("POST", "/api/v1/me/totp/enable", map[string]string{"code": otherCode(t, secret)}); r.status != 400 || r.str("error.code") != "totp_invalid" {
			t.Fatalf("enable with a wrong code: %d %s", r.status, r.body)
		}
		// Codes of three steps in a row: enable, log in, disable (each is spent once).
		ag.must(200, "POST", "/api/v1/me/totp/enable", map[string]string{"code": totpCode(t, secret, time.Now().Add(-30*time.Second))})
		var me hub.Agent
		ag.must(200, "GET", "/api/v1/me", nil).json(t, &me)
		if !me.TOTPEnabled {
			t.Fatalf("me after enable: %+v", me)
		}

		for _, c := range []struct{ code, want string }{{"", "totp_required"}, {otherCode(t, secret), "totp_invalid"}} {
			r := loginWith(anon, "totp@kefu.test", "agent-pass-1", c.code)
			if r.status != 401 || r.str("error.code") != c.want || r.str("token") != "" {
				t.Fatalf("login with code %q: %d %s, want 401 %s and no token", c.code, r.status, r.body, c.want)
			}
		}
		// A wrong password says nothing about TOTP.
		if r := loginWith(anon, "totp@kefu.test", "wrong-pass-1", ""); r.status != 401 || r.str("error.code") != "unauthorized" {
			t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
		code := totpCode(t, secret, time.Now())
		r := loginWith(anon, "totp@kefu.test", "agent-pass-1", code)
		if r.status != 200 || r.str("token") == "" {
			t.Fatalf("login with the code: %d %s", r.status, r.body)
		}
		sess := &client{t: t, base: h.base, token: r.str("token")}
		sess.must(200, "GET", "/api/v1/conversations", nil)
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", code); r.status != 401 || r.str("error.code") != "totp_invalid" {
			t.Fatalf("replayed code: %d %s, want 401 totp_invalid", r.status, r.body)
		}
		sess.must(409, "POST", "/api/v1/me/totp/setup", nil) // enabled: disable first
		sess.must(200, "POST", "/api/v1/me/totp/disable", map[string]string{"code": totpCode(t, secret, time.Now().Add(30*time.Second))})
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", ""); r.status != 200 {
			t.Fatalf("login after disable: %d %s", r.status, r.body)
		}

		// Required by the admin but not set up: the session may only set it up.
		req := adm.newAgent("req@kefu.test", 5)
		adm.must(200, "PATCH", "/api/v1/agents/"+req.meID(), map[string]any{"require_totp": true})
		r = loginWith(anon, "req@kefu.test", "agent-pass-1", "")
		if r.status != 200 || !strings.Contains(string(r.body), `"totp_setup_required":true`) {
			t.Fatalf("login of an agent who must set up TOTP: %d %s", r.status, r.body)
		}
		limited := &client{t: t, base: h.base, token: r.str("token")}
		for _, p := range []string{"/api/v1/conversations", "/api/v1/tickets", "/api/v1/agents"} {
			if got := limited.do("GET", p, nil); got.status != 403 || got.str("error.code") != "totp_setup_required" {
				t.Fatalf("GET %s before setup: %d %s, want 403 totp_setup_required", p, got.status, got.body)
			}
		}
		if me := limited.must(200, "GET", "/api/v1/me", nil); !strings.Contains(string(me.body), `"totp_setup_required":true`) {
			t.Fatalf("GET /me of a session that must set up TOTP: %s", me.body)
		}
		sec2 := limited.must(200, "POST", "/api/v1/me/totp/setup", nil).str("secret")
		limited.must(200, "POST", "/api/v1/me/totp/enable", map[string]string{"code": totpCode(t, sec2, time.Now())})
		limited.must(200, "GET", "/api/v1/conversations", nil) // set up: the same session may work now
		if got := limited.do("POST", "/api/v1/me/totp/disable", map[string]string{"code": totpCode(t, sec2, time.Now().Add(30*time.Second))}); got.status != 403 {
			t.Fatalf("disable while required: %d %s, want 403", got.status, got.body)
		}

		// Tenant-wide: every agent without TOTP is asked at next login (the
		// admin's own session too); API tokens are credentials of their own.
		tok := adm.must(201, "POST", "/api/v1/api-tokens", map[string]any{"name": "ops"}).str("token")
		api := &client{t: t, base: h.base, token: tok}
		adm.must(200, "PUT", "/api/v1/settings", map[string]any{"require_totp": true})
		if got := adm.do("GET", "/api/v1/channels", nil); got.status != 403 || got.str("error.code") != "totp_setup_required" {
			t.Fatalf("the admin's session after requiring TOTP tenant-wide: %d %s", got.status, got.body)
		}
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", ""); !strings.Contains(string(r.body), `"totp_setup_required":true`) {
			t.Fatalf("login after tenant-wide requirement: %d %s", r.status, r.body)
		}
		var st struct {
			RequireTOTP bool   `json:"require_totp"`
			Timezone    string `json:"timezone"`
		}
		api.must(200, "GET", "/api/v1/settings", nil).json(t, &st)
		if !st.RequireTOTP || st.Timezone != "Asia/Shanghai" {
			t.Fatalf("settings %+v", st)
		}
		api.must(400, "PUT", "/api/v1/settings", map[string]any{"timezone": "Mars/Olympus"})
		api.must(200, "PUT", "/api/v1/settings", map[string]any{"require_totp": false})
		adm.must(200, "GET", "/api/v1/channels", nil)

		// Guessing is cut short: after 5 wrong codes even the right one waits.
		wrong := otherCode(t, sec2)
		for i := 0; i < 5; i++ {
			if r := loginWith(anon, "req@kefu.test", "agent-pass-1", wrong); r.status != 401 {
				t.Fatalf("wrong code %d: %d %s", i, r.status, r.body)
			}
		}
		if r := loginWith(anon, "req@kefu.test", "agent-pass-1", totpCode(t, sec2, time.Now().Add(30*time.Second))); r.status != 429 || r.str("error.code") != "totp_locked" {
			t.Fatalf("the right code after 5 wrong ones: %d %s, want 429 totp_locked", r.status, r.body)
		}
	})
}

type agentView struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Disabled     bool   `json:"disabled"`
	CurrentChats int    `json:"current_chats"`
	Role         string `json:"role"`
	EmployeeNo   string `json:"employee_no"`
	RequireTOTP  bool   `json:"require_totp"`
}

type convView struct {
	Status     string  `json:"status"`
	AssigneeID *string `json:"assignee_id"`
}

// Disabling an agent logs them out and requeues their open conversations,
// which go to the next free agent; a password reset ends old sessions.
func TestDisableAgentAndResetPassword(t *testing.T) {
	defer func(d time.Duration) { workbench.SessionRecheck = d }(workbench.SessionRecheck)
	workbench.SessionRecheck = time.Second
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		ch := adm.newAPIChannel("", nil)
		first := adm.newAgent("first@kefu.test", 5)
		firstID := first.meID()
		first.setStatus("online")
		sock := first.dial(-1)
		if st, b := ch.post(t, h.base, textMsg("d-1", "cust-d", "在吗")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		convID, _ := dig(sock.waitFor("conversation.assigned", 15*time.Second, nil), "conversation_id").(string)
		second := adm.newAgent("second@kefu.test", 5)
		secondID := second.meID()
		second.setStatus("online")

		adm.must(400, "PATCH", "/api/v1/agents/"+adm.meID(), map[string]any{"disabled": true}) // not yourself
		var a agentView
		adm.must(200, "PATCH", "/api/v1/agents/"+firstID, map[string]any{"disabled": true, "employee_no": "KF-007",
			"role": "supervisor", "require_totp": true}).json(t, &a)
		if !a.Disabled || a.Status != "offline" || a.CurrentChats != 0 || a.EmployeeNo != "KF-007" || a.Role != "supervisor" || !a.RequireTOTP {
			t.Fatalf("disabled agent %+v", a)
		}
		if got := first.do("GET", "/api/v1/me", nil); got.status != 401 {
			t.Fatalf("a disabled agent's session: %d, want 401", got.status)
		}
		// Their open socket ends too (the session is rechecked; shortened here).
		select {
		case _, open := <-sock.frames:
			for open {
				_, open = <-sock.frames
			}
			if err := <-sock.errc; !strings.Contains(err.Error(), "4401") {
				t.Fatalf("the disabled agent's socket ended with %v, want 4401", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the disabled agent's socket is still open")
		}
		if r := loginWith(&client{t: t, base: h.base}, "first@kefu.test", "agent-pass-1", ""); r.status != 401 {
			t.Fatalf("a disabled agent logs in: %d", r.status)
		}
		eventually(t, 15*time.Second, "the disabled agent's conversation goes to the other agent", func() bool {
			var c convView
			adm.must(200, "GET", "/api/v1/conversations/"+convID, nil).json(t, &c)
			return c.Status == "open" && c.AssigneeID != nil && *c.AssigneeID == secondID
		})

		pw := adm.must(200, "POST", "/api/v1/agents/"+secondID+"/reset-password", nil).str("password")
		if len(pw) < 12 {
			t.Fatalf("generated password %q", pw)
		}
		if got := second.do("GET", "/api/v1/me", nil); got.status != 401 {
			t.Fatalf("a session after a password reset: %d, want 401", got.status)
		}
		if r := loginWith(&client{t: t, base: h.base}, "second@kefu.test", "agent-pass-1", ""); r.status != 401 {
			t.Fatalf("the old password still works: %d", r.status)
		}
		again := login(t, h.base, "second@kefu.test", pw)
		adm.must(404, "POST", "/api/v1/agents/ag_nobody/reset-password", nil)
		if got := again.do("POST", "/api/v1/agents/"+firstID+"/reset-password", nil); got.status != 403 {
			t.Fatalf("a plain agent resets a password: %d", got.status)
		}
	})
}

type monitorView struct {
	Agents []struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		CurrentChats int    `json:"current_chats"`
		MaxChats     int    `json:"max_chats"`
		ChatsToday   int    `json:"chats_today"`
	} `json:"agents"`
	Queue struct {
		Length             int   `json:"length"`
		LongestWaitSeconds int64 `json:"longest_wait_seconds"`
	} `json:"queue"`
	Tickets struct {
		Open int `json:"open"`
	} `json:"tickets"`
}

func TestLiveMonitor(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		ch := adm.newAPIChannel("", nil)
		one := adm.newAgent("one@kefu.test", 1)
		oneID := one.meID()
		idle := adm.newAgent("idle@kefu.test", 3)
		idleID := idle.meID()
		idle.setStatus("busy")
		one.setStatus("online")
		sock := one.dial(-1)
		ch.post(t, h.base, textMsg("mon-1", "cust-1", "一"))
		sock.waitFor("conversation.assigned", 15*time.Second, nil)
		ch.post(t, h.base, textMsg("mon-2", "cust-2", "二")) // one is full: it waits
		var mv monitorView
		eventually(t, 15*time.Second, "the second conversation waits in the queue", func() bool {
			adm.must(200, "GET", "/api/v1/monitor", nil).json(t, &mv)
			return mv.Queue.Length == 1
		})
		time.Sleep(1100 * time.Millisecond)
		adm.must(200, "GET", "/api/v1/monitor", nil).json(t, &mv)
		got := map[string]string{}
		for _, a := range mv.Agents {
			got[a.ID] = strings.Join([]string{a.Status, strconv.Itoa(a.CurrentChats), strconv.Itoa(a.MaxChats), strconv.Itoa(a.ChatsToday)}, "/")
		}
		if got[oneID] != "online/1/1/1" || got[idleID] != "busy/0/3/0" {
			t.Fatalf("monitor agents %v (status/current/max/today)", got)
		}
		if mv.Queue.Length != 1 || mv.Queue.LongestWaitSeconds < 1 || mv.Tickets.Open != 0 {
			t.Fatalf("monitor queue %+v tickets %+v", mv.Queue, mv.Tickets)
		}
		if r := one.do("GET", "/api/v1/monitor", nil); r.status != 403 {
			t.Fatalf("a plain agent reads the monitor: %d", r.status)
		}
		adm.must(201, "POST", "/api/v1/agents", map[string]any{"email": "sup@kefu.test", "password": "agent-pass-1", "role": "supervisor"})
		login(t, h.base, "sup@kefu.test", "agent-pass-1").must(200, "GET", "/api/v1/monitor", nil)
	})
}

// Tickets: filters, what a plain agent sees, replies that reach the customer
// through the API channel's callback (also once the conversation is closed),
// and internal comments that never do.
func TestTicketFiltersVisibilityAndReply(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		cb := newCallbackServer(t)
		chA := adm.newAPIChannel(cb.URL, nil)
		chB := adm.newAPIChannel(cb.URL, map[string]any{"name": "other"})
		cb.secret = func() string { return chA.Secret } // replies below go through channel A
		ag1 := adm.newAgent("t1@kefu.test", 5)          // nobody is online: messages become tickets
		ag2 := adm.newAgent("t2@kefu.test", 5)
		ag1ID := ag1.meID()
		chA.post(t, h.base, textMsg("tk-1", "cust-a", "退款什么时候到账"))
		chB.post(t, h.base, textMsg("tk-2", "cust-b", "发票"))
		t1 := waitTicket(t, adm, []string{"退款什么时候到账"})
		t2 := waitTicket(t, adm, []string{"发票"})
		adm.must(200, "POST", "/api/v1/tickets/"+t1.ID+"/assign", map[string]any{"agent_id": ag1ID})

		ids := func(c *client, q string) string {
			var ts []ticketView
			listTicketsQ(t, c, q, &ts)
			var out []string
			for _, tk := range ts {
				out = append(out, map[string]string{t1.ID: "t1", t2.ID: "t2"}[tk.ID])
			}
			return strings.Join(out, ",")
		}
		for q, want := range map[string]string{
			"": "t1,t2", "?status=pending": "t1", "?status=open": "t2", "?assignee_id=" + ag1ID: "t1",
			"?assignee_id=none": "t2", "?channel_id=" + chB.ID: "t2", "?channel_id=" + chA.ID + "&status=solved": "",
		} {
			if got := ids(adm, q); got != want && !(want == "t1,t2" && got == "t2,t1") {
				t.Errorf("admin GET /tickets%s: %q, want %q", q, got, want)
			}
		}
		adm.must(400, "GET", "/api/v1/tickets?status=bogus", nil)
		if got := ids(ag1, "?assignee_id=me"); got != "t1" {
			t.Errorf("agent 1's own tickets: %q", got)
		}
		if got := ids(ag2, ""); got != "t2" {
			t.Errorf("agent 2 lists %q, want only the unassigned ticket", got)
		}
		for _, c := range []struct{ method, path string }{{"GET", ""}, {"POST", "/reply"}, {"POST", "/comments"}, {"POST", "/solve"}} {
			if r := ag2.do(c.method, "/api/v1/tickets/"+t1.ID+c.path, map[string]any{"text": "x", "agent_id": ag1ID}); r.status != 404 {
				t.Errorf("agent 2 %s another agent's ticket%s: %d, want 404", c.method, c.path, r.status)
			}
		}

		replies := func(text string) int {
			n := 0
			for _, c := range cb.received() {
				if c.Body["type"] == "message.created" && dig(c.Body, "data", "message", "text") == text {
					if !c.OK {
						t.Fatalf("reply callback %s is not signed with the channel secret", c.ID)
					}
					n++
				}
			}
			return n
		}
		ag1.must(201, "POST", "/api/v1/tickets/"+t1.ID+"/comments", map[string]any{"text": "内部：已联系财务"})
		ag1.must(201, "POST", "/api/v1/tickets/"+t1.ID+"/reply", map[string]any{"text": "退款已处理，3 天内到账"})
		eventually(t, 15*time.Second, "the ticket reply reaches the customer's system", func() bool { return replies("退款已处理，3 天内到账") == 1 })
		// The conversation closed: a later answer still reaches the customer.
		adm.must(200, "POST", "/api/v1/conversations/"+t1.ConversationID+"/close", map[string]any{"reason": "done"})
		ag1.must(201, "POST", "/api/v1/tickets/"+t1.ID+"/reply", map[string]any{"text": "补充：已到账"})
		eventually(t, 15*time.Second, "a reply after close reaches the customer", func() bool { return replies("补充：已到账") == 1 })
		ag1.must(400, "POST", "/api/v1/tickets/"+t1.ID+"/reply", map[string]any{"text": "  "})

		var full struct {
			Messages []struct{ Direction, Text, Status string }
			Comments []struct {
				AgentID string `json:"agent_id"`
				Text    string
			}
		}
		ag1.must(200, "GET", "/api/v1/tickets/"+t1.ID, nil).json(t, &full)
		var hist []string
		for _, m := range full.Messages {
			hist = append(hist, m.Direction+":"+m.Text)
		}
		if strings.Join(hist, "|") != "in:退款什么时候到账|out:退款已处理，3 天内到账|out:补充：已到账" {
			t.Errorf("ticket history %v", hist)
		}
		if len(full.Comments) != 1 || full.Comments[0].Text != "内部：已联系财务" || full.Comments[0].AgentID != ag1ID {
			t.Errorf("ticket comments %+v", full.Comments)
		}
		for _, c := range cb.received() {
			if strings.Contains(string(mustJSON(c.Body)), "内部") {
				t.Fatalf("an internal comment reached the customer's system: %v", c.Body)
			}
		}
	})
}

// A webhook subscription receives each matching event once, signed with its
// own secret; the delivery log shows it and redelivery resends it.
func TestWebhookSubscription(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		ch := adm.newAPIChannel("", nil)
		hook := newCallbackServer(t)
		adm.must(400, "POST", "/api/v1/webhooks", map[string]any{"url": "ftp://example.com/x", "events": []string{"message.created"}})
		adm.must(400, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL, "events": []string{"typing"}})
		adm.must(400, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL, "events": []string{}})
		r := adm.must(201, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL, "description": "CRM",
			"events": []string{"message.created", "conversation.closed"}})
		subID, secret := r.str("id"), r.str("secret")
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("create: %s", r.body)
		}
		hook.secret = func() string { return secret }
		if list := adm.must(200, "GET", "/api/v1/webhooks", nil); strings.Contains(string(list.body), secret) || !strings.Contains(string(list.body), subID) {
			t.Fatalf("list shows the secret or not the subscription: %s", list.body)
		}

		ag := adm.newAgent("hook@kefu.test", 5)
		ag.setStatus("online")
		sock := ag.dial(-1)
		ch.post(t, h.base, textMsg("wh-1", "cust-w", "你好"))
		convID, _ := dig(sock.waitFor("conversation.assigned", 15*time.Second, nil), "conversation_id").(string)
		ag.must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": "done"})

		byType := func() map[string]int {
			n := map[string]int{}
			for _, c := range hook.received() {
				if !c.OK {
					t.Fatalf("delivery %s is not signed with the subscription's secret: %v", c.ID, c.Body)
				}
				n[c.Body["type"].(string)]++
			}
			return n
		}
		eventually(t, 15*time.Second, "the message and the close arrive", func() bool {
			n := byType()
			return n["message.created"] == 1 && n["conversation.closed"] == 1
		})
		time.Sleep(1500 * time.Millisecond) // nothing else arrives: no assignment events, no duplicates
		if n := byType(); len(n) != 2 || n["message.created"] != 1 || n["conversation.closed"] != 1 {
			t.Fatalf("received %v, want one message.created and one conversation.closed", n)
		}
		var got callback
		for _, c := range hook.received() {
			if c.Body["type"] == "message.created" {
				got = c
			}
		}
		if dig(got.Body, "data", "message", "text") != "你好" || got.Body["conversation_id"] != convID {
			t.Fatalf("message.created body %v", got.Body)
		}

		var log struct {
			Deliveries []struct {
				ID             string
				Status         string
				EventType      string `json:"event_type"`
				SubscriptionID string `json:"subscription_id"`
			}
		}
		adm.must(200, "GET", "/api/v1/webhooks/"+subID+"/deliveries", nil).json(t, &log)
		if len(log.Deliveries) != 2 {
			t.Fatalf("delivery log %+v, want 2", log.Deliveries)
		}
		ids := map[string]bool{}
		for _, d := range log.Deliveries {
			if d.Status != "delivered" || d.SubscriptionID != subID {
				t.Fatalf("delivery %+v", d)
			}
			ids[d.ID] = true
		}
		for _, c := range hook.received() {
			if !ids[c.ID] {
				t.Fatalf("webhook-id %s is not a delivery of the log", c.ID)
			}
		}
		chLog := adm.must(200, "GET", "/api/v1/channels/"+ch.ID+"/deliveries", nil)
		for id := range ids {
			if strings.Contains(string(chLog.body), id) {
				t.Fatalf("the channel's delivery log lists subscription delivery %s", id)
			}
		}

		// Redelivery resends with the same webhook-id; a rotated secret signs what follows.
		first := log.Deliveries[len(log.Deliveries)-1].ID
		adm.must(202, "POST", "/api/v1/deliveries/"+first+"/redeliver", nil)
		eventually(t, 15*time.Second, "the redelivery arrives", func() bool {
			n := 0
			for _, c := range hook.received() {
				if c.ID == first {
					n++
				}
			}
			return n == 2
		})
		rot := adm.must(200, "POST", "/api/v1/webhooks/"+subID+"/rotate-secret", nil).str("secret")
		if rot == secret || !strings.HasPrefix(rot, "whsec_") {
			t.Fatalf("rotated secret %q", rot)
		}
		secret = rot
		adm.must(200, "PATCH", "/api/v1/webhooks/"+subID, map[string]any{"events": []string{"message.created"}})
		before := len(hook.received())
		ch.post(t, h.base, textMsg("wh-2", "cust-w2", "第二位"))
		eventually(t, 15*time.Second, "the next message arrives signed with the new secret", func() bool {
			return len(hook.received()) == before+1 && byType()["message.created"] == 3 // the redelivery was the 2nd
		})
		adm.must(200, "DELETE", "/api/v1/webhooks/"+subID, nil)
		adm.must(404, "GET", "/api/v1/webhooks/"+subID, nil)
		adm.must(404, "GET", "/api/v1/webhooks/"+subID+"/deliveries", nil)
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
