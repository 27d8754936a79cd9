package main

import (
	"testing"
	"time"
)

// A greeting timer armed before a crash (kill -9) fires after the restart,
// exactly once — in cluster mode with two processes racing for it.
func TestAutomationFiresOnceAcrossRestart(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		e := newEnv(t, m)
		h := e.spawn("")
		dropIdleConns(t)
		adm := h.admin()
		cb := newCallbackServer(t)
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "重启"})
		ch := adm.newCallbackChannel(cb, map[string]any{"default_group_id": "重启"})
		const greet = "您好，欢迎咨询！"
		adm.must(200, "PUT", "/api/v1/automations", map[string]any{
			"greeting": map[string]any{"enabled": true, "after_seconds": 2, "text": greet},
		})
		adm.newAgent("rs@kefu.test", 3, "重启").setStatus("online")
		if status, err := trySend(ch, h.base, textMsg("rs-1", "rs-cust", "在吗")); err != nil || status != 200 {
			t.Fatalf("post: %d %v", status, err)
		}
		eventually(t, 10*time.Second, "the conversation is assigned (the greeting timer armed)", func() bool {
			var cs struct{ Conversations []struct{ ID string } }
			adm.must(200, "GET", "/api/v1/conversations?status=open", nil).json(t, &cs)
			return len(cs.Conversations) == 1
		})
		h.kill()
		if n := count(callbackTexts(cb, "rs-cust"), greet); n != 0 {
			t.Fatalf("greeting sent before it was due (%d)", n)
		}
		e.spawn("")
		if m.cluster {
			e.spawn("") // two processes race for the same due timer
		}
		eventually(t, 20*time.Second, "the greeting after the restart", func() bool {
			return count(callbackTexts(cb, "rs-cust"), greet) >= 1
		})
		time.Sleep(3 * time.Second) // any second firing would have been delivered by now
		if n := count(callbackTexts(cb, "rs-cust"), greet); n != 1 {
			t.Fatalf("greeting delivered %d times, want exactly once", n)
		}
	})
}
