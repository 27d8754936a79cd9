package chat

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Plain agents follow the queue live: a conversation joining or leaving it
// sends every agent of the tenant a queue.changed event (no customer data),
// and the queue answer shows who waits and what they wrote.
func TestQueueChangedReachesAgents(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后", "allow_pickup": true})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售后"})
		busy := adm.NewAgent("full@kefu.test", 1, "售后")
		busy.SetStatus("online")
		watcher := adm.NewAgent("watcher@kefu.test", 3, "售后") // offline: gets no assignment, may pick up
		ws := watcher.Dial(-1)
		ch.Post(t, h.Base, kit.TextMsg("q1", "cust-1", "first"))
		ws.WaitFor("queue.changed", 10*time.Second, nil) // assigned to the busy agent
		ch.Post(t, h.Base, kit.TextMsg("q2", "cust-2", "我在排队"))
		ws.WaitFor("queue.changed", 10*time.Second, nil) // queued behind
		var q struct {
			Queue []struct {
				CanPickUp   bool           `json:"can_pick_up"`
				Contact     map[string]any `json:"contact"`
				LastMessage map[string]any `json:"last_message"`
			} `json:"queue"`
		}
		kit.Eventually(t, 10*time.Second, "the queue shows the waiting customer", func() bool {
			watcher.Must(200, "GET", "/api/v1/queue", nil).JSON(t, &q)
			return len(q.Queue) == 1
		})
		if row := q.Queue[0]; !row.CanPickUp || row.Contact["name"] != "Customer cust-2" || row.LastMessage["text"] != "我在排队" {
			t.Fatalf("queue row %+v", row)
		}
	})
}
