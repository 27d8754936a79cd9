package main

import (
	"fmt"
	"testing"
	"time"
)

// A customer's message posted by a developer's system reaches the routed
// agent's socket; the agent's REST reply reaches the developer's callback,
// signed; closing reaches it too.
func TestEndToEndAPIChannel(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		e := newEnv(t, m)
		h := e.start()
		adm := h.admin()
		cb := newCallbackServer(t)
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		ch := adm.newCallbackChannel(cb, map[string]any{"default_group_id": "售前"})
		agent := adm.newAgent("li@kefu.test", 3, "售前")
		agent.setStatus("online")
		s := agent.dial(-1)

		status, body := ch.post(t, h.base, textMsg("ext-1", "cust-1", "你好，我想咨询订单"))
		if status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		ev := s.waitFor("conversation.assigned", 10*time.Second, nil)
		convID := dig(ev, "data", "conversation", "id").(string)
		msgs := dig(ev, "data", "messages").([]any)
		if len(msgs) != 1 || dig(msgs[0], "text") != "你好，我想咨询订单" {
			t.Fatalf("assigned event carries %v, want the customer's message", msgs)
		}
		// A second message goes straight to the assignee.
		ch.post(t, h.base, textMsg("ext-2", "cust-1", "订单号 123"))
		ev = s.waitFor("message.created", 10*time.Second, nil)
		if dig(ev, "data", "message", "text") != "订单号 123" || dig(ev, "data", "message", "seq") != float64(2) {
			t.Fatalf("message event %v", ev)
		}
		r := agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，马上为您查询"})
		replyID := r.str("id")
		eventually(t, 10*time.Second, "the reply reaches the callback", func() bool {
			for _, c := range cb.received() {
				if dig(c.Body, "data", "message", "id") == replyID {
					return true
				}
			}
			return false
		})
		s.waitFor("message.updated", 10*time.Second, func(f map[string]any) bool {
			return dig(f, "data", "message", "status") == "sent"
		})
		agent.must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": "solved"})
		eventually(t, 10*time.Second, "the close event reaches the callback", func() bool {
			for _, c := range cb.received() {
				if c.Body["type"] == "conversation.closed" {
					return true
				}
			}
			return false
		})
		for _, c := range cb.received() {
			if !c.OK {
				t.Fatalf("callback %s had a bad signature", c.ID)
			}
		}
		// A replayed message id is acknowledged and stored once.
		status, _ = ch.post(t, h.base, textMsg("ext-2", "cust-1", "订单号 123"))
		if status != 200 {
			t.Fatalf("replay: %d", status)
		}
		ms := adm.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil)
		var got struct{ Messages []struct{ Seq int64 } }
		ms.json(t, &got)
		if len(got.Messages) != 3 {
			t.Fatalf("conversation has %d messages, want 3 (2 in, 1 reply): %s", len(got.Messages), ms.body)
		}
		for i, m := range got.Messages {
			if m.Seq != int64(i+1) {
				t.Fatalf("seq %d at %d: not gap-free", m.Seq, i)
			}
		}
		_ = fmt.Sprint()
	})
}
