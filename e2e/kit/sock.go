package kit

import (
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Sock is an agent websocket.
type Sock struct {
	T      testing.TB
	Conn   *websocket.Conn
	LastID int64               // the newest event id received
	Frames chan map[string]any // every frame, until the socket closes
	Errc   chan error          // why it closed
}

// Dial opens the agent socket; lastID < 0 means a fresh start, else the hub
// replays what came after it.
func (c *Client) Dial(lastID int64) *Sock {
	c.T.Helper()
	u := "ws" + strings.TrimPrefix(c.Base, "http") + "/api/v1/ws"
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		c.T.Fatalf("dial ws: %v", err)
	}
	auth := map[string]any{"type": "auth", "token": c.Token}
	if lastID >= 0 {
		auth["last_event_id"] = lastID
	}
	conn.WriteJSON(auth)
	s := &Sock{T: c.T, Conn: conn, LastID: lastID, Frames: make(chan map[string]any, 100000), Errc: make(chan error, 1)}
	go func() {
		for {
			var f map[string]any
			if err := conn.ReadJSON(&f); err != nil {
				s.Errc <- err
				close(s.Frames)
				return
			}
			s.Frames <- f
		}
	}()
	ready := s.Next(10 * time.Second)
	if ready["type"] != "ready" {
		c.T.Fatalf("first frame %v, want ready", ready)
	}
	if lastID < 0 {
		s.LastID = int64(ready["last_event_id"].(float64))
	}
	c.T.Cleanup(func() { conn.Close() })
	return s
}

// Next is the next frame; the test fails if none comes within d.
func (s *Sock) Next(d time.Duration) map[string]any {
	s.T.Helper()
	select {
	case f, ok := <-s.Frames:
		if !ok {
			s.T.Fatalf("socket closed: %v", <-s.Errc)
		}
		if id, ok := f["id"].(float64); ok && id > 0 { // id 0: ephemeral, not a resume point
			s.LastID = int64(id)
		}
		return f
	case <-time.After(d):
		s.T.Fatalf("no frame within %s", d)
		return nil
	}
}

// WaitFor returns the first event of type typ matching pred (nil: any).
func (s *Sock) WaitFor(typ string, d time.Duration, pred func(map[string]any) bool) map[string]any {
	s.T.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f := s.Next(time.Until(deadline))
		if f["type"] == typ && (pred == nil || pred(f)) {
			return f
		}
	}
	s.T.Fatalf("no %s event within %s", typ, d)
	return nil
}

// FrameLog records every frame a socket receives, in order, until it closes.
type FrameLog struct {
	mu     sync.Mutex
	frames []map[string]any
	Done   chan struct{} // closed with the socket
	base   int64         // the event id the socket started at
}

// Watch records the socket's frames from now on (read them from the log,
// not the socket).
func Watch(s *Sock) *FrameLog {
	l := &FrameLog{Done: make(chan struct{}), base: s.LastID}
	go func() {
		defer close(l.Done)
		for f := range s.Frames {
			l.mu.Lock()
			l.frames = append(l.frames, f)
			l.mu.Unlock()
		}
	}()
	return l
}

// All is every frame so far.
func (l *FrameLog) All() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.frames...)
}

// LastID is the id of the newest event received.
func (l *FrameLog) LastID() int64 {
	last := l.base
	for _, f := range l.All() {
		if id, ok := f["id"].(float64); ok && id > 0 && f["type"] != "ready" { // id 0: ephemeral
			last = int64(id)
		}
	}
	return last
}

// MessageExternalIDs lists the customer messages an event shows the agent:
// a new message, or the history carried by an assignment.
func MessageExternalIDs(f map[string]any) []string {
	var out []string
	switch f["type"] {
	case "message.created":
		if id, ok := Dig(f, "data", "message", "external_id").(string); ok {
			out = append(out, id)
		}
	case "conversation.assigned":
		ms, _ := Dig(f, "data", "messages").([]any)
		for _, m := range ms {
			if id, ok := Dig(m, "external_id").(string); ok {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Monitor is a supervisor's view: an admin socket that sees every event of
// the tenant, recorded so tests can ask what happened to a conversation.
type Monitor struct {
	t   testing.TB
	Log *FrameLog
}

// Monitor opens the caller's socket and records it.
func (c *Client) Monitor() *Monitor { return &Monitor{t: c.T, Log: Watch(c.Dial(-1))} }

// Conv waits for the customer's conversation to open and returns its id.
func (m *Monitor) Conv(contact string) string {
	m.t.Helper()
	var id string
	Eventually(m.t, 10*time.Second, "a conversation for "+contact, func() bool {
		for _, f := range m.Log.All() {
			if f["type"] == "conversation.created" && Dig(f, "data", "conversation", "contact", "external_id") == contact {
				id, _ = Dig(f, "data", "conversation", "id").(string)
				return true
			}
		}
		return false
	})
	return id
}

// WaitEvent waits for an event of a type about a conversation.
func (m *Monitor) WaitEvent(typ, convID string) map[string]any {
	m.t.Helper()
	var ev map[string]any
	Eventually(m.t, 10*time.Second, typ+" for "+convID, func() bool {
		for _, f := range m.Log.All() {
			if f["type"] == typ && f["conversation_id"] == convID {
				ev = f
				return true
			}
		}
		return false
	})
	return ev
}

// Assignee waits for the conversation to be assigned and returns the agent.
func (m *Monitor) Assignee(convID string) string {
	m.t.Helper()
	id, _ := Dig(m.WaitEvent("conversation.assigned", convID), "data", "conversation", "assignee_id").(string)
	return id
}
