package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
)

// Socket limits.
const (
	connectsPerMinute = 120 // socket connections per client address
	connectBurst      = 60
	framesPerSecond   = 10 // any frame per socket
	frameBurst        = 40
	historySize       = 50
	maxHandling       = 256
	closeBadToken     = 4401
	closeTooMany      = 4429
)

var handling = custsock.NewOffloader(maxHandling)

// sockets are the app channel's websockets (the connector's methods that
// serve them).
type sockets struct{ *Connector }

// appSocket is one open app socket.
type appSocket struct {
	id  string
	ch  *hub.Channel
	u   *user
	key string
	ip  string
	out *custsock.Conn
	ctx context.Context
	end context.CancelFunc
	bg  bool // the app is in the background (dispatcher.mu)
}

// helloFrame and the frames after it (connectors/app/doc.go).
type frame struct {
	Type         string `json:"type"`
	Token        string `json:"token"`
	Conversation *struct {
		ID       string `json:"id"`
		AfterSeq int64  `json:"after_seq"`
	} `json:"conversation"`
	Device *Device `json:"device"`
	messageReq
	AfterSeq int64    `json:"after_seq"`
	Seq      int64    `json:"seq"`
	Score    int      `json:"score"`
	Comment  string   `json:"comment"`
	Reasons  []string `json:"reasons"`
}

// socket serves GET /app/v1/{app_key}/ws.
func (c sockets) socket(g *gin.Context) {
	ch, ok := c.channel(g)
	if !ok {
		return
	}
	ip := g.ClientIP()
	if !c.limits.Allow("ws-ip:"+ip, rate.Every(time.Minute/connectsPerMinute), connectBurst) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many connections; try again later")
		return
	}
	ws, err := custsock.Upgrader.Upgrade(g.Writer, g.Request, nil)
	if err != nil {
		return // the upgrader answered
	}
	if c.hub.full(c.maxSockets) {
		// Beyond the cap the app is told so and waits before it retries,
		// rather than seeing a failed handshake it would retry at once.
		custsock.Refuse(ws, closeTooMany, "too_many_connections", "too many open chats right now; try again in a minute")
		ws.Close()
		return
	}
	ws.SetReadLimit(custsock.ReadLimit)
	ctx, cancel := context.WithCancel(context.Background()) // the request context ends with the hijack
	s := &appSocket{id: hub.NewID("as"), ch: ch, ip: ip, ctx: ctx, end: cancel}
	s.out = custsock.New(ws, func(f func()) { c.socks.Go(f) }, func() { c.gone(s) })
	hello, ok := c.hello(s)
	if !ok {
		cancel()
		ws.Close()
		return
	}
	if !c.hub.add(s) {
		custsock.CloseWith(ws, websocket.CloseServiceRestart, "restarting")
		cancel()
		ws.Close()
		return
	}
	welcome, err := c.welcome(ctx, s, hello)
	if err == nil {
		err = c.users.arrive(ctx, s.id, s.ch.ID, s.u.Ext)
	}
	if err != nil || !custsock.WriteFrame(ws, welcome) {
		c.deps.Log.Debug("app welcome", "channel", ch.ID, "err", err)
		custsock.CloseWith(ws, websocket.CloseTryAgainLater, "try again")
		c.gone(s)
		return
	}
	c.socks.Go(func() { c.reader(s) })
	s.out.Start()
}

// hello reads and checks the first frame: the user's token.
func (c sockets) hello(s *appSocket) (*frame, bool) {
	ws := s.out.WS
	ws.SetReadDeadline(time.Now().Add(custsock.HelloWait))
	var f frame
	if err := ws.ReadJSON(&f); err != nil || f.Type != "hello" {
		custsock.CloseWith(ws, websocket.ClosePolicyViolation, "the first frame must be hello")
		return nil, false
	}
	u, ok := readToken(s.ch, f.Token, c.now())
	if !ok {
		custsock.Refuse(ws, closeBadToken, "bad_token", "the token is wrong or expired: identify again")
		return nil, false
	}
	s.u, s.key = u, userKey(s.ch.ID, u.Ext)
	if f.Device != nil && f.Device.clean() == nil {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		defer cancel()
		_ = c.users.device(ctx, u, *f.Device)
	}
	return &f, true
}

// welcome is the first server frame: the user's conversation and what the
// app does not show yet of it.
func (c sockets) welcome(ctx context.Context, s *appSocket, f *frame) (map[string]any, error) {
	online, _ := c.deps.Customers.Available(ctx, s.ch)
	w := map[string]any{"type": "welcome", "contact_id": s.u.ContactID, "online": online, "conversation": nil,
		"messages": []any{}}
	conv, err := c.deps.Customers.Conversation(ctx, s.ch.ID, s.u.Ext)
	if err != nil || conv == nil {
		return w, err
	}
	c.hub.mapConv(conv.ID, s.key)
	after := conv.LastSeq - historySize
	if f.Conversation != nil && f.Conversation.ID == conv.ID && f.Conversation.AfterSeq >= 0 {
		after = f.Conversation.AfterSeq
	}
	msgs, err := c.deps.Customers.Messages(ctx, conv.ID, max(after, 0), 500)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(msgs))
	for i := range msgs {
		out[i] = c.proj.Message(s.ch, &msgs[i])
	}
	w["conversation"], w["messages"] = c.conversationView(s.ch, conv), out
	return w, nil
}

// gone cleans up after a socket (once).
func (c sockets) gone(s *appSocket) {
	s.out.Stop()
	s.end()
	c.hub.remove(s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.users.depart(ctx, s.id)
}

// reader reads the app's frames until the socket closes; each is handled
// off the reader, so its stack stays small.
func (c sockets) reader(s *appSocket) {
	defer s.out.Close()
	ws := s.out.WS
	ws.SetReadDeadline(time.Now().Add(custsock.PongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(custsock.PongWait)) })
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		ws.SetReadDeadline(time.Now().Add(custsock.PongWait))
		if !handling.Run(s.ctx, func() { c.frame(s, b) }) {
			return
		}
	}
}

func (c sockets) frame(s *appSocket, b []byte) {
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		s.out.Fail("bad_frame", "frames are JSON objects (connectors/app/doc.go)")
		return
	}
	if !c.limits.Allow("frames:"+s.id, framesPerSecond, frameBurst) {
		s.out.Fail("rate_limited", "too many frames; slow down")
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
	defer cancel()
	switch f.Type {
	case "message", "leave_message":
		c.socketMessage(ctx, s, &f)
	case "typing":
		preview := hub.Bounded(f.Text, 1000)
		_ = c.deps.Customers.Typing(ctx, s.ch, s.u.Ext, strings.TrimSpace(preview) != "", preview)
	case "sync":
		c.sync(ctx, s, f.ConversationID, f.AfterSeq)
	case "read":
		if f.ConversationID != "" && f.Seq >= 0 {
			_ = c.users.read(ctx, s.ch.ID, f.ConversationID, f.Seq)
		}
	case "rate":
		err := c.deps.Customers.Rate(ctx, s.ch, s.u.Ext, f.ConversationID, f.Score, f.Comment, f.Reasons)
		if err != nil {
			s.out.SendJSON(map[string]any{"type": "error", "rate": f.ConversationID, "error": map[string]string{
				"code": "refused", "message": err.Error()}})
			return
		}
		s.out.SendJSON(map[string]any{"type": "ack", "rate": f.ConversationID})
	case "background", "foreground":
		// An app going to the background stops counting as reachable (its
		// socket may die silently there): agent messages are pushed.
		c.hub.setBackground(s, f.Type == "background")
		if f.Type == "background" {
			c.users.depart(ctx, s.id)
		} else if err := c.users.arrive(ctx, s.id, s.ch.ID, s.u.Ext); err != nil {
			c.deps.Log.Debug("app socket presence", "err", err)
		}
	case "ping":
		c.pong(ctx, s)
	default:
		s.out.Fail("bad_frame", "unknown frame type")
	}
}

func (c sockets) socketMessage(ctx context.Context, s *appSocket, f *frame) {
	r := f.messageReq
	if r.ClientMsgID == "" {
		r.ClientMsgID = r.ClientID
	}
	_, _, code, msg := c.publish(ctx, s.ch, s.u, &r, f.Type == "leave_message", s.ip)
	if code != "" {
		s.out.SendJSON(map[string]any{"type": "error", "client_id": r.ClientMsgID,
			"error": map[string]string{"code": code, "message": msg}})
		return
	}
	s.out.SendJSON(map[string]any{"type": "ack", "client_id": r.ClientMsgID})
}

// sync sends the messages of the user's conversation after a seq.
func (c sockets) sync(ctx context.Context, s *appSocket, convID string, after int64) {
	conv, err := c.deps.Customers.Conversation(ctx, s.ch.ID, s.u.Ext)
	if err != nil || conv == nil {
		return
	}
	c.hub.mapConv(conv.ID, s.key)
	if convID != conv.ID {
		after = 0 // a newer conversation: all of it
	}
	msgs, err := c.deps.Customers.Messages(ctx, conv.ID, max(after, 0), 500)
	if err != nil {
		return
	}
	for i := range msgs {
		s.out.SendJSON(map[string]any{"type": "message", "message": c.proj.Message(s.ch, &msgs[i])})
	}
}

// pong answers a ping with where the user's conversation is, so an app that
// missed a pushed message notices and syncs.
func (c sockets) pong(ctx context.Context, s *appSocket) {
	p := map[string]any{"type": "pong"}
	if conv, err := c.deps.Customers.Conversation(ctx, s.ch.ID, s.u.Ext); err == nil && conv != nil {
		c.hub.mapConv(conv.ID, s.key)
		p["conversation_id"], p["last_seq"], p["status"] = conv.ID, conv.LastSeq, conv.Status
	}
	s.out.SendJSON(p)
}
