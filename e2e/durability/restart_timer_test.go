package durability

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A greeting timer armed before a crash (kill -9) fires after the restart,
// exactly once — in cluster mode with two processes racing for it.
func TestAutomationFiresOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		h := e.Start()
		kit.DropIdleConns(t)
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "重启"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "重启"})
		const greet = "您好，欢迎咨询！"
		adm.Must(200, "PUT", "/api/v1/automations", map[string]any{
			"greeting": map[string]any{"enabled": true, "after_seconds": 2, "text": greet},
		})
		adm.NewAgent("rs@kefu.test", 3, "重启").SetStatus("online")
		if status, err := kit.TrySend(ch, h.Base, kit.TextMsg("rs-1", "rs-cust", "在吗")); err != nil || status != 200 {
			t.Fatalf("post: %d %v", status, err)
		}
		kit.Eventually(t, 10*time.Second, "the conversation is assigned (the greeting timer armed)", func() bool {
			var cs struct{ Conversations []struct{ ID string } }
			adm.Must(200, "GET", "/api/v1/conversations?status=open", nil).JSON(t, &cs)
			return len(cs.Conversations) == 1
		})
		h.Kill()
		if n := kit.Count(cb.Texts("rs-cust"), greet); n != 0 {
			t.Fatalf("greeting sent before it was due (%d)", n)
		}
		e.Start()
		if m.Cluster {
			e.Start() // two processes race for the same due timer
		}
		kit.Eventually(t, 20*time.Second, "the greeting after the restart", func() bool {
			return kit.Count(cb.Texts("rs-cust"), greet) >= 1
		})
		time.Sleep(3 * time.Second) // any second firing would have been delivered by now
		if n := kit.Count(cb.Texts("rs-cust"), greet); n != 1 {
			t.Fatalf("greeting delivered %d times, want exactly once", n)
		}
	})
}
