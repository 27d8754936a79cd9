package main

import (
	"testing"
	"time"
)

// Plain agents follow the queue live: a conversation joining or leaving it
// sends every agent of the tenant a queue.changed event (no customer data),
// and the queue answer shows who waits and what they wrote.
func TestQueueChangedReachesAgents(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后", "allow_pickup": true})
		ch := adm.newAPIChannel("", map[string]any{"default_group_id": "售后"})
		busy := adm.newAgent("full@kefu.test", 1, "售后")
		busy.setStatus("online")
		watcher := adm.newAgent("watcher@kefu.test", 3, "售后") // offline: gets no assignment, may pick up
		ws := watcher.dial(-1)
		ch.post(t, h.base, textMsg("q1", "cust-1", "first"))
		ws.waitFor("queue.changed", 10*time.Second, nil) // assigned to the busy agent
		ch.post(t, h.base, textMsg("q2", "cust-2", "我在排队"))
		ws.waitFor("queue.changed", 10*time.Second, nil) // queued behind
		var q struct {
			Queue []struct {
				CanPickUp   bool           `json:"can_pick_up"`
				Contact     map[string]any `json:"contact"`
				LastMessage map[string]any `json:"last_message"`
			} `json:"queue"`
		}
		eventually(t, 10*time.Second, "the queue shows the waiting customer", func() bool {
			watcher.must(200, "GET", "/api/v1/queue", nil).json(t, &q)
			return len(q.Queue) == 1
		})
		if row := q.Queue[0]; !row.CanPickUp || row.Contact["name"] != "Customer cust-2" || row.LastMessage["text"] != "我在排队" {
			t.Fatalf("queue row %+v", row)
		}
	})
}
