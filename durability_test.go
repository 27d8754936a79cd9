package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/connectors/api"
)

// A hub killed with SIGKILL while customers are posting loses nothing it
// acknowledged: after a restart and the platform's retries of what was not
// acknowledged, every message is stored exactly once, every conversation's
// seq is gap-free, and the agent — resuming its socket from the last event id
// it saw — receives every message, no event twice.
func TestKillNineUnderLoad(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		const customers, perCustomer, killAt = 20, 30, 250
		e := newEnv(t, m)
		h := e.spawn("")
		adm := h.admin()
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.newAPIChannel("", map[string]any{"default_group_id": "售后"})
		agent := adm.newAgent("wang@kefu.test", 100, "售后")
		agent.setStatus("online")
		before := watch(agent.dial(-1))

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
					status, err := trySend(ch, h.base, textMsg(fmt.Sprintf("k-%d-%d", c, i), fmt.Sprintf("kc-%d", c), fmt.Sprintf("消息 %d/%d", c, i)))
					if err != nil {
						return // the hub is gone; the rest is retried after the restart
					}
					if status/100 == 2 {
						acked[c][i] = true
						if nAcked.Add(1) == killAt {
							go killOnce.Do(h.kill) // while the other customers' posts are in flight
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
		killOnce.Do(h.kill)
		n := nAcked.Load()
		if n < killAt || n >= customers*perCustomer {
			t.Fatalf("%d of %d posts acknowledged before the kill; the test wants the kill mid-load", n, customers*perCustomer)
		}
		<-before.done
		lastSeen := before.lastID()
		t.Logf("killed after %d acknowledged posts; the agent had seen events up to %d", n, lastSeen)

		h = e.spawn(h.addr)
		dropIdleConns(t)
		after := watch(agent.on(h).dial(lastSeen))

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
						status, err := trySend(ch, h.base, textMsg(fmt.Sprintf("k-%d-%d", c, i), fmt.Sprintf("kc-%d", c), fmt.Sprintf("消息 %d/%d", c, i)))
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

		d := storeDB(t, e)
		chID := ch.ID
		eventually(t, 30*time.Second, "all messages stored", func() bool {
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
		assertGapFreeSeq(t, d, chID)
		var convs int
		d.Get(&convs, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ?`), chID)
		if convs != customers {
			t.Fatalf("%d conversations for %d customers", convs, customers)
		}

		// Every message reached the agent, across the two sockets.
		eventually(t, 30*time.Second, "every message reaches the agent's socket", func() bool {
			seen := map[string]bool{}
			for _, f := range append(before.all(), after.all()...) {
				for _, id := range messageExternalIDs(f) {
					seen[id] = true
				}
			}
			return len(seen) == len(want)
		})
		ids := map[int64]bool{}
		for _, log := range []*frameLog{before, after} {
			prev := int64(-1)
			for _, f := range log.all() {
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
		for _, f := range after.all() {
			if id, ok := f["id"].(float64); ok && id > 0 && f["type"] != "ready" && int64(id) <= lastSeen {
				t.Fatalf("resumed socket replayed event %d, which the agent had already seen (last %d)", int64(id), lastSeen)
			}
		}
	})
}

// The same message posted by 20 concurrent requests is acknowledged to every
// one of them and stored once.
func TestConcurrentDuplicatePost(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		e := newEnv(t, m)
		h := e.start()
		dropIdleConns(t)
		adm := h.admin()
		ch := adm.newAPIChannel("", nil)
		msg := textMsg("dup-1", "dup-cust", "同一条消息")
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		errs := make([]error, 20)
		start := make(chan struct{})
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				statuses[i], errs[i] = trySend(ch, h.base, msg)
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
		if status, body := ch.post(t, h.base, textMsg("dup-2", "dup-cust", "第二条")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		d := storeDB(t, e)
		eventually(t, 10*time.Second, "both messages stored", func() bool {
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
		r := adm.must(200, "GET", "/api/v1/conversations", nil)
		var list struct{ Conversations []struct{ ID string } }
		r.json(t, &list)
		if len(list.Conversations) != 1 {
			t.Fatalf("%d conversations, want 1: %s", len(list.Conversations), r.body)
		}
		var msgs struct {
			Messages []struct {
				Seq        int64
				Direction  string
				ExternalID string `json:"external_id"`
			}
		}
		adm.must(200, "GET", "/api/v1/conversations/"+list.Conversations[0].ID+"/messages", nil).json(t, &msgs)
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
		assertGapFreeSeq(t, d, ch.ID)
	})
}

// --- helpers shared by the durability, assignment, offline and resume tests ---

var sendClient = &http.Client{Timeout: 15 * time.Second}

// dropIdleConns closes the test's idle client connections before the hubs
// stop: concurrent requests leave connections the client dialed but never
// used, and http.Server.Shutdown waits 5 s for such a connection's first
// request before it counts it as idle. Call it after the hubs started (so
// it runs before their cleanup).
func dropIdleConns(t *testing.T) {
	t.Cleanup(func() {
		sendClient.CloseIdleConnections()
		http.DefaultClient.CloseIdleConnections()
	})
}

// trySend posts a signed customer message without failing the test, for use
// from goroutines and across a hub's death: it returns the status or the
// transport error.
func trySend(ch apiChannel, base string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest("POST", base+"/webhooks/api/"+ch.ID, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := api.SetHeaders(req.Header, ch.Secret, "msg_"+randHex(8), time.Now(), b); err != nil {
		return 0, err
	}
	res, err := sendClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var sink bytes.Buffer
	sink.ReadFrom(res.Body)
	return res.StatusCode, nil
}

// storeDB opens the hub's database directly (read-only use), to check what
// is really stored.
func storeDB(t *testing.T, e *env) *sqlx.DB {
	t.Helper()
	var d *sqlx.DB
	var err error
	if u := e.vars["KEFU_DATABASE_URL"]; u != "" {
		d, err = sqlx.Open("postgres", u)
	} else {
		d, err = sqlx.Open("sqlite", "file:"+filepath.Join(e.vars["KEFU_DATA_DIR"], "kefu.db")+
			"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	}
	if err != nil {
		t.Fatal(err)
	}
	d.SetMaxOpenConns(2)
	t.Cleanup(func() { d.Close() })
	return d
}

// assertGapFreeSeq checks every conversation of a channel numbers its
// messages 1..n.
func assertGapFreeSeq(t *testing.T, d *sqlx.DB, channelID string) {
	t.Helper()
	var rows []struct {
		Conv string `db:"conversation_id"`
		N    int64  `db:"n"`
		Min  int64  `db:"lo"`
		Max  int64  `db:"hi"`
		Seqs int64  `db:"seqs"`
		Last int64  `db:"last_seq"`
	}
	q := `SELECT m.conversation_id, COUNT(*) AS n, MIN(m.seq) AS lo, MAX(m.seq) AS hi, COUNT(DISTINCT m.seq) AS seqs,
		MAX(c.last_seq) AS last_seq FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.channel_id = ? GROUP BY m.conversation_id`
	if err := d.Select(&rows, d.Rebind(q), channelID); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no messages stored")
	}
	for _, r := range rows {
		if r.Min != 1 || r.Max != r.N || r.Seqs != r.N || r.Last != r.N {
			t.Fatalf("conversation %s: %d messages with seq %d..%d (%d distinct), last_seq %d: not gap-free",
				r.Conv, r.N, r.Min, r.Max, r.Seqs, r.Last)
		}
	}
}

// frameLog records every frame a socket receives, in order, until it closes.
type frameLog struct {
	mu     sync.Mutex
	frames []map[string]any
	done   chan struct{}
	base   int64 // the event id the socket started at
}

func watch(s *sock) *frameLog {
	l := &frameLog{done: make(chan struct{}), base: s.lastID}
	go func() {
		defer close(l.done)
		for f := range s.frames {
			l.mu.Lock()
			l.frames = append(l.frames, f)
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *frameLog) all() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.frames...)
}

// lastID is the id of the newest event received.
func (l *frameLog) lastID() int64 {
	last := l.base
	for _, f := range l.all() {
		if id, ok := f["id"].(float64); ok && id > 0 && f["type"] != "ready" { // id 0: ephemeral
			last = int64(id)
		}
	}
	return last
}

// messageExternalIDs lists the customer messages an event shows the agent:
// a new message, or the history carried by an assignment.
func messageExternalIDs(f map[string]any) []string {
	var out []string
	switch f["type"] {
	case "message.created":
		if id, ok := dig(f, "data", "message", "external_id").(string); ok {
			out = append(out, id)
		}
	case "conversation.assigned":
		ms, _ := dig(f, "data", "messages").([]any)
		for _, m := range ms {
			if id, ok := dig(m, "external_id").(string); ok {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}
