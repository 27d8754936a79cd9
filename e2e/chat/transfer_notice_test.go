package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A transfer tells the customer who took over, and the new agent gets the
// conversation with its history and the reason.
func TestTransferTellsCustomer(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "售后"})
		first := adm.NewAgent("wang@kefu.test", 3, "售后")
		first.SetStatus("online")
		s1 := first.Dial(-1)
		if status, body := ch.Post(t, h.Base, kit.TextMsg("tn-1", "tn-cust", "退货怎么办理？")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		ev := s1.WaitFor("conversation.assigned", 10*time.Second, nil)
		convID := kit.Dig(ev, "data", "conversation", "id").(string)
		second := adm.NewAgent("zhao@kefu.test", 3, "售后")
		second.SetStatus("online")
		s2 := second.Dial(-1)
		first.Must(200, "POST", "/api/v1/conversations/"+convID+"/transfer",
			map[string]any{"agent_id": second.MeID(), "reason": "需要售后专员"})
		got := s2.WaitFor("conversation.assigned", 10*time.Second, nil)
		if kit.Dig(got, "data", "reason") != "需要售后专员" || len(kit.Dig(got, "data", "messages").([]any)) == 0 {
			t.Fatalf("new agent's assignment lacks the reason or history: %v", got)
		}
		kit.Eventually(t, 10*time.Second, "the customer is told about the transfer", func() bool {
			for _, text := range cb.Texts("tn-cust") {
				if strings.Contains(text, "zhao") && strings.Contains(text, "转接") {
					return true
				}
			}
			return false
		})
	})
}
