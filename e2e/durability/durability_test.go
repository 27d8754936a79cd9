package durability

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A hub killed with SIGKILL while customers are posting loses nothing it
// acknowledged: after a restart and the platform's retries of what was not
// acknowledged, every message is stored exactly once, every conversation's
// seq is gap-free, and the agent — resuming its socket from the last event id
// it saw — receives every message, no event twice. It runs alone (no
// t.Parallel, one mode at a time): the kill must land mid-load, and the
// waits after the restart assume the hub does not share the CPU with other
// tests.
func TestKillNineUnderLoad(t *testing.T) {
	kit.ForModesSerially(t, func(t *testing.T, m kit.Mode) {
		const customers, perCustomer, killAt = 20, 30, 250
		e := kit.NewEnv(t, m)
		h := e.Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售后"})
		agent := adm.NewAgent("wang@kefu.test", 100, "售后")
		agent.SetStatus("online")
		before := kit.Watch(agent.Dial(-1))

		// Each customer posts its messages in order, like a platform with one
		// connection per user; a post that gets no 2xx is retried later.
		var acked [customers][perCustomer]bool
		var nAcked atomic.Int64
		var killOnce sync.Once
		var wg sync.WaitGroup
		for c := 0; c < customers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 0; i < perCustomer; i++ {
					status, err := kit.TrySend(ch, h.Base, kit.TextMsg(fmt.Sprintf("k-%d-%d", c, i), fmt.Sprintf("kc-%d", c), fmt.Sprintf("消息 %d/%d", c, i)))
					if err != nil {
						return // the hub is gone; the rest is retried after the restart
					}
					if status/100 == 2 {
						acked[c][i] = true
						if nAcked.Add(1) == killAt {
							go killOnce.Do(h.Kill) // while the other customers' posts are in flight
						}
					}
					// About 1,000 posts/s in all: the inbox keeps roughly up, so
					// the kill finds messages stored and seen, stored but not
					// yet pushed, acknowledged but not yet stored, and in flight.
					time.Sleep(15 * time.Millisecond)
				}
			}(c)
		}
		wg.Wait()
		killOnce.Do(h.Kill)
		n := nAcked.Load()
		if n < killAt || n >= customers*perCustomer {
			t.Fatalf("%d of %d posts acknowledged before the kill; the test wants the kill mid-load", n, customers*perCustomer)
		}
		<-before.Done
		lastSeen := before.LastID()
		t.Logf("killed after %d acknowledged posts; the agent had seen events up to %d", n, lastSeen)

		h = e.StartAt(h.Addr)
		kit.DropIdleConns(t)
		after := kit.Watch(agent.On(h).Dial(lastSeen))

		// The platform retries what was not acknowledged.
		var retried atomic.Int64
		for c := 0; c < customers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 0; i < perCustomer; i++ {
					if acked[c][i] {
						continue
					}
					retried.Add(1)
					for try := 0; ; try++ {
						status, err := kit.TrySend(ch, h.Base, kit.TextMsg(fmt.Sprintf("k-%d-%d", c, i), fmt.Sprintf("kc-%d", c), fmt.Sprintf("消息 %d/%d", c, i)))
						if err == nil && status/100 == 2 {
							break
						}
						if try == 20 {
							t.Errorf("retry of k-%d-%d: status %d, %v", c, i, status, err)
							return
						}
						time.Sleep(100 * time.Millisecond)
					}
				}
			}(c)
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		t.Logf("retried %d posts after the restart", retried.Load())

		d := kit.StoreDB(t, e)
		chID := ch.ID
		kit.Eventually(t, 30*time.Second, "all messages stored", func() bool {
			var n int
			d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM messages WHERE channel_id = ? AND direction = 'in'`), chID)
			return n >= customers*perCustomer
		})
		var dups []struct {
			ExternalID string `db:"external_id"`
			N          int    `db:"n"`
		}
		if err := d.Select(&dups, d.Rebind(`SELECT external_id, COUNT(*) AS n FROM messages WHERE channel_id = ? AND direction = 'in'
			GROUP BY external_id HAVING COUNT(*) > 1`), chID); err != nil {
			t.Fatal(err)
		}
		if len(dups) > 0 {
			t.Fatalf("messages stored more than once: %v", dups)
		}
		var stored []string
		if err := d.Select(&stored, d.Rebind(`SELECT external_id FROM messages WHERE channel_id = ? AND direction = 'in'`), chID); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for c := 0; c < customers; c++ {
			for i := 0; i < perCustomer; i++ {
				want[fmt.Sprintf("k-%d-%d", c, i)] = true
			}
		}
		for _, id := range stored {
			if !want[id] {
				t.Fatalf("stored a message nobody posted: %q", id)
			}
		}
		if len(stored) != len(want) {
			t.Fatalf("%d messages stored, want %d", len(stored), len(want))
		}
		kit.AssertGapFreeSeq(t, d, chID)
		var convs int
		d.Get(&convs, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ?`), chID)
		if convs != customers {
			t.Fatalf("%d conversations for %d customers", convs, customers)
		}

		// Every message reached the agent, across the two sockets.
		kit.Eventually(t, 30*time.Second, "every message reaches the agent's socket", func() bool {
			seen := map[string]bool{}
			for _, f := range append(before.All(), after.All()...) {
				for _, id := range kit.MessageExternalIDs(f) {
					seen[id] = true
				}
			}
			return len(seen) == len(want)
		})
		ids := map[int64]bool{}
		for _, log := range []*kit.FrameLog{before, after} {
			prev := int64(-1)
			for _, f := range log.All() {
				id, ok := f["id"].(float64)
				if !ok || f["type"] == "ready" || id == 0 { // id 0: ephemeral (typing, queue.changed)
					continue
				}
				if ids[int64(id)] {
					t.Fatalf("event %d delivered twice", int64(id))
				}
				if int64(id) <= prev {
					t.Fatalf("event %d after %d: out of order", int64(id), prev)
				}
				ids[int64(id)], prev = true, int64(id)
			}
		}
		for _, f := range after.All() {
			if id, ok := f["id"].(float64); ok && id > 0 && f["type"] != "ready" && int64(id) <= lastSeen {
				t.Fatalf("resumed socket replayed event %d, which the agent had already seen (last %d)", int64(id), lastSeen)
			}
		}
	})
}

// The same message posted by 20 concurrent requests is acknowledged to every
// one of them and stored once.
func TestConcurrentDuplicatePost(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		h := e.Start()
		kit.DropIdleConns(t)
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		msg := kit.TextMsg("dup-1", "dup-cust", "同一条消息")
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		errs := make([]error, 20)
		start := make(chan struct{})
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				statuses[i], errs[i] = kit.TrySend(ch, h.Base, msg)
			}(i)
		}
		close(start)
		wg.Wait()
		for i := range statuses {
			if errs[i] != nil || statuses[i] != 200 {
				t.Fatalf("post %d: status %d, %v", i, statuses[i], errs[i])
			}
		}
		// A later message from the same customer bounds the processing: once
		// it is stored, the duplicates have been handled too.
		if status, body := ch.Post(t, h.Base, kit.TextMsg("dup-2", "dup-cust", "第二条")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		d := kit.StoreDB(t, e)
		kit.Eventually(t, 10*time.Second, "both messages stored", func() bool {
			var n int
			d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM messages WHERE channel_id = ? AND external_id = 'dup-2'`), ch.ID)
			return n == 1
		})
		var n int
		if err := d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM messages WHERE channel_id = ? AND external_id = 'dup-1'`), ch.ID); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("message dup-1 stored %d times", n)
		}
		r := adm.Must(200, "GET", "/api/v1/conversations", nil)
		var list struct{ Conversations []struct{ ID string } }
		r.JSON(t, &list)
		if len(list.Conversations) != 1 {
			t.Fatalf("%d conversations, want 1: %s", len(list.Conversations), r.Body)
		}
		var msgs struct {
			Messages []struct {
				Seq        int64
				Direction  string
				ExternalID string `json:"external_id"`
			}
		}
		adm.Must(200, "GET", "/api/v1/conversations/"+list.Conversations[0].ID+"/messages", nil).JSON(t, &msgs)
		var in []string
		for i, m := range msgs.Messages {
			if m.Seq != int64(i+1) {
				t.Fatalf("seq %d at position %d", m.Seq, i)
			}
			if m.Direction == "in" {
				in = append(in, m.ExternalID)
			}
		}
		sort.Strings(in) // two customer messages handled at once may be numbered in either order
		if fmt.Sprint(in) != "[dup-1 dup-2]" {
			t.Fatalf("inbound messages %v, want [dup-1 dup-2]", in)
		}
		kit.AssertGapFreeSeq(t, d, ch.ID)
	})
}
