// Package custsock is the machinery of the customer websockets the web
// widget and the app channel hold: a socket's writer (one at a time, write
// deadlines, a bounded queue, pings asked for from outside, slow sockets
// dropped so they resume), per-key rate limits, and the projection of hub
// events onto the customer protocol's frames (connectors/web/doc.go), so
// both channels speak one protocol.
package custsock

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket hygiene shared by the customer sockets.
const (
	WriteWait  = 10 * time.Second
	PongWait   = 70 * time.Second
	PingEvery  = 30 * time.Second
	HelloWait  = 10 * time.Second
	ReadLimit  = 16 << 10
	OutboxSize = 32
)

var buffers sync.Pool

// Upgrader is the customer sockets' upgrader: small buffers (frames are
// small; the write buffer comes from a pool while a frame is written, so an
// idle socket holds none). Origins are checked by the channel before
// upgrading.
var Upgrader = websocket.Upgrader{
	ReadBufferSize:  512,
	WriteBufferSize: 1024,
	WriteBufferPool: &buffers,
	CheckOrigin:     func(*http.Request) bool { return true },
}

// Conn is the writing side of one customer socket. Frames to send are
// queued (Send); a writer goroutine runs only while the queue has
// something, so an idle socket costs no writer, no channel and no ticker
// (the channel's dispatcher asks for pings). At most one writer runs at a
// time: the one that finds the queue empty stops, and the one that finds
// the socket closing writes the close frame and calls gone.
type Conn struct {
	WS      *websocket.Conn
	spawn   func(func())
	gone    func()
	mu      sync.Mutex
	queue   [][]byte
	writing bool // a writer runs (or the handler still writes the welcome)
	closing bool // no more frames: the writer closes the socket
	pingDue bool
	pingAt  time.Time
}

// New wraps an upgraded socket. spawn starts a goroutine the channel joins
// at shutdown; gone cleans up once the socket is closed (called once by the
// writer that closes it, or by the channel). The caller writes its welcome
// frame directly, then calls Start.
func New(ws *websocket.Conn, spawn func(func()), gone func()) *Conn {
	return &Conn{WS: ws, spawn: spawn, gone: gone, writing: true, pingAt: time.Now().Add(PingEvery)}
}

// Start lets the writer send what was queued while the welcome was written.
func (c *Conn) Start() { c.spawn(c.flush) }

// Send queues a frame; a socket too slow to take it is closed (it resumes).
func (c *Conn) Send(b []byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= OutboxSize {
		c.closing = true
	} else {
		c.queue = append(c.queue, b)
	}
	c.wakeLocked()
}

// SendJSON queues a frame marshalled from x.
func (c *Conn) SendJSON(x any) {
	b, _ := json.Marshal(x)
	c.Send(b)
}

// Fail queues an error frame.
func (c *Conn) Fail(code, msg string) {
	c.SendJSON(map[string]any{"type": "error", "error": map[string]string{"code": code, "message": msg}})
}

// Close asks the writer to send what is queued, then close the socket.
func (c *Conn) Close() {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.wakeLocked()
}

// Stop marks the socket closed and drops what is queued (the clean-up).
func (c *Conn) Stop() {
	c.mu.Lock()
	c.closing, c.queue = true, nil
	c.mu.Unlock()
	c.WS.Close()
}

// Ping asks for a ping when one is due.
func (c *Conn) Ping(now time.Time) {
	c.mu.Lock()
	if c.closing || now.Before(c.pingAt) {
		c.mu.Unlock()
		return
	}
	c.pingAt, c.pingDue = now.Add(PingEvery), true
	c.wakeLocked()
}

// wakeLocked starts a writer unless one runs; it unlocks mu.
func (c *Conn) wakeLocked() {
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		c.spawn(c.flush)
	}
}

// flush is the socket's writer while it has something to write: queued
// frames, a ping, and when closing, the close frame and the clean-up.
func (c *Conn) flush() {
	for {
		c.mu.Lock()
		q, ping, closing := c.queue, c.pingDue, c.closing
		c.queue, c.pingDue = nil, false
		if len(q) == 0 && !ping && !closing {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for _, b := range q {
			if !WriteRaw(c.WS, b) {
				c.gone()
				return
			}
		}
		if ping && c.WS.WriteControl(websocket.PingMessage, nil, time.Now().Add(WriteWait)) != nil {
			c.gone()
			return
		}
		if closing {
			// What was queued is out; a dropped slow socket resumes.
			CloseWith(c.WS, websocket.CloseGoingAway, "bye")
			c.gone()
			return // writing stays set: no writer after this one
		}
	}
}

// WriteFrame writes v as one JSON frame now (before the writer runs).
func WriteFrame(ws *websocket.Conn, v any) bool {
	b, _ := json.Marshal(v)
	return WriteRaw(ws, b)
}

// WriteRaw writes one text frame with the write deadline.
func WriteRaw(ws *websocket.Conn, b []byte) bool {
	ws.SetWriteDeadline(time.Now().Add(WriteWait))
	return ws.WriteMessage(websocket.TextMessage, b) == nil
}

// CloseWith sends a close frame.
func CloseWith(ws *websocket.Conn, code int, text string) {
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}

// Refuse writes an error frame and closes with code.
func Refuse(ws *websocket.Conn, code int, errCode, msg string) {
	WriteFrame(ws, map[string]any{"type": "error", "error": map[string]string{"code": errCode, "message": msg}})
	CloseWith(ws, code, errCode)
}

// Offloader runs frame handlers on short-lived goroutines, a bounded number
// at once. Storing a message or reading a history grows a goroutine's stack
// (SQLite and NATS calls go deep); on a socket's own long-lived reader that
// stack would stay, ten thousand times over.
type Offloader chan struct{}

// NewOffloader allows n handlers at once.
func NewOffloader(n int) Offloader { return make(Offloader, n) }

// Run runs fn and waits for it; false when ctx ended first.
func (o Offloader) Run(ctx context.Context, fn func()) bool {
	select {
	case o <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	done := make(chan struct{})
	go func() {
		defer func() {
			<-o
			close(done)
		}()
		fn()
	}()
	<-done
	return true
}

// Queued takes what waits for the writer (a handler that writes before
// Start, and tests of what a socket would be sent).
func (c *Conn) Queued() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue = nil
	return q
}
