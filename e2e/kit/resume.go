package kit

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ResumingSock is an agent's socket that, like the workbench, reconnects
// whenever its connection drops (to whichever hub the address leads to)
// and resumes from the last event id it saw. It records every frame.
type ResumingSock struct {
	c          *Client
	mu         sync.Mutex
	frames     []map[string]any
	lastID     int64
	reconnects int
	conn       *websocket.Conn
	stop       chan struct{}
	done       chan struct{}
}

// ResumingDial connects the agent's socket (a fresh start) and keeps it
// connected until the test ends.
func (c *Client) ResumingDial() *ResumingSock {
	c.T.Helper()
	s := &ResumingSock{c: c, lastID: -1, stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.connect(); err != nil {
		c.T.Fatalf("dial ws: %v", err)
	}
	go s.run()
	c.T.Cleanup(s.Close)
	return s
}

// connect dials and authenticates, resuming after lastID (fresh when < 0).
func (s *ResumingSock) connect() error {
	u := "ws" + strings.TrimPrefix(s.c.Base, "http") + "/api/v1/ws"
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial(u, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	last := s.lastID
	s.mu.Unlock()
	auth := map[string]any{"type": "auth", "token": s.c.Token}
	if last >= 0 {
		auth["last_event_id"] = last
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(auth); err != nil {
		conn.Close()
		return err
	}
	var ready map[string]any
	if err := conn.ReadJSON(&ready); err != nil {
		conn.Close()
		return err
	}
	conn.SetReadDeadline(time.Time{})
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stop: // closed meanwhile
		conn.Close()
		return errors.New("closed")
	default:
	}
	if s.lastID < 0 {
		if id, ok := ready["last_event_id"].(float64); ok {
			s.lastID = int64(id)
		}
	}
	s.conn = conn
	return nil
}

func (s *ResumingSock) run() {
	defer close(s.done)
	for {
		var f map[string]any
		if err := s.conn.ReadJSON(&f); err != nil {
			for {
				select {
				case <-s.stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if s.connect() == nil {
					break
				}
			}
			s.mu.Lock()
			s.reconnects++
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		s.frames = append(s.frames, f)
		if id, ok := f["id"].(float64); ok && id > 0 && f["type"] != "ready" { // id 0: ephemeral
			s.lastID = int64(id)
		}
		s.mu.Unlock()
	}
}

// All is every frame received so far, across connections.
func (s *ResumingSock) All() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.frames...)
}

// Reconnects is how many times the socket connected again.
func (s *ResumingSock) Reconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reconnects
}

// Close stops reconnecting and closes the socket.
func (s *ResumingSock) Close() {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	s.mu.Lock()
	s.conn.Close()
	s.mu.Unlock()
	<-s.done
}
