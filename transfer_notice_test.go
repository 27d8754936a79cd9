package main

import (
	"strings"
	"testing"
	"time"
)

// A transfer tells the customer who took over, and the new agent gets the
// conversation with its history and the reason.
func TestTransferTellsCustomer(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		cb := newCallbackServer(t)
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.newCallbackChannel(cb, map[string]any{"default_group_id": "售后"})
		first := adm.newAgent("wang@kefu.test", 3, "售后")
		first.setStatus("online")
		s1 := first.dial(-1)
		if status, body := ch.post(t, h.base, textMsg("tn-1", "tn-cust", "退货怎么办理？")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		ev := s1.waitFor("conversation.assigned", 10*time.Second, nil)
		convID := dig(ev, "data", "conversation", "id").(string)
		second := adm.newAgent("zhao@kefu.test", 3, "售后")
		second.setStatus("online")
		s2 := second.dial(-1)
		first.must(200, "POST", "/api/v1/conversations/"+convID+"/transfer",
			map[string]any{"agent_id": second.meID(), "reason": "需要售后专员"})
		got := s2.waitFor("conversation.assigned", 10*time.Second, nil)
		if dig(got, "data", "reason") != "需要售后专员" || len(dig(got, "data", "messages").([]any)) == 0 {
			t.Fatalf("new agent's assignment lacks the reason or history: %v", got)
		}
		eventually(t, 10*time.Second, "the customer is told about the transfer", func() bool {
			for _, text := range callbackTexts(cb, "tn-cust") {
				if strings.Contains(text, "zhao") && strings.Contains(text, "转接") {
					return true
				}
			}
			return false
		})
	})
}
