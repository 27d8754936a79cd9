package kefuapp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// Frame is one server frame (connectors/app/doc.go), decoded loosely.
type Frame map[string]any

// Type is the frame's type.
func (f Frame) Type() string { s, _ := f["type"].(string); return s }

// Socket is the user's app socket. It remembers the last seq it saw of the
// conversation, so Resume after a cut asks for exactly what was missed.
type Socket struct {
	s      *Session
	Frames chan Frame // every frame, welcome first; closed when the socket ends
	mu     sync.Mutex
	ws     *websocket.Conn
	conv   string
	seq    int64
	seen   map[string]bool // message ids delivered on Frames (no doubles after a resume)
}

// Dial opens the socket and says hello.
func (s *Session) Dial(ctx context.Context) (*Socket, error) {
	k := &Socket{s: s, seen: map[string]bool{}}
	return k, k.connect(ctx)
}

// DialAfter opens the socket resuming a conversation after the last seq the
// app shows (kept across restarts).
func (s *Session) DialAfter(ctx context.Context, conversationID string, seq int64) (*Socket, error) {
	k := &Socket{s: s, seen: map[string]bool{}, conv: conversationID, seq: seq}
	return k, k.connect(ctx)
}

func (k *Socket) connect(ctx context.Context) error {
	u := "ws" + strings.TrimPrefix(k.s.c.Base, "http") + "/app/v1/" + k.s.c.AppKey + "/ws"
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
	if err != nil {
		return err
	}
	k.mu.Lock()
	hello := map[string]any{"type": "hello", "token": k.s.Token}
	if k.conv != "" {
		hello["conversation"] = map[string]any{"id": k.conv, "after_seq": k.seq}
	}
	k.ws, k.Frames = ws, make(chan Frame, 256)
	k.mu.Unlock()
	if err := ws.WriteJSON(hello); err != nil {
		ws.Close()
		return err
	}
	go k.read(ws, k.Frames)
	return nil
}

func (k *Socket) read(ws *websocket.Conn, out chan Frame) {
	defer close(out)
	for {
		var f Frame
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		if !k.note(f) {
			continue
		}
		out <- f
	}
}

// note tracks the conversation and seq; false drops a message already
// delivered (a resume's replay overlapping what arrived live).
func (k *Socket) note(f Frame) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	var msgs []any
	switch f.Type() {
	case "welcome":
		if c, ok := f["conversation"].(map[string]any); ok {
			k.conv, _ = c["id"].(string)
		}
		msgs, _ = f["messages"].([]any)
		kept := []any{}
		for _, m := range msgs {
			if k.take(m) {
				kept = append(kept, m)
			}
		}
		f["messages"] = kept
		return true
	case "message":
		return k.take(f["message"])
	}
	return true
}

func (k *Socket) take(m any) bool {
	mm, _ := m.(map[string]any)
	id, _ := mm["id"].(string)
	if id == "" || k.seen[id] {
		return id == ""
	}
	k.seen[id] = true
	conv, _ := mm["conversation_id"].(string)
	seq, _ := mm["seq"].(float64)
	if conv != k.conv {
		k.conv, k.seq = conv, 0
	}
	k.seq = max(k.seq, int64(seq))
	return true
}

// Send sends a message frame; the hub acks it with its client_id.
func (k *Socket) Send(clientID, text string) error {
	return k.write(map[string]any{"type": "message", "client_id": clientID, "text": text})
}

// State tells the hub the app went to the "background" (agent messages are
// then pushed as well) or came back to the "foreground".
func (k *Socket) State(state string) error { return k.write(map[string]any{"type": state}) }

// Typing tells the agent the user is typing ("" = stopped).
func (k *Socket) Typing(text string) error {
	return k.write(map[string]any{"type": "typing", "text": text})
}

func (k *Socket) write(v any) error {
	b, _ := json.Marshal(v)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ws == nil {
		return errors.New("kefu: socket closed")
	}
	return k.ws.WriteMessage(websocket.TextMessage, b)
}

// Cut drops the connection without a goodbye (a network cut, for tests).
func (k *Socket) Cut() {
	k.mu.Lock()
	if k.ws != nil {
		k.ws.UnderlyingConn().Close()
	}
	k.mu.Unlock()
}

// Close closes the socket.
func (k *Socket) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ws == nil {
		return nil
	}
	err := k.ws.Close()
	k.ws = nil
	return err
}

// Resume reconnects after a cut, asking for what came after the last seq
// seen; messages already delivered are not delivered again.
func (k *Socket) Resume(ctx context.Context) error {
	k.Close()
	return k.connect(ctx)
}

// LastSeq is the conversation and the last seq the socket has delivered.
func (k *Socket) LastSeq() (string, int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.conv, k.seq
}
