package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors/web/visitors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// Websocket hygiene: one writer at a time, write deadlines, read limits,
// ping/pong, slow sockets dropped (they resume), small buffers: a visitor
// socket is mostly idle and there are many.
const (
	wsWriteWait  = 10 * time.Second
	wsPongWait   = 70 * time.Second
	wsPingEvery  = 30 * time.Second
	wsHelloWait  = 10 * time.Second
	wsReadLimit  = 16 << 10
	wsOutboxSize = 32
	maxText      = 5000
	historySize  = 50
	// maxHandling bounds the widget frames handled at once across sockets
	// (each on a short-lived goroutine, see offload).
	maxHandling = 256
)

var wsBuffers sync.Pool

var upgrader = websocket.Upgrader{
	// Widget frames are small; a frame larger than the buffer is read in
	// several reads. The write buffer comes from a pool while a frame is
	// written, so an idle socket holds none.
	ReadBufferSize:  512,
	WriteBufferSize: 1024,
	WriteBufferPool: &wsBuffers,
	// The origin is checked against the channel's allowed domains before
	// upgrading (socket), so the upgrader itself lets every origin through.
	CheckOrigin: func(*http.Request) bool { return true },
}

// visitorConn is one open visitor socket. It has one goroutine of its own,
// the reader. Frames to send are queued (send); a writer goroutine runs
// only while the queue has something, so an idle socket costs no writer,
// no channel and no ticker (the dispatcher asks for pings). At most one
// writer runs at a time: the one that finds the queue empty stops, and the
// one that finds the socket closing writes the close frame and cleans up.
type visitorConn struct {
	c         *Connector
	ch        *hub.Channel
	cfg       Config
	visitorID string
	contact   hub.ContactInfo // the contact the messages are stored under
	key       string
	ip        string
	visit     hub.Visitor // referrer, keyword, page and agent, for routing
	group     string
	online    bool
	conn      *websocket.Conn
	cancel    context.CancelFunc // ends the socket's handlers
	wmu       sync.Mutex
	queue     [][]byte  // frames waiting for the writer
	writing   bool      // a writer runs (or the handler still writes the welcome)
	closing   bool      // no more frames: the writer closes the socket
	pingDue   bool      // the writer sends a ping
	admitted  bool      // holds a slot of the socket caps (given back in gone)
	activeAt  time.Time // when the visitor was last seen to have an active conversation (opens.go)
	pingAt    time.Time // when the next ping is due
	mu        sync.Mutex
	convID    string // the conversation the socket last showed
}

// send queues a frame; a socket too slow to take it is closed (it resumes).
func (v *visitorConn) send(b []byte) {
	v.wmu.Lock()
	if v.closing {
		v.wmu.Unlock()
		return
	}
	if len(v.queue) >= wsOutboxSize {
		v.closing = true
	} else {
		v.queue = append(v.queue, b)
	}
	v.wakeLocked()
}

// close asks the writer to send what is queued, then close the socket.
func (v *visitorConn) close() {
	v.wmu.Lock()
	if v.closing {
		v.wmu.Unlock()
		return
	}
	v.closing = true
	v.wakeLocked()
}

// ping asks for a ping when one is due (the dispatcher calls it).
func (v *visitorConn) ping(now time.Time) {
	v.wmu.Lock()
	if v.closing || now.Before(v.pingAt) {
		v.wmu.Unlock()
		return
	}
	v.pingAt, v.pingDue = now.Add(wsPingEvery), true
	v.wakeLocked()
}

// wakeLocked starts a writer unless one runs; it unlocks wmu.
func (v *visitorConn) wakeLocked() {
	start := !v.writing
	v.writing = true
	v.wmu.Unlock()
	if start {
		v.c.socks.Go(v.flush)
	}
}

// flush is the socket's writer while it has something to write: queued
// frames, a ping, and when closing, the close frame and the clean-up.
func (v *visitorConn) flush() {
	for {
		v.wmu.Lock()
		q, ping, closing := v.queue, v.pingDue, v.closing
		v.queue, v.pingDue = nil, false
		if len(q) == 0 && !ping && !closing {
			v.writing = false
			v.wmu.Unlock()
			return
		}
		v.wmu.Unlock()
		for _, b := range q {
			if !writeRaw(v.conn, b) {
				v.c.gone(v)
				return
			}
		}
		if ping && v.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)) != nil {
			v.c.gone(v)
			return
		}
		if closing {
			// What was queued is out; a dropped slow socket resumes.
			wsClose(v.conn, websocket.CloseGoingAway, "bye")
			v.c.gone(v)
			return // writing stays set: no writer after this one
		}
	}
}

func (v *visitorConn) sendJSON(x any) {
	b, _ := json.Marshal(x)
	v.send(b)
}

func (v *visitorConn) fail(code, msg string) {
	v.sendJSON(map[string]any{"type": "error", "error": map[string]string{"code": code, "message": msg}})
}

// clientFrame is everything a widget sends.
type clientFrame struct {
	Type    string `json:"type"`
	Visitor *struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	} `json:"visitor"`
	Identity *struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
		Hash  string `json:"hash"`
	} `json:"identity"`
	Page *struct {
		URL      string `json:"url"`
		Title    string `json:"title"`
		Referrer string `json:"referrer"`
	} `json:"page"`
	Lang         string `json:"lang"`
	Group        string `json:"group"`
	Agent        string `json:"agent"`
	Conversation *struct {
		ID       string `json:"id"`
		AfterSeq int64  `json:"after_seq"`
	} `json:"conversation"`
	ClientID    string `json:"client_id"`
	Text        string `json:"text"`
	Attachments []struct {
		ID string `json:"id"`
	} `json:"attachments"`
	URL            string            `json:"url"`
	Title          string            `json:"title"`
	Referrer       string            `json:"referrer"`
	ConversationID string            `json:"conversation_id"`
	AfterSeq       int64             `json:"after_seq"`
	InviteID       string            `json:"invite_id"`
	Accepted       bool              `json:"accepted"`
	Score          int               `json:"score"`
	Comment        string            `json:"comment"`
	Fields         map[string]string `json:"fields"`
}

var clientIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// socket serves GET /webhooks/web/{channel_id}/ws.
func (c *Connector) socket(g *gin.Context) {
	ch, cfg, ok := c.channel(g)
	if !ok {
		return
	}
	if _, ok := originAllowed(g.Request, &cfg); !ok {
		fail(g, http.StatusForbidden, "origin_not_allowed", "this site is not among the channel's allowed domains")
		return
	}
	ip := g.ClientIP()
	if !c.limits.allow("ip:"+ip, rate.Every(time.Minute/connectsPerMinute), connectBurst) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many connections; try again later")
		return
	}
	refused := c.admit.enter(ip, ch.ID)
	conn, err := upgrader.Upgrade(g.Writer, g.Request, nil)
	if err != nil {
		if refused == "" {
			c.admit.leave(ip, ch.ID)
		}
		return // the upgrader answered
	}
	if refused != "" {
		// Over a cap: the widget is told so (and waits before it retries)
		// rather than seeing a bare failed handshake it would retry at once.
		c.deps.Log.Debug("visitor socket refused", "channel", ch.ID, "ip", ip, "cap", refused)
		c.refuse(conn, CloseTooMany, "too_many_connections", "too many open chats right now; try again in a minute")
		conn.Close()
		return
	}
	conn.SetReadLimit(wsReadLimit)
	ctx, cancel := context.WithCancel(context.Background()) // the request context ends with the hijack
	// The handler writes the welcome itself: no writer runs until it is out.
	v := &visitorConn{c: c, ch: ch, cfg: cfg, ip: ip, conn: conn, cancel: cancel, writing: true, admitted: true,
		pingAt: time.Now().Add(wsPingEvery)}
	hello, ok := c.hello(ctx, v, g.Request)
	if !ok {
		cancel()
		conn.Close()
		c.admit.leave(ip, ch.ID)
		return
	}
	if !c.hub.add(v, "") {
		wsClose(conn, websocket.CloseServiceRestart, "restarting")
		cancel()
		conn.Close()
		c.admit.leave(ip, ch.ID)
		return
	}
	welcome, err := c.welcome(ctx, v, hello)
	if err == nil && !writeFrame(conn, welcome) {
		err = errors.New("write welcome")
	}
	if err != nil {
		c.deps.Log.Debug("visitor welcome", "channel", ch.ID, "err", err)
		wsClose(conn, websocket.CloseTryAgainLater, "try again")
		c.gone(v)
		return
	}
	// The socket lives on in its reader (and a writer while there is
	// something to write); this handler (and the HTTP server goroutine
	// with its deep stack) returns, which keeps an idle visitor cheap.
	c.socks.Go(func() { c.reader(ctx, v) })
	c.socks.Go(v.flush) // what was queued during the welcome; then the writer stops
}

// gone cleans up after a socket: it is closed and unregistered, and the
// visitor marked as having left when it was their last socket here.
func (c *Connector) gone(v *visitorConn) {
	v.wmu.Lock()
	v.closing, v.queue = true, nil
	admitted := v.admitted
	v.admitted = false
	v.wmu.Unlock()
	v.conn.Close()
	v.cancel()
	if admitted {
		c.admit.leave(v.ip, v.ch.ID)
	}
	if c.hub.remove(v) {
		ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = c.visitors.Left(ctx, v.ch.TenantID, v.visitorID)
	}
}

// hello reads and checks the first frame, and records the visit.
func (c *Connector) hello(ctx context.Context, v *visitorConn, r *http.Request) (*clientFrame, bool) {
	conn := v.conn
	conn.SetReadDeadline(time.Now().Add(wsHelloWait))
	var f clientFrame
	if err := conn.ReadJSON(&f); err != nil || f.Type != "hello" {
		wsClose(conn, websocket.ClosePolicyViolation, "the first frame must be hello")
		return nil, false
	}
	ch := v.ch
	if f.Visitor != nil && validVisitor(ch, f.Visitor.ID, f.Visitor.Token) {
		v.visitorID = f.Visitor.ID
	} else {
		v.visitorID = hub.NewID("v") // first visit (or a token from before a secret rotation)
	}
	v.contact = hub.ContactInfo{ExternalID: v.visitorID}
	if id := f.Identity; id != nil && strings.TrimSpace(id.ID) != "" {
		switch {
		case id.Hash != "" && !validIdentity(ch, id.ID, id.Hash):
			c.refuse(conn, 4403, "bad_identity", "the identity hash does not match")
			return nil, false
		case id.Hash != "":
			v.contact.ExternalID = "u:" + hub.Bounded(id.ID, 128) // the same user on every device
		case v.cfg.IdentityRequired:
			c.refuse(conn, 4403, "identity_required", "this channel requires Kefu.identify with a hash")
			return nil, false
		}
		v.contact.Name, v.contact.Email = hub.Bounded(id.Name, 100), hub.Bounded(id.Email, 200)
		v.contact.Phone = hub.Bounded(id.Phone, 50)
	} else if v.cfg.IdentityRequired {
		c.refuse(conn, 4403, "identity_required", "this channel requires Kefu.identify with a hash")
		return nil, false
	}
	v.key = contactKey(ch.ID, v.contact.ExternalID)
	v.group, v.visit.Agent = hub.Bounded(f.Group, 64), hub.Bounded(f.Agent, 128)
	a := &visitors.Arrival{ID: v.visitorID, TenantID: ch.TenantID, ChannelID: ch.ID,
		ContactExternalID: v.contact.ExternalID, Name: v.contact.Name, IP: v.ip, UserAgent: r.UserAgent(),
		Lang: hub.Bounded(f.Lang, 16)}
	a.Browser, a.OS = visitors.UserAgent(r.UserAgent())
	if p := f.Page; p != nil {
		a.PageURL, a.PageTitle, a.Referrer = p.URL, p.Title, p.Referrer
		a.Engine, a.Keyword = visitors.SearchKeyword(p.Referrer)
	}
	arrived, err := c.visitors.Arrived(ctx, a)
	if err != nil {
		c.deps.Log.Warn("visitor arrival", "channel", ch.ID, "err", err)
		wsClose(conn, websocket.CloseTryAgainLater, "try again")
		return nil, false
	}
	// Routing sees where this visit came from (its first page's referrer).
	v.visit.IP, v.visit.Region, v.visit.Referrer = v.ip, arrived.Region, arrived.Referrer
	v.visit.Keyword, v.visit.Page = arrived.Keyword, arrived.PageURL
	v.online = c.hub.available(ctx, ch)
	return &f, true
}

func (c *Connector) refuse(conn *websocket.Conn, code int, errCode, msg string) {
	writeFrame(conn, map[string]any{"type": "error", "error": map[string]string{"code": errCode, "message": msg}})
	wsClose(conn, code, errCode)
}

// welcome is the first server frame: the visitor's id and token, the
// availability, and the conversation the page should show.
func (c *Connector) welcome(ctx context.Context, v *visitorConn, f *clientFrame) (map[string]any, error) {
	w := map[string]any{"type": "welcome", "online": v.online,
		"visitor":      map[string]string{"id": v.visitorID, "token": visitorToken(v.ch, v.visitorID)},
		"conversation": nil, "messages": []any{}}
	conv, err := c.customers().Conversation(ctx, v.ch.ID, v.contact.ExternalID)
	if err != nil || conv == nil {
		return w, err
	}
	c.hub.mapConv(conv.ID, v.key)
	v.mu.Lock()
	v.convID = conv.ID
	v.mu.Unlock()
	after := conv.LastSeq - historySize
	if f.Conversation != nil && f.Conversation.ID == conv.ID && f.Conversation.AfterSeq >= 0 {
		after = f.Conversation.AfterSeq
	}
	if after < 0 {
		after = 0
	}
	msgs, err := c.customers().Messages(ctx, conv.ID, after, 500)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(msgs))
	for i := range msgs {
		out[i] = c.hub.customerMessage(v.ch, &msgs[i])
	}
	cv := map[string]any{"id": conv.ID, "status": conv.Status, "last_seq": conv.LastSeq}
	if conv.AssigneeID != nil {
		cv["agent"] = map[string]string{"name": c.hub.agentName(v.ch.TenantID, *conv.AssigneeID)}
	}
	w["conversation"], w["messages"] = cv, out
	return w, nil
}

// reader reads the widget's frames until the socket closes. Each frame is
// handled off the reader (offload), so the reader's stack stays small
// however deep storing a message goes.
func (c *Connector) reader(ctx context.Context, v *visitorConn) {
	defer v.close()
	conn := v.conn
	conn.SetReadDeadline(time.Now().Add(wsPongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	for {
		_, b, err := conn.ReadMessage() // beyond the read limit: closed with 1009
		if err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(wsPongWait))
		if !c.offload(ctx, func() { c.frame(ctx, v, b) }) {
			return
		}
	}
}

// offload runs fn on a short-lived goroutine and waits for it, with at
// most maxHandling running at once. Storing a message or reading a history
// grows a goroutine's stack (SQLite and NATS calls go deep); on a socket's
// own long-lived reader that stack would stay, ten thousand times over.
func (c *Connector) offload(ctx context.Context, fn func()) bool {
	select {
	case c.handling <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	done := make(chan struct{})
	go func() {
		defer func() {
			<-c.handling
			close(done)
		}()
		fn()
	}()
	<-done
	return true
}

// frame handles one widget frame.
func (c *Connector) frame(ctx context.Context, v *visitorConn, b []byte) {
	var f clientFrame
	if err := json.Unmarshal(b, &f); err != nil {
		v.fail("bad_frame", "frames are JSON objects (connectors/web/doc.go)")
		return
	}
	if !c.limits.allow("frames:"+v.visitorID, framesPerSecond, frameBurst) {
		v.fail("rate_limited", "too many frames; slow down")
		return
	}
	c.handle(ctx, v, &f)
}

func (c *Connector) handle(ctx context.Context, v *visitorConn, f *clientFrame) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ch := v.ch
	switch f.Type {
	case "message", "leave_message":
		c.message(ctx, v, f)
	case "typing":
		preview := hub.Bounded(f.Text, 1000)
		_ = c.customers().Typing(ctx, ch, v.contact.ExternalID, strings.TrimSpace(preview) != "", preview)
	case "page":
		_ = c.visitors.Page(ctx, ch.TenantID, v.visitorID, f.URL, f.Title)
	case "sync":
		c.sync(ctx, v, f.ConversationID, f.AfterSeq)
	case "invited":
		_ = c.visitors.Invited(ctx, ch.TenantID, v.visitorID, hub.Bounded(f.InviteID, 64))
	case "invite_reply":
		_ = c.visitors.InviteReply(ctx, ch.TenantID, v.visitorID, f.Accepted)
	case "rate":
		err := c.customers().Rate(ctx, ch, v.contact.ExternalID, f.ConversationID, f.Score, f.Comment)
		if err != nil {
			v.sendJSON(map[string]any{"type": "error", "rate": f.ConversationID, "error": errorBody(err)})
			return
		}
		v.sendJSON(map[string]any{"type": "ack", "rate": f.ConversationID})
	case "ping":
		c.pong(ctx, v)
	default:
		v.fail("bad_frame", "unknown frame type")
	}
}

// message publishes a visitor's message (or left message) on the durable
// inbound path and acknowledges it once stored on the bus.
func (c *Connector) message(ctx context.Context, v *visitorConn, f *clientFrame) {
	nack := func(code, msg string) {
		v.sendJSON(map[string]any{"type": "error", "client_id": f.ClientID,
			"error": map[string]string{"code": code, "message": msg}})
	}
	if !clientIDRe.MatchString(f.ClientID) {
		nack("bad_request", "client_id is required (letters, digits, - and _, at most 64)")
		return
	}
	if !c.limits.allow("msg:"+v.visitorID, messagesPerSecond, messageBurst) ||
		!c.limits.allow("msgip:"+v.ip, 5*messagesPerSecond, 5*messageBurst) {
		nack("rate_limited", "too many messages; wait a moment")
		return
	}
	in := hub.Inbound{TenantID: v.ch.TenantID, ChannelID: v.ch.ID, ExternalID: visitorExternal(v.visitorID, f.ClientID),
		Contact: v.contact, Type: "text", Group: v.group, ReceivedAt: c.deps.Now()}
	if f.Group != "" {
		in.Group = hub.Bounded(f.Group, 64)
	}
	if code, msg := c.mayOpen(ctx, v); code != "" {
		nack(code, msg)
		return
	}
	visit := v.visit
	in.Visitor = &visit
	if f.Type == "leave_message" {
		text, contact, err := v.cfg.OfflineForm.compose(f.Fields)
		if err != nil {
			nack("bad_request", err.Error())
			return
		}
		in.Text, in.LeaveMessage = text, true
		in.Contact.Name, in.Contact.Email, in.Contact.Phone = firstOf(contact.Name, in.Contact.Name),
			firstOf(contact.Email, in.Contact.Email), firstOf(contact.Phone, in.Contact.Phone)
	} else {
		in.Text = hub.Clean(f.Text)
		if len([]rune(in.Text)) > maxText {
			nack("too_long", fmt.Sprintf("messages are at most %d characters", maxText))
			return
		}
		atts, typ, err := c.attachments(ctx, v, f)
		if err != nil {
			nack("bad_request", err.Error())
			return
		}
		in.Attachments = atts
		if typ != "" {
			in.Type = typ
		}
		if strings.TrimSpace(in.Text) == "" && len(atts) == 0 {
			nack("bad_request", "the message is empty")
			return
		}
	}
	if err := c.deps.Publish(ctx, in); err != nil {
		c.deps.Log.Warn("visitor message not durable; the widget retries", "channel", v.ch.ID, "err", err)
		nack("unavailable", "not stored; retrying")
		return
	}
	v.sendJSON(map[string]any{"type": "ack", "client_id": f.ClientID})
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// visitorExternal is a visitor message's dedup key: its client id, under
// the visitor's id so no visitor can collide with another's.
func visitorExternal(visitorID, clientID string) string { return "w:" + visitorID + ":" + clientID }

func cutVisitorExternal(ext string) (visitorID, clientID string, ok bool) {
	rest, ok := strings.CutPrefix(ext, "w:")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// attachments resolves the files a message names: uploaded by this visitor
// to this channel.
func (c *Connector) attachments(ctx context.Context, v *visitorConn, f *clientFrame) ([]hub.Attachment, string, error) {
	if len(f.Attachments) > 5 {
		return nil, "", fmt.Errorf("at most 5 attachments")
	}
	var out []hub.Attachment
	typ := ""
	for _, a := range f.Attachments {
		file, err := c.deps.Files.Get(ctx, v.ch.TenantID, a.ID)
		if err != nil || file.ChannelID != v.ch.ID || file.CreatedBy != "visitor:"+v.visitorID {
			return nil, "", fmt.Errorf("attachment %q: upload it first", a.ID)
		}
		out = append(out, hub.Attachment{URL: files.FileURL(file.ID), Name: file.Name, Type: file.ContentType, Size: file.Size})
		if strings.HasPrefix(file.ContentType, "image/") && typ == "" {
			typ = "image"
		} else {
			typ = "file"
		}
	}
	return out, typ, nil
}

// sync sends the messages of the visitor's conversation after a seq.
func (c *Connector) sync(ctx context.Context, v *visitorConn, convID string, after int64) {
	conv, err := c.customers().Conversation(ctx, v.ch.ID, v.contact.ExternalID)
	if err != nil || conv == nil {
		return
	}
	if convID != conv.ID {
		after = 0 // a newer conversation: all of it
	}
	msgs, err := c.customers().Messages(ctx, conv.ID, max(after, 0), 500)
	if err != nil {
		return
	}
	for i := range msgs {
		v.sendJSON(map[string]any{"type": "message", "message": c.hub.customerMessage(v.ch, &msgs[i])})
	}
}

// pong answers a widget ping with where its conversation is, so a widget
// that missed a pushed message notices and syncs.
func (c *Connector) pong(ctx context.Context, v *visitorConn) {
	p := map[string]any{"type": "pong"}
	v.mu.Lock()
	known := v.convID
	v.mu.Unlock()
	c.hub.mu.Lock()
	if ids := c.hub.convsOf[v.key]; known == "" && len(ids) > 0 {
		known = ids[len(ids)-1]
	}
	c.hub.mu.Unlock()
	if known != "" {
		if conv, err := c.customers().Conversation(ctx, v.ch.ID, v.contact.ExternalID); err == nil && conv != nil {
			p["conversation_id"], p["last_seq"], p["status"] = conv.ID, conv.LastSeq, conv.Status
		}
	}
	v.sendJSON(p)
}

func errorBody(err error) map[string]string {
	var inv *hub.InvalidError
	switch {
	case errors.As(err, &inv):
		return map[string]string{"code": "bad_request", "message": inv.Msg}
	case errors.Is(err, hub.ErrNotFound):
		return map[string]string{"code": "not_found", "message": "no such conversation"}
	case errors.Is(err, hub.ErrConflict):
		return map[string]string{"code": "conflict", "message": "already done"}
	}
	return map[string]string{"code": "unavailable", "message": "try again"}
}

func writeFrame(conn *websocket.Conn, v any) bool {
	b, _ := json.Marshal(v)
	return writeRaw(conn, b)
}

func writeRaw(conn *websocket.Conn, b []byte) bool {
	conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return conn.WriteMessage(websocket.TextMessage, b) == nil
}

func wsClose(conn *websocket.Conn, code int, text string) {
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}
