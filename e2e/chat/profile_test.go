package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// An agent's own settings (个人设置): their greeting, sent in their name
// once a conversation is theirs, and their "still checking", which works
// though the channel's is off; both fire once. Bad values are refused and
// change nothing.
func TestAgentPersonalReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "个人"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "个人"})
		ag := adm.NewAgent("own@kefu.test", 3, "个人")

		const still = "小美正在为您查询，请稍等～"
		profile := map[string]any{"name": "小美", "phone": "+86 138-0000-0000", "signature": "客服部 小美",
			"notify":         map[string]any{"sound_assigned": false, "sound_message": true, "desktop": true},
			"greeting":       map[string]any{"enabled": true, "after_seconds": 1, "text": "您好，我是{name}，很高兴为您服务。"},
			"still_checking": map[string]any{"enabled": true, "after_seconds": 2, "text": still}}
		bad := map[string]any{"greeting": map[string]any{"enabled": true, "after_seconds": 0, "text": "x"}}
		ag.Must(400, "PUT", "/api/v1/me/profile", bad)
		ag.Must(400, "PUT", "/api/v1/me/profile", map[string]any{"phone": "<script>"})
		ag.Must(200, "PUT", "/api/v1/me/profile", profile)
		got := ag.Must(200, "GET", "/api/v1/me/profile", nil)
		if gm := got.JSONMap(t); got.Str("name") != "小美" || kit.Dig(gm, "profile", "notify", "sound_assigned") != false ||
			got.Str("profile.still_checking.text") != still || got.Str("profile.signature") != "客服部 小美" {
			t.Fatalf("profile read back as %s", got.Body)
		}

		ag.SetStatus("online")
		s := kit.Watch(ag.Dial(-1))
		post(t, ch, h.Base, kit.TextMsg("pm-1", "pc", "请问发货了吗"))
		kit.Eventually(t, 10*time.Second, "the conversation is assigned", func() bool {
			for _, f := range s.All() {
				if f["type"] == "conversation.assigned" {
					return true
				}
			}
			return false
		})
		const greet = "您好，我是小美，很高兴为您服务。"
		kit.Eventually(t, 10*time.Second, "the agent's greeting", func() bool { return kit.Count(cb.Texts("pc"), greet) == 1 })
		kit.Eventually(t, 10*time.Second, "the agent's still checking", func() bool { return kit.Count(cb.Texts("pc"), still) == 1 })
		time.Sleep(2500 * time.Millisecond) // nothing fires twice
		texts := cb.Texts("pc")
		for _, x := range []string{greet, still} {
			if kit.Count(texts, x) != 1 {
				t.Fatalf("%q sent %d times: %v", x, kit.Count(texts, x), texts)
			}
		}
		for _, x := range texts {
			if strings.Contains(x, "{name}") {
				t.Fatalf("a placeholder reached the customer: %q", x)
			}
		}
	})
}

// An agent changes their own password: the current one is checked, this
// session stays signed in, every other ends, and only the new password
// signs in afterwards.
func TestAgentChangesOwnPassword(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ag := adm.NewAgent("pw@kefu.test", 3)
		other := kit.Login(t, h.Base, "pw@kefu.test", "agent-pass-1")
		ag.Must(400, "POST", "/api/v1/me/password", map[string]any{"current_password": "not-my-password", "new_password": "brand-new-pass"})
		ag.Must(400, "POST", "/api/v1/me/password", map[string]any{"current_password": "agent-pass-1", "new_password": "short"})
		other.Must(200, "GET", "/api/v1/me", nil) // the refusals changed nothing
		ag.Must(204, "POST", "/api/v1/me/password", map[string]any{"current_password": "agent-pass-1", "new_password": "brand-new-pass"})
		ag.Must(200, "GET", "/api/v1/me", nil)
		other.Must(401, "GET", "/api/v1/me", nil)
		if r := (&kit.Client{T: t, Base: h.Base}).Do("POST", "/api/v1/auth/login",
			map[string]string{"email": "pw@kefu.test", "password": "agent-pass-1"}); r.Status != 401 {
			t.Fatalf("the old password signs in: %d", r.Status)
		}
		kit.Login(t, h.Base, "pw@kefu.test", "brand-new-pass")
	})
}
