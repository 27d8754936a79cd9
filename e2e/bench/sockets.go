package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// frame is the part of an agent socket frame the bench reads: a customer's
// first message arrives inside conversation.assigned (data.messages), later
// ones as message.created (data.message).
type frame struct {
	Type        string    `json:"type"`
	ID          int64     `json:"id"`
	LastEventID int64     `json:"last_event_id"`
	CreatedAt   time.Time `json:"created_at"` // of the event, stamped before its commit
	Data        struct {
		Message  *wireMessage  `json:"message"`
		Messages []wireMessage `json:"messages"`
	} `json:"data"`
}

type wireMessage struct {
	Direction  string `json:"direction"`
	ExternalID string `json:"external_id"`
}

// agentSocket holds one agent's websocket for the whole run, resuming from
// its last event id whenever the hub drops it (as a real client does).
type agentSocket struct {
	url        string
	token      string
	ledger     *ledger.Ledger
	log        *slog.Logger
	lastID     int64
	reconnects *atomic.Int64
	frames     *atomic.Int64
}

// dial opens the socket, authenticates in the first frame and waits for
// "ready"; resume asks for a replay after s.lastID.
func (s *agentSocket) dial(ctx context.Context, resume bool) (*websocket.Conn, error) {
	d := websocket.Dialer{NetDialContext: loopbackDialer().DialContext, HandshakeTimeout: 10 * time.Second,
		ReadBufferSize: 64 << 10}
	conn, _, err := d.DialContext(ctx, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.url, err)
	}
	auth := map[string]any{"type": "auth", "token": s.token}
	if resume {
		auth["last_event_id"] = s.lastID
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(auth); err != nil {
		conn.Close()
		return nil, fmt.Errorf("send auth frame: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	var f frame
	if err := conn.ReadJSON(&f); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read ready frame: %w", err)
	}
	if f.Type != "ready" {
		conn.Close()
		return nil, fmt.Errorf("first frame is %q, want ready", f.Type)
	}
	if !resume {
		s.lastID = f.LastEventID
	}
	conn.SetReadDeadline(time.Time{})
	return conn, nil
}

// run reads frames until ctx ends, recording every customer message seen
// into the ledger with the time the frame arrived.
func (s *agentSocket) run(ctx context.Context, conn *websocket.Conn) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() { stop() }()
	for {
		_, b, err := conn.ReadMessage()
		at := time.Now()
		if err != nil {
			conn.Close()
			if ctx.Err() != nil {
				return
			}
			s.reconnects.Add(1)
			s.log.Warn("agent socket dropped; resuming", "last_event_id", s.lastID, "err", err)
			conn = s.redial(ctx)
			if conn == nil {
				return
			}
			stop()
			stop = context.AfterFunc(ctx, func() { conn.Close() })
			continue
		}
		s.frames.Add(1)
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			s.log.Warn("undecodable frame", "err", err)
			continue
		}
		if f.ID > s.lastID {
			s.lastID = f.ID
		}
		switch f.Type {
		case "message.created":
			if m := f.Data.Message; m != nil && m.Direction == "in" && m.ExternalID != "" {
				s.ledger.SeenEvent(m.ExternalID, at, f.CreatedAt, false)
			}
		case "conversation.assigned":
			for _, m := range f.Data.Messages {
				if m.Direction == "in" && m.ExternalID != "" {
					s.ledger.SeenEvent(m.ExternalID, at, f.CreatedAt, true)
				}
			}
		}
	}
}

// redial retries with a short backoff until it resumes or ctx ends.
func (s *agentSocket) redial(ctx context.Context) *websocket.Conn {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		conn, err := s.dial(ctx, true)
		if err == nil {
			return conn
		}
		s.log.Warn("agent socket resume failed", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// sockets is every agent's socket.
type sockets struct {
	wg         sync.WaitGroup
	reconnects atomic.Int64
	frames     atomic.Int64
}

// openSockets dials one socket per agent and starts reading; they stop
// when ctx ends (wait for them with wg).
func openSockets(ctx context.Context, base *url.URL, fx *fixture, l *ledger.Ledger, log *slog.Logger) (*sockets, error) {
	scheme := "ws"
	if base.Scheme == "https" {
		scheme = "wss"
	}
	u := scheme + "://" + base.Host + "/api/v1/ws"
	ss := &sockets{}
	conns := make([]*websocket.Conn, len(fx.agents))
	socks := make([]*agentSocket, len(fx.agents))
	for i, a := range fx.agents {
		socks[i] = &agentSocket{url: u, token: a.token, ledger: l, log: log.With("agent", fx.agentIDs[i]),
			reconnects: &ss.reconnects, frames: &ss.frames}
		c, err := socks[i].dial(ctx, false)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return nil, fmt.Errorf("agent %d socket: %w", i, err)
		}
		conns[i] = c
	}
	for i := range socks {
		ss.wg.Add(1)
		go func() { defer ss.wg.Done(); socks[i].run(ctx, conns[i]) }()
	}
	return ss, nil
}
