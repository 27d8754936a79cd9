package desk

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// rawLogin posts a login and returns the status, the Retry-After header and
// the decoded body.
func rawLogin(t *testing.T, base, email, password string) (int, string, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return res.StatusCode, res.Header.Get("Retry-After"), m
}

// Thirty wrong passwords, spread over every hub of the deployment (two in
// cluster mode, sharing the counts through the database), lock the
// account: the right password is refused with 429, Retry-After and a
// Chinese-first message under a stable code; the tenant's admins get an
// agent.locked event; an admin's password reset lifts the lock. Admins list the agent's sessions and end them.
func TestSignInLockout(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		env := kit.NewEnv(t, m)
		hubs := []*kit.Hub{env.Start()}
		if m.Cluster {
			hubs = append(hubs, env.Start())
		}
		adm := hubs[0].Admin()
		ag := adm.NewAgent("lock@kefu.test", 5)
		agID := ag.MeID()
		// A webhook subscription to agent.locked (a tenant-wide event: no
		// channel sends it) and one that did not ask for it.
		hook, other := kit.NewCallbackServer(t), kit.NewCallbackServer(t)
		hook.SetSecret(adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": hook.URL,
			"events": []string{"agent.locked"}}).Str("secret"))
		adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": other.URL, "events": []string{"contact.updated"}})

		for i := range 30 {
			status, retry, body := rawLogin(t, hubs[i%len(hubs)].Base, "lock@kefu.test", "wrong-pass-"+strconv.Itoa(i))
			code, _ := kit.Dig(body, "error", "code").(string)
			switch {
			case i < 4 && (status != 401 || code != "unauthorized"):
				t.Fatalf("wrong password %d: %d %v, want 401", i+1, status, body)
			case i >= 4 && (status != 429 || code != "account_locked" || retry == ""):
				t.Fatalf("wrong password %d: %d %s %v, want 429 account_locked with Retry-After", i+1, status, retry, body)
			}
		}
		for _, h := range hubs {
			status, retry, body := rawLogin(t, h.Base, "lock@kefu.test", "agent-pass-1")
			msg, _ := kit.Dig(body, "error", "message").(string)
			if status != 429 || kit.Dig(body, "error", "code") != "account_locked" || !strings.HasPrefix(msg, "登录失败次数过多") {
				t.Fatalf("the right password while locked (%s): %d %v", h.Base, status, body)
			}
			if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 60 {
				t.Fatalf("Retry-After %q, want the lock's remaining seconds (at most a minute)", retry)
			}
		}

		var evs struct {
			Events []struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			} `json:"events"`
		}
		adm.Must(200, "GET", "/api/v1/events?after=0", nil).JSON(t, &evs)
		locks := 0
		for _, e := range evs.Events {
			if e.Type == "agent.locked" && e.Data["agent_id"] == agID && e.Data["reason"] == "account" {
				locks++
			}
		}
		if locks != 1 {
			t.Fatalf("%d agent.locked events for the admins, want 1: %+v", locks, evs.Events)
		}
		kit.Eventually(t, 10*time.Second, "agent.locked delivered to its subscription", func() bool {
			return len(hook.Received()) > 0
		})
		time.Sleep(500 * time.Millisecond) // a second delivery would come now
		got := hook.Received()
		if len(got) != 1 || !got[0].OK || got[0].Body["type"] != "agent.locked" ||
			kit.Dig(got[0].Body, "data", "agent_id") != agID || kit.Dig(got[0].Body, "data", "reason") != "account" {
			t.Fatalf("subscription received %+v, want one signed agent.locked for %s", got, agID)
		}
		if n := len(other.Received()); n != 0 {
			t.Fatalf("a subscription to contact.updated received %d deliveries", n)
		}
		// The admin sees the agent's session (opened before the lock) and
		// ends it; a password reset lifts the lock.
		var list struct {
			Sessions []struct {
				ID        string `json:"id"`
				UserAgent string `json:"user_agent"`
			} `json:"sessions"`
		}
		adm.Must(200, "GET", "/api/v1/agents/"+agID+"/sessions", nil).JSON(t, &list)
		if len(list.Sessions) != 1 || list.Sessions[0].ID == "" {
			t.Fatalf("sessions %+v, want the agent's one", list.Sessions)
		}
		ag.Must(403, "GET", "/api/v1/agents/"+agID+"/sessions", nil)
		adm.Must(404, "DELETE", "/api/v1/agents/"+agID+"/sessions/se_nope", nil)
		adm.Must(200, "DELETE", "/api/v1/agents/"+agID+"/sessions/"+list.Sessions[0].ID, nil)
		ag.Must(401, "GET", "/api/v1/me", nil)
		var log struct {
			Entries []struct {
				Action   string `json:"action"`
				TargetID string `json:"target_id"`
			} `json:"entries"`
		}
		adm.Must(200, "GET", "/api/v1/audit?action=agent.end_session", nil).JSON(t, &log)
		if len(log.Entries) != 1 || log.Entries[0].TargetID != agID {
			t.Fatalf("audit log of the ended session: %+v", log.Entries)
		}
		pw := adm.Must(200, "POST", "/api/v1/agents/"+agID+"/reset-password", nil).Str("password")
		kit.Login(t, hubs[len(hubs)-1].Base, "lock@kefu.test", pw)
	})
}

// A session unused for longer than KEFU_SESSION_IDLE ends; one in use
// lives on.
func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		env := kit.NewEnv(t, m)
		env.Vars["KEFU_SESSION_IDLE"] = "3s"
		h := env.Start()
		used := h.Admin()
		unused := h.Admin()
		for range 5 {
			time.Sleep(time.Second)
			used.Must(200, "GET", "/api/v1/me", nil)
		}
		unused.Must(401, "GET", "/api/v1/me", nil)
	})
}

// Renaming a group to the name of another group of the tenant is a
// conflict, not a server error.
func TestGroupRenameConflict(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		adm := kit.NewEnv(t, m).Start().Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		id := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
		if r := adm.Do("PATCH", "/api/v1/groups/"+id, map[string]any{"name": "售前"}); r.Status != 409 || r.Str("error.code") != "conflict" {
			t.Fatalf("rename to an existing name: %d %s, want 409", r.Status, r.Body)
		}
		if name := adm.Must(200, "GET", "/api/v1/groups/"+id, nil).Str("name"); name != "售后" {
			t.Fatalf("the group is named %q after a refused rename", name)
		}
	})
}
