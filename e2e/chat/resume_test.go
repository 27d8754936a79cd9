package chat

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// An agent's socket drops; messages and a new conversation arrive meanwhile.
// Reconnecting with the last event id it saw replays exactly what it missed,
// in order, then continues live; a fresh connection replays nothing.
func TestResumeReplaysMissedEvents(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售前"})
		a := adm.NewAgent("resume@kefu.test", 5, "售前")
		a.SetStatus("online")
		post := func(id, cust string) {
			t.Helper()
			if status, body := ch.Post(t, h.Base, kit.TextMsg(id, cust, "text of "+id)); status != 200 {
				t.Fatalf("post %s: %d %s", id, status, body)
			}
		}

		s1 := a.Dial(-1)
		post("r-1", "rc1")
		ev := s1.WaitFor("conversation.assigned", 10*time.Second, nil)
		conv1 := kit.Dig(ev, "data", "conversation", "id").(string)
		last := s1.LastID
		s1.Conn.Close()

		// While the agent is away.
		for i := 2; i <= 5; i++ {
			post(fmt.Sprintf("r-%d", i), "rc1")
		}
		post("r2-1", "rc2")
		kit.Eventually(t, 10*time.Second, "the missed messages are stored and routed", func() bool {
			var msgs struct{ Messages []any }
			adm.Must(200, "GET", "/api/v1/conversations/"+conv1+"/messages", nil).JSON(t, &msgs)
			var open struct{ Conversations []any }
			adm.Must(200, "GET", "/api/v1/conversations?status=open", nil).JSON(t, &open)
			return len(msgs.Messages) == 5 && len(open.Conversations) == 2
		})

		s2 := a.Dial(last)
		s3 := a.Dial(-1)   // a fresh connection, e.g. a second browser tab
		post("r-6", "rc1") // live, after both connected
		upTo := func(s *kit.Sock) []map[string]any {
			t.Helper()
			var got []map[string]any
			for {
				f := s.Next(10 * time.Second)
				if f["type"] == "message.created" && kit.Dig(f, "data", "message", "external_id") == "r-6" {
					return got
				}
				got = append(got, f)
			}
		}
		missed := upTo(s2)
		var seqs []float64
		var ext []string
		assigned := 0
		prev := last
		for _, f := range missed {
			id := int64(f["id"].(float64))
			if id == 0 {
				continue // ephemeral (queue.changed, typing): not part of the replay
			}
			if id <= prev {
				t.Fatalf("event %d after %d: replayed twice or out of order", id, prev)
			}
			prev = id
			switch {
			case f["type"] == "message.created" && f["conversation_id"] == conv1:
				seqs = append(seqs, kit.Dig(f, "data", "message", "seq").(float64))
				ext = append(ext, kit.Dig(f, "data", "message", "external_id").(string))
			case f["type"] == "conversation.assigned" && kit.Dig(f, "data", "conversation", "contact", "external_id") == "rc2":
				assigned++
				if ids := kit.MessageExternalIDs(f); fmt.Sprint(ids) != "[r2-1]" {
					t.Fatalf("rc2's assignment carried %v", ids)
				}
			default:
				t.Fatalf("unexpected event in the replay: %v", f)
			}
		}
		sort.Strings(ext)
		if fmt.Sprint(seqs) != "[2 3 4 5]" || fmt.Sprint(ext) != "[r-2 r-3 r-4 r-5]" || assigned != 1 {
			t.Fatalf("replay had seqs %v, messages %v, %d assignments; want seqs 2..5, r-2..r-5 and rc2's assignment", seqs, ext, assigned)
		}
		if fresh := upTo(s3); len(fresh) != 0 {
			t.Fatalf("a fresh connection replayed %d events: %v", len(fresh), fresh)
		}
		if s3.LastID != s2.LastID {
			t.Fatalf("both sockets should be at the same event now: %d vs %d", s3.LastID, s2.LastID)
		}
	})
}

// In a cluster, an agent's socket on one process receives events produced
// by another: customer messages posted there and replies sent through its
// REST API; and it can resume on the other process after a drop.
func TestEventsCrossProcesses(t *testing.T) {
	t.Parallel()
	cm := kit.ClusterOnly(t)
	e := kit.NewEnv(t, cm)
	h1, h2 := e.Start(), e.Start()
	adm := h1.Admin()
	adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
	ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售后"})
	a := adm.NewAgent("cross@kefu.test", 5, "售后")
	a.SetStatus("online")
	onA, onB := a, a.On(h2)

	s := onA.Dial(-1)
	// Customer messages posted to process B (whichever process's inbox
	// stores them, the socket on A sees them).
	for i := 1; i <= 10; i++ {
		if status, body := ch.Post(t, h2.Base, kit.TextMsg(fmt.Sprintf("x-%d", i), "xc", fmt.Sprintf("第 %d 条", i))); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
	}
	seen := map[string]bool{}
	var convID string
	deadline := time.Now().Add(15 * time.Second)
	for len(seen) < 10 && time.Now().Before(deadline) {
		f := s.Next(time.Until(deadline))
		for _, id := range kit.MessageExternalIDs(f) {
			seen[id] = true
		}
		if c, ok := kit.Dig(f, "conversation_id").(string); ok && c != "" {
			convID = c
		}
	}
	if len(seen) != 10 {
		t.Fatalf("the socket on A saw %d of 10 messages posted to B", len(seen))
	}
	// A reply sent through B's API is produced on B.
	r := onB.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "收到，正在处理"})
	replyID := r.Str("id")
	s.WaitFor("message.created", 10*time.Second, func(f map[string]any) bool { return kit.Dig(f, "data", "message", "id") == replyID })

	// Drop the socket on A, let B produce events, resume on B.
	last := s.LastID
	s.Conn.Close()
	r = onB.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "还需要一点时间"})
	missedReply := r.Str("id")
	ch.Post(t, h2.Base, kit.TextMsg("x-11", "xc", "好的"))
	s2 := onB.Dial(last)
	gotReply, gotMsg := false, false
	prev := last
	for !(gotReply && gotMsg) {
		f := s2.Next(10 * time.Second)
		id := int64(f["id"].(float64))
		if id == 0 {
			continue // ephemeral
		}
		if id <= prev {
			t.Fatalf("event %d after %d: replayed twice or out of order", id, prev)
		}
		prev = id
		if f["type"] == "message.created" {
			gotReply = gotReply || kit.Dig(f, "data", "message", "id") == missedReply
			gotMsg = gotMsg || kit.Dig(f, "data", "message", "external_id") == "x-11"
		}
	}
}
