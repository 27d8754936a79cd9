package chat

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A customer's message posted by a developer's system reaches the routed
// agent's socket; the agent's REST reply reaches the developer's callback,
// signed; closing reaches it too.
func TestEndToEndAPIChannel(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		h := e.Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "售前"})
		agent := adm.NewAgent("li@kefu.test", 3, "售前")
		agent.SetStatus("online")
		s := agent.Dial(-1)

		status, body := ch.Post(t, h.Base, kit.TextMsg("ext-1", "cust-1", "你好，我想咨询订单"))
		if status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		ev := s.WaitFor("conversation.assigned", 10*time.Second, nil)
		convID := kit.Dig(ev, "data", "conversation", "id").(string)
		msgs := kit.Dig(ev, "data", "messages").([]any)
		if len(msgs) != 1 || kit.Dig(msgs[0], "text") != "你好，我想咨询订单" {
			t.Fatalf("assigned event carries %v, want the customer's message", msgs)
		}
		// A second message goes straight to the assignee.
		ch.Post(t, h.Base, kit.TextMsg("ext-2", "cust-1", "订单号 123"))
		ev = s.WaitFor("message.created", 10*time.Second, nil)
		if kit.Dig(ev, "data", "message", "text") != "订单号 123" || kit.Dig(ev, "data", "message", "seq") != float64(2) {
			t.Fatalf("message event %v", ev)
		}
		r := agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，马上为您查询"})
		replyID := r.Str("id")
		kit.Eventually(t, 10*time.Second, "the reply reaches the callback", func() bool {
			for _, c := range cb.Received() {
				if kit.Dig(c.Body, "data", "message", "id") == replyID {
					return true
				}
			}
			return false
		})
		s.WaitFor("message.updated", 10*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "message", "status") == "sent"
		})
		agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": "solved"})
		kit.Eventually(t, 10*time.Second, "the close event reaches the callback", func() bool {
			for _, c := range cb.Received() {
				if c.Body["type"] == "conversation.closed" {
					return true
				}
			}
			return false
		})
		for _, c := range cb.Received() {
			if !c.OK {
				t.Fatalf("callback %s had a bad signature", c.ID)
			}
		}
		// A replayed message id is acknowledged and stored once.
		status, _ = ch.Post(t, h.Base, kit.TextMsg("ext-2", "cust-1", "订单号 123"))
		if status != 200 {
			t.Fatalf("replay: %d", status)
		}
		ms := adm.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil)
		var got struct{ Messages []struct{ Seq int64 } }
		ms.JSON(t, &got)
		if len(got.Messages) != 3 {
			t.Fatalf("conversation has %d messages, want 3 (2 in, 1 reply): %s", len(got.Messages), ms.Body)
		}
		for i, m := range got.Messages {
			if m.Seq != int64(i+1) {
				t.Fatalf("seq %d at %d: not gap-free", m.Seq, i)
			}
		}
		_ = fmt.Sprint()
	})
}
