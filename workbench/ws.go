package workbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/stream"
)

// Websocket hygiene: one writer goroutine, write deadlines, read limits,
// ping/pong, slow clients dropped (they resume from their last event).
const (
	wsWriteWait  = 10 * time.Second
	wsPongWait   = 60 * time.Second
	wsPingEvery  = 25 * time.Second
	wsAuthWait   = 10 * time.Second
	wsReadLimit  = 64 << 10
	wsOutboxSize = 64
)

// SessionRecheck is how often an open agent socket checks that its session
// still stands (a disabled agent, a password reset or a logout elsewhere
// end it) when Deps.SessionRecheck is not set.
const SessionRecheck = 25 * time.Second

var upgrader = websocket.Upgrader{
	// Agents authenticate with a bearer token in the first frame, never a
	// cookie, so a cross-site page cannot ride an agent's session; the
	// workbench may be served from another origin.
	CheckOrigin: func(*http.Request) bool { return true },
}

// wsClientFrame is what an agent client sends.
type wsClientFrame struct {
	Type           string `json:"type"` // auth, ping, typing
	Token          string `json:"token"`
	LastEventID    *int64 `json:"last_event_id"`
	ConversationID string `json:"conversation_id"`
	Typing         bool   `json:"typing"`
}

// websocket serves GET /api/v1/ws. The first frame must be
// {"type":"auth","token":"…","last_event_id":N}: the token never travels in
// the URL. With last_event_id the server first replays every event after N
// the agent may see, then streams live ones, each exactly once and in order.
func (s socketAPI) websocket(g *gin.Context) {
	conn, err := upgrader.Upgrade(g.Writer, g.Request, nil)
	if err != nil {
		return // the upgrader already answered
	}
	defer conn.Close()
	if !s.track(conn) {
		wsClose(conn, websocket.CloseServiceRestart, "restarting")
		return
	}
	defer s.untrack(conn)
	conn.SetReadLimit(wsReadLimit)
	a, token, after, ok := s.wsAuth(g.Request.Context(), conn)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(g.Request.Context())
	defer cancel()
	sub, replay, upto, err := s.Stream.Subscribe(ctx, a, after)
	if err != nil {
		wsClose(conn, websocket.CloseInternalServerErr, "try again")
		return
	}
	defer sub.Close()
	out := make(chan []byte, wsOutboxSize)
	s.sockWG.Go(func() { s.wsReader(ctx, cancel, conn, a, out) })
	writeFrame(conn, map[string]any{"type": "ready", "agent_id": a.ID, "last_event_id": upto})
	for _, e := range replay {
		if !writeEvent(conn, e) {
			return
		}
	}
	for _, e := range sub.Live() {
		if !writeEvent(conn, e) {
			return
		}
	}
	// The session is checked again at every ping: a disabled agent, a reset
	// password or a logout elsewhere ends the socket too.
	valid := func() bool {
		_, err := s.Identity.Auth.Authenticate(ctx, token)
		return !errors.Is(err, hub.ErrUnauthorized)
	}
	s.wsLoop(ctx, conn, sub, out, valid)
}

func (s socketAPI) wsAuth(ctx context.Context, conn *websocket.Conn) (*hub.Agent, string, int64, bool) {
	conn.SetReadDeadline(time.Now().Add(wsAuthWait))
	var f wsClientFrame
	if err := conn.ReadJSON(&f); err != nil || f.Type != "auth" || f.Token == "" {
		wsClose(conn, websocket.ClosePolicyViolation, "first frame must be {type:auth, token}")
		return nil, "", 0, false
	}
	a, err := s.Identity.Auth.Authenticate(ctx, f.Token)
	if err == nil && a.SetupRequired {
		wsClose(conn, 4403, "totp_setup_required")
		return nil, "", 0, false
	}
	if err != nil {
		wsClose(conn, 4401, "unauthorized")
		return nil, "", 0, false
	}
	after := int64(-1)
	if f.LastEventID != nil && *f.LastEventID >= 0 {
		after = *f.LastEventID
	}
	return a, f.Token, after, true
}

func wsClose(conn *websocket.Conn, code int, text string) {
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}

func writeFrame(conn *websocket.Conn, v any) bool {
	conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return conn.WriteJSON(v) == nil
}

func writeEvent(conn *websocket.Conn, e hub.Event) bool { return writeFrame(conn, e) }

// visitorsPerFrame bounds the visitors one visitor.updated frame carries.
const visitorsPerFrame = 100

// wsLoop is the one writer: events, visitor updates, replies to the reader,
// pings. Conversation events go first: visitor updates are written only
// when no event waits, in frames of up to visitorsPerFrame visitors, each
// visitor in its latest state (stream.Sub).
func (s socketAPI) wsLoop(ctx context.Context, conn *websocket.Conn, sub *stream.Sub, out <-chan []byte, valid func() bool) {
	ping := time.NewTicker(wsPingEvery)
	defer ping.Stop()
	every := s.SessionRecheck
	if every <= 0 {
		every = SessionRecheck
	}
	recheck := time.NewTicker(every)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Done:
			// Too slow for the stream, or gone: close; the client resumes.
			if !writeWaiting(conn, sub.C) {
				return
			}
			wsClose(conn, websocket.CloseTryAgainLater, "resume from your last event id")
			return
		case e := <-sub.C:
			if !writeEvent(conn, e) {
				return
			}
			if e.Type == hub.EvAgentStatus && e.AgentID == sub.Agent.ID && !valid() {
				wsClose(conn, 4401, "session ended") // signed off by an admin: at once, not at the next recheck
				return
			}
		case <-sub.Visitors:
			if !writeWaiting(conn, sub.C) {
				return
			}
			if vs := sub.TakeVisitors(visitorsPerFrame); len(vs) > 0 && !writeRaw(conn, visitorFrame(vs, time.Now())) {
				return
			}
		case b := <-out:
			if !writeRaw(conn, b) {
				return
			}
		case <-recheck.C:
			if !valid() {
				wsClose(conn, 4401, "session ended")
				return
			}
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)) != nil {
				return
			}
		}
	}
}

// writeWaiting writes the events waiting on evs now (not those arriving
// meanwhile, so a busy stream cannot hold the writer here).
func writeWaiting(conn *websocket.Conn, evs <-chan hub.Event) bool {
	for n := len(evs); n > 0; n-- {
		if !writeEvent(conn, <-evs) {
			return false
		}
	}
	return true
}

func writeRaw(conn *websocket.Conn, b []byte) bool {
	conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return conn.WriteMessage(websocket.TextMessage, b) == nil
}

// visitorFrame is a visitor.updated event of the given visitor states:
// {"visitors": [...]}, plus "visitor" when there is one (the shape agents
// had before updates were batched).
func visitorFrame(vs []json.RawMessage, now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":0,"type":"visitor.updated","data":{"visitors":[`)
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(v)
	}
	b.WriteByte(']')
	if len(vs) == 1 {
		b.WriteString(`,"visitor":`)
		b.Write(vs[0])
	}
	at, _ := json.Marshal(now.UTC())
	b.WriteString(`},"created_at":`)
	b.Write(at)
	b.WriteByte('}')
	return b.Bytes()
}

// wsReader reads client frames (ping, typing) until the socket closes.
func (s socketAPI) wsReader(ctx context.Context, cancel context.CancelFunc, conn *websocket.Conn, a *hub.Agent, out chan<- []byte) {
	defer cancel()
	conn.SetReadDeadline(time.Now().Add(wsPongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	for {
		var f wsClientFrame
		if err := conn.ReadJSON(&f); err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(wsPongWait))
		var reply any
		switch f.Type {
		case "ping":
			reply = map[string]string{"type": "pong"}
		case "typing":
			reply = s.wsTyping(ctx, a, f)
		default:
			reply = map[string]any{"type": "error", "error": map[string]string{"code": "bad_frame", "message": "unknown frame type " + strings.ToValidUTF8(f.Type, "")}}
		}
		b, _ := json.Marshal(reply)
		select {
		case out <- b:
		default: // the writer is behind; replies to pings are not worth blocking for
		}
	}
}

func (s socketAPI) wsTyping(ctx context.Context, a *hub.Agent, f wsClientFrame) any {
	c, err := s.Conversations.Get(ctx, a, f.ConversationID)
	if err != nil {
		return map[string]any{"type": "error", "error": map[string]string{"code": "not_found", "message": "not found"}}
	}
	payload, _ := json.Marshal(map[string]any{"by": "agent", "agent_id": a.ID, "typing": f.Typing})
	s.Kernel.Announce(hub.Event{TenantID: a.TenantID, Type: hub.EvTyping, ConversationID: c.ID, Payload: payload})
	s.platformTyping(ctx, c, f.Typing) // platform.go
	return map[string]string{"type": "ack"}
}
