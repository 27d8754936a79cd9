package desk

// Admin console, part B (issue 5): TOTP two-factor login, agent
// administration, the live monitor, ticket filters / visibility / replies,
// and webhook subscriptions — driven over real HTTP against real hubs.

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
	"github.com/kefu-hub/kefu/hub/identity"
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

func loginWith(c *kit.Client, email, password, code string) kit.Resp {
	body := map[string]string{"email": email, "password": password}
	if code != "" {
		body["totp"] = code
	}
	return c.Do("POST", "/api/v1/auth/login", body)
}

func TestTOTPLogin(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ag := adm.NewAgent("totp@kefu.test", 5)
		anon := &kit.Client{T: t, Base: h.Base}

		setup := ag.Must(200, "POST", "/api/v1/me/totp/setup", nil)
		secret := setup.Str("secret")
		if secret == "" || !strings.HasPrefix(setup.Str("otpauth_url"), "otpauth://totp/") {
			t.Fatalf("setup: %s", setup.Body)
		}
		// Pending until confirmed: logging in still needs no code.
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", ""); r.Status != 200 {
			t.Fatalf("login with a pending secret: %d %s", r.Status, r.Body)
		}
		if r := ag.Do("POST", "/api/v1/me/totp/enable", map[string]string{"code": otherCode(t, secret)}); r.Status != 400 || r.Str("error.code") != "totp_invalid" {
			t.Fatalf("enable with a wrong code: %d %s", r.Status, r.Body)
		}
		// Codes of three steps in a row: enable, log in, disable (each is spent once).
		ag.Must(200, "POST", "/api/v1/me/totp/enable", map[string]string{"code": totpCode(t, secret, time.Now().Add(-30*time.Second))})
		var me struct {
			TOTPEnabled bool `json:"totp_enabled"`
		}
		ag.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
		if !me.TOTPEnabled {
			t.Fatalf("me after enable: %+v", me)
		}

		for _, c := range []struct{ code, want string }{{"", "totp_required"}, {otherCode(t, secret), "totp_invalid"}} {
			r := loginWith(anon, "totp@kefu.test", "agent-pass-1", c.code)
			if r.Status != 401 || r.Str("error.code") != c.want || r.Str("token") != "" {
				t.Fatalf("login with code %q: %d %s, want 401 %s and no token", c.code, r.Status, r.Body, c.want)
			}
		}
		// A wrong password says nothing about TOTP.
		if r := loginWith(anon, "totp@kefu.test", "wrong-pass-1", ""); r.Status != 401 || r.Str("error.code") != "unauthorized" {
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
		code := totpCode(t, secret, time.Now())
		r := loginWith(anon, "totp@kefu.test", "agent-pass-1", code)
		if r.Status != 200 || r.Str("token") == "" {
			t.Fatalf("login with the code: %d %s", r.Status, r.Body)
		}
		sess := &kit.Client{T: t, Base: h.Base, Token: r.Str("token")}
		sess.Must(200, "GET", "/api/v1/conversations", nil)
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", code); r.Status != 401 || r.Str("error.code") != "totp_invalid" {
			t.Fatalf("replayed code: %d %s, want 401 totp_invalid", r.Status, r.Body)
		}
		sess.Must(409, "POST", "/api/v1/me/totp/setup", nil) // enabled: disable first
		sess.Must(200, "POST", "/api/v1/me/totp/disable", map[string]string{"code": totpCode(t, secret, time.Now().Add(30*time.Second))})
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", ""); r.Status != 200 {
			t.Fatalf("login after disable: %d %s", r.Status, r.Body)
		}

		// Required by the admin but not set up: the session may only set it up.
		req := adm.NewAgent("req@kefu.test", 5)
		adm.Must(200, "PATCH", "/api/v1/agents/"+req.MeID(), map[string]any{"require_totp": true})
		r = loginWith(anon, "req@kefu.test", "agent-pass-1", "")
		if r.Status != 200 || !strings.Contains(string(r.Body), `"totp_setup_required":true`) {
			t.Fatalf("login of an agent who must set up TOTP: %d %s", r.Status, r.Body)
		}
		limited := &kit.Client{T: t, Base: h.Base, Token: r.Str("token")}
		for _, p := range []string{"/api/v1/conversations", "/api/v1/tickets", "/api/v1/agents"} {
			if got := limited.Do("GET", p, nil); got.Status != 403 || got.Str("error.code") != "totp_setup_required" {
				t.Fatalf("GET %s before setup: %d %s, want 403 totp_setup_required", p, got.Status, got.Body)
			}
		}
		if me := limited.Must(200, "GET", "/api/v1/me", nil); !strings.Contains(string(me.Body), `"totp_setup_required":true`) {
			t.Fatalf("GET /me of a session that must set up TOTP: %s", me.Body)
		}
		sec2 := limited.Must(200, "POST", "/api/v1/me/totp/setup", nil).Str("secret")
		limited.Must(200, "POST", "/api/v1/me/totp/enable", map[string]string{"code": totpCode(t, sec2, time.Now())})
		limited.Must(200, "GET", "/api/v1/conversations", nil) // set up: the same session may work now
		if got := limited.Do("POST", "/api/v1/me/totp/disable", map[string]string{"code": totpCode(t, sec2, time.Now().Add(30*time.Second))}); got.Status != 403 {
			t.Fatalf("disable while required: %d %s, want 403", got.Status, got.Body)
		}

		// Tenant-wide: every agent without TOTP is asked at next login (the
		// admin's own session too); API tokens are credentials of their own.
		tok := adm.Must(201, "POST", "/api/v1/api-tokens", map[string]any{"name": "ops"}).Str("token")
		api := &kit.Client{T: t, Base: h.Base, Token: tok}
		adm.Must(200, "PUT", "/api/v1/settings", map[string]any{"require_totp": true})
		if got := adm.Do("GET", "/api/v1/channels", nil); got.Status != 403 || got.Str("error.code") != "totp_setup_required" {
			t.Fatalf("the admin's session after requiring TOTP tenant-wide: %d %s", got.Status, got.Body)
		}
		if r := loginWith(anon, "totp@kefu.test", "agent-pass-1", ""); !strings.Contains(string(r.Body), `"totp_setup_required":true`) {
			t.Fatalf("login after tenant-wide requirement: %d %s", r.Status, r.Body)
		}
		var st struct {
			RequireTOTP bool   `json:"require_totp"`
			Timezone    string `json:"timezone"`
		}
		api.Must(200, "GET", "/api/v1/settings", nil).JSON(t, &st)
		if !st.RequireTOTP || st.Timezone != "Asia/Shanghai" {
			t.Fatalf("settings %+v", st)
		}
		api.Must(400, "PUT", "/api/v1/settings", map[string]any{"timezone": "Mars/Olympus"})
		api.Must(200, "PUT", "/api/v1/settings", map[string]any{"require_totp": false})
		adm.Must(200, "GET", "/api/v1/channels", nil)

		// Guessing is cut short: the 5th wrong code locks, and even the
		// right one waits.
		wrong := otherCode(t, sec2)
		for i := 0; i < 5; i++ {
			if r := loginWith(anon, "req@kefu.test", "agent-pass-1", wrong); (i < 4 && r.Status != 401) || (i == 4 && r.Status != 429) {
				t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Body)
			}
		}
		if r := loginWith(anon, "req@kefu.test", "agent-pass-1", totpCode(t, sec2, time.Now().Add(30*time.Second))); r.Status != 429 || r.Str("error.code") != "totp_locked" {
			t.Fatalf("the right code after 5 wrong ones: %d %s, want 429 totp_locked", r.Status, r.Body)
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
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_SESSION_RECHECK"] = "1s" // the socket of a disabled agent ends within this
		h := e.Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		first := adm.NewAgent("first@kefu.test", 5)
		firstID := first.MeID()
		first.SetStatus("online")
		sock := first.Dial(-1)
		if st, b := ch.Post(t, h.Base, kit.TextMsg("d-1", "cust-d", "在吗")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		convID, _ := kit.Dig(sock.WaitFor("conversation.assigned", 15*time.Second, nil), "conversation_id").(string)
		second := adm.NewAgent("second@kefu.test", 5)
		secondID := second.MeID()
		second.SetStatus("online")

		adm.Must(400, "PATCH", "/api/v1/agents/"+adm.MeID(), map[string]any{"disabled": true}) // not yourself
		var a agentView
		adm.Must(200, "PATCH", "/api/v1/agents/"+firstID, map[string]any{"disabled": true, "employee_no": "KF-007",
			"role": "supervisor", "require_totp": true}).JSON(t, &a)
		if !a.Disabled || a.Status != "offline" || a.CurrentChats != 0 || a.EmployeeNo != "KF-007" || a.Role != "supervisor" || !a.RequireTOTP {
			t.Fatalf("disabled agent %+v", a)
		}
		if got := first.Do("GET", "/api/v1/me", nil); got.Status != 401 {
			t.Fatalf("a disabled agent's session: %d, want 401", got.Status)
		}
		// Their open socket ends too (the session is rechecked; shortened here).
		select {
		case _, open := <-sock.Frames:
			for open {
				_, open = <-sock.Frames
			}
			if err := <-sock.Errc; !strings.Contains(err.Error(), "4401") {
				t.Fatalf("the disabled agent's socket ended with %v, want 4401", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the disabled agent's socket is still open")
		}
		if r := loginWith(&kit.Client{T: t, Base: h.Base}, "first@kefu.test", "agent-pass-1", ""); r.Status != 401 {
			t.Fatalf("a disabled agent logs in: %d", r.Status)
		}
		kit.Eventually(t, 15*time.Second, "the disabled agent's conversation goes to the other agent", func() bool {
			var c convView
			adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSON(t, &c)
			return c.Status == "open" && c.AssigneeID != nil && *c.AssigneeID == secondID
		})

		pw := adm.Must(200, "POST", "/api/v1/agents/"+secondID+"/reset-password", nil).Str("password")
		if len(pw) < 12 {
			t.Fatalf("generated password %q", pw)
		}
		if got := second.Do("GET", "/api/v1/me", nil); got.Status != 401 {
			t.Fatalf("a session after a password reset: %d, want 401", got.Status)
		}
		if r := loginWith(&kit.Client{T: t, Base: h.Base}, "second@kefu.test", "agent-pass-1", ""); r.Status != 401 {
			t.Fatalf("the old password still works: %d", r.Status)
		}
		again := kit.Login(t, h.Base, "second@kefu.test", pw)
		adm.Must(404, "POST", "/api/v1/agents/ag_nobody/reset-password", nil)
		if got := again.Do("POST", "/api/v1/agents/"+firstID+"/reset-password", nil); got.Status != 403 {
			t.Fatalf("a plain agent resets a password: %d", got.Status)
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
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		one := adm.NewAgent("one@kefu.test", 1)
		oneID := one.MeID()
		idle := adm.NewAgent("idle@kefu.test", 3)
		idleID := idle.MeID()
		idle.SetStatus("busy")
		one.SetStatus("online")
		sock := one.Dial(-1)
		ch.Post(t, h.Base, kit.TextMsg("mon-1", "cust-1", "一"))
		sock.WaitFor("conversation.assigned", 15*time.Second, nil)
		ch.Post(t, h.Base, kit.TextMsg("mon-2", "cust-2", "二")) // one is full: it waits
		var mv monitorView
		kit.Eventually(t, 15*time.Second, "the second conversation waits in the queue", func() bool {
			adm.Must(200, "GET", "/api/v1/monitor", nil).JSON(t, &mv)
			return mv.Queue.Length == 1
		})
		time.Sleep(1100 * time.Millisecond)
		adm.Must(200, "GET", "/api/v1/monitor", nil).JSON(t, &mv)
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
		if r := one.Do("GET", "/api/v1/monitor", nil); r.Status != 403 {
			t.Fatalf("a plain agent reads the monitor: %d", r.Status)
		}
		adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "sup@kefu.test", "password": "agent-pass-1", "role": "supervisor"})
		kit.Login(t, h.Base, "sup@kefu.test", "agent-pass-1").Must(200, "GET", "/api/v1/monitor", nil)
	})
}

// Tickets: filters, what a plain agent sees, replies that reach the customer
// through the API channel's callback (also once the conversation is closed),
// and internal comments that never do.
func TestTicketFiltersVisibilityAndReply(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		chA := adm.NewAPIChannel(cb.URL, nil)
		chB := adm.NewAPIChannel(cb.URL, map[string]any{"name": "other"})
		cb.SetSecret(chA.Secret)               // replies below go through channel A
		ag1 := adm.NewAgent("t1@kefu.test", 5) // nobody is online: messages become tickets
		ag2 := adm.NewAgent("t2@kefu.test", 5)
		ag1ID := ag1.MeID()
		chA.Post(t, h.Base, kit.TextMsg("tk-1", "cust-a", "退款什么时候到账"))
		chB.Post(t, h.Base, kit.TextMsg("tk-2", "cust-b", "发票"))
		t1 := kit.WaitTicket(t, adm, []string{"退款什么时候到账"})
		t2 := kit.WaitTicket(t, adm, []string{"发票"})
		adm.Must(200, "POST", "/api/v1/tickets/"+t1.ID+"/assign", map[string]any{"agent_id": ag1ID})
		// assigning keeps the status; the agent then waits on the customer
		adm.Must(200, "PATCH", "/api/v1/tickets/"+t1.ID, map[string]any{"status": "pending"})

		ids := func(c *kit.Client, q string) string {
			var ts []kit.TicketView
			kit.ListTicketsQ(t, c, q, &ts)
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
		adm.Must(400, "GET", "/api/v1/tickets?status=bogus", nil)
		if got := ids(ag1, "?assignee_id=me"); got != "t1" {
			t.Errorf("agent 1's own tickets: %q", got)
		}
		if got := ids(ag2, ""); got != "t2" {
			t.Errorf("agent 2 lists %q, want only the unassigned ticket", got)
		}
		for _, c := range []struct{ method, path string }{{"GET", ""}, {"POST", "/reply"}, {"POST", "/comments"}, {"POST", "/solve"}} {
			if r := ag2.Do(c.method, "/api/v1/tickets/"+t1.ID+c.path, map[string]any{"text": "x", "agent_id": ag1ID}); r.Status != 404 {
				t.Errorf("agent 2 %s another agent's ticket%s: %d, want 404", c.method, c.path, r.Status)
			}
		}

		replies := func(text string) int {
			n := 0
			for _, c := range cb.Received() {
				if c.Body["type"] == "message.created" && kit.Dig(c.Body, "data", "message", "text") == text {
					if !c.OK {
						t.Fatalf("reply callback %s is not signed with the channel secret", c.ID)
					}
					n++
				}
			}
			return n
		}
		ag1.Must(201, "POST", "/api/v1/tickets/"+t1.ID+"/comments", map[string]any{"text": "内部：已联系财务"})
		ag1.Must(201, "POST", "/api/v1/tickets/"+t1.ID+"/reply", map[string]any{"text": "退款已处理，3 天内到账"})
		kit.Eventually(t, 15*time.Second, "the ticket reply reaches the customer's system", func() bool { return replies("退款已处理，3 天内到账") == 1 })
		// The conversation closed: a later answer still reaches the customer.
		adm.Must(200, "POST", "/api/v1/conversations/"+t1.ConversationID+"/close", map[string]any{"reason": "done"})
		ag1.Must(201, "POST", "/api/v1/tickets/"+t1.ID+"/reply", map[string]any{"text": "补充：已到账"})
		kit.Eventually(t, 15*time.Second, "a reply after close reaches the customer", func() bool { return replies("补充：已到账") == 1 })
		ag1.Must(400, "POST", "/api/v1/tickets/"+t1.ID+"/reply", map[string]any{"text": "  "})

		var full struct {
			Messages []struct{ Direction, Text, Status string }
			Comments []struct {
				AgentID string `json:"agent_id"`
				Text    string
			}
		}
		ag1.Must(200, "GET", "/api/v1/tickets/"+t1.ID, nil).JSON(t, &full)
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
		for _, c := range cb.Received() {
			if strings.Contains(string(mustJSON(c.Body)), "内部") {
				t.Fatalf("an internal comment reached the customer's system: %v", c.Body)
			}
		}
	})
}

// A webhook subscription receives each matching event once, signed with its
// own secret; the delivery log shows it and redelivery resends it.
func TestWebhookSubscription(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		hook := kit.NewCallbackServer(t)
		adm.Must(400, "POST", "/api/v1/webhooks", map[string]any{"url": "ftp://example.com/x", "events": []string{"message.created"}})
		adm.Must(400, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL, "events": []string{"typing"}})
		adm.Must(400, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL, "events": []string{}})
		r := adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL, "description": "CRM",
			"events": []string{"message.created", "conversation.closed"}})
		subID, secret := r.Str("id"), r.Str("secret")
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("create: %s", r.Body)
		}
		hook.SetSecret(secret)
		if list := adm.Must(200, "GET", "/api/v1/webhooks", nil); strings.Contains(string(list.Body), secret) || !strings.Contains(string(list.Body), subID) {
			t.Fatalf("list shows the secret or not the subscription: %s", list.Body)
		}

		ag := adm.NewAgent("hook@kefu.test", 5)
		ag.SetStatus("online")
		sock := ag.Dial(-1)
		ch.Post(t, h.Base, kit.TextMsg("wh-1", "cust-w", "你好"))
		convID, _ := kit.Dig(sock.WaitFor("conversation.assigned", 15*time.Second, nil), "conversation_id").(string)
		ag.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": "done"})

		byType := func() map[string]int {
			n := map[string]int{}
			for _, c := range hook.Received() {
				if !c.OK {
					t.Fatalf("delivery %s is not signed with the subscription's secret: %v", c.ID, c.Body)
				}
				n[c.Body["type"].(string)]++
			}
			return n
		}
		kit.Eventually(t, 15*time.Second, "the message and the close arrive", func() bool {
			n := byType()
			return n["message.created"] == 1 && n["conversation.closed"] == 1
		})
		time.Sleep(1500 * time.Millisecond) // nothing else arrives: no assignment events, no duplicates
		if n := byType(); len(n) != 2 || n["message.created"] != 1 || n["conversation.closed"] != 1 {
			t.Fatalf("received %v, want one message.created and one conversation.closed", n)
		}
		var got kit.Callback
		for _, c := range hook.Received() {
			if c.Body["type"] == "message.created" {
				got = c
			}
		}
		if kit.Dig(got.Body, "data", "message", "text") != "你好" || got.Body["conversation_id"] != convID {
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
		adm.Must(200, "GET", "/api/v1/webhooks/"+subID+"/deliveries", nil).JSON(t, &log)
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
		for _, c := range hook.Received() {
			if !ids[c.ID] {
				t.Fatalf("webhook-id %s is not a delivery of the log", c.ID)
			}
		}
		chLog := adm.Must(200, "GET", "/api/v1/channels/"+ch.ID+"/deliveries", nil)
		for id := range ids {
			if strings.Contains(string(chLog.Body), id) {
				t.Fatalf("the channel's delivery log lists subscription delivery %s", id)
			}
		}

		// Redelivery resends with the same webhook-id; a rotated secret signs what follows.
		first := log.Deliveries[len(log.Deliveries)-1].ID
		adm.Must(202, "POST", "/api/v1/deliveries/"+first+"/redeliver", nil)
		kit.Eventually(t, 15*time.Second, "the redelivery arrives", func() bool {
			n := 0
			for _, c := range hook.Received() {
				if c.ID == first {
					n++
				}
			}
			return n == 2
		})
		rot := adm.Must(200, "POST", "/api/v1/webhooks/"+subID+"/rotate-secret", nil).Str("secret")
		if rot == secret || !strings.HasPrefix(rot, "whsec_") {
			t.Fatalf("rotated secret %q", rot)
		}
		secret = rot
		hook.SetSecret(secret) // what the integrator does with the rotated secret
		adm.Must(200, "PATCH", "/api/v1/webhooks/"+subID, map[string]any{"events": []string{"message.created"}})
		before := len(hook.Received())
		ch.Post(t, h.Base, kit.TextMsg("wh-2", "cust-w2", "第二位"))
		kit.Eventually(t, 15*time.Second, "the next message arrives signed with the new secret", func() bool {
			return len(hook.Received()) == before+1 && byType()["message.created"] == 3 // the redelivery was the 2nd
		})
		adm.Must(200, "DELETE", "/api/v1/webhooks/"+subID, nil)
		adm.Must(404, "GET", "/api/v1/webhooks/"+subID, nil)
		adm.Must(404, "GET", "/api/v1/webhooks/"+subID+"/deliveries", nil)
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
