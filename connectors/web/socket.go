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
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/connectors/web/visitors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// Websocket hygiene (custsock): one writer at a time, write deadlines,
// read limits, ping/pong, slow sockets dropped (they resume), small
// buffers: a visitor socket is mostly idle and there are many.
const (
	maxText     = 5000
	historySize = 50
	// maxHandling bounds the widget frames handled at once across sockets
	// (each on a short-lived goroutine, see offload).
	maxHandling = 256
)

// visitorConn is one open visitor socket. It has one goroutine of its own,
// the reader; its writing side (out) runs a writer only while it has
// frames to send.
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
	out       *custsock.Conn
	cancel    context.CancelFunc // ends the socket's handlers
	admitted  atomic.Bool        // holds a slot of the socket caps (given back in gone)
	activeAt  time.Time          // when the visitor was last seen to have an active conversation (opens.go)
	noneAt    time.Time          // when the welcome found the visitor without one (opens.go)
	mu        sync.Mutex
	convID    string // the conversation the socket last showed
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
	Reasons        []string          `json:"reasons"`
	Fields         map[string]string `json:"fields"`
	MessageID      string            `json:"message_id"`
	Helpful        bool              `json:"helpful"`
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
	if !c.limits.Allow("ip:"+ip, rate.Every(time.Minute/connectsPerMinute), connectBurst) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many connections; try again later")
		return
	}
	refused := c.admit.enter(ip, ch.ID)
	conn, err := custsock.Upgrader.Upgrade(g.Writer, g.Request, nil)
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
	conn.SetReadLimit(custsock.ReadLimit)
	ctx, cancel := context.WithCancel(context.Background()) // the request context ends with the hijack
	// The handler writes the welcome itself: no writer runs until it is out.
	v := &visitorConn{c: c, ch: ch, cfg: cfg, ip: ip, cancel: cancel}
	v.admitted.Store(true)
	v.out = custsock.New(conn, c.socks.Go, func() { c.gone(v) })
	hello, ok := c.hello(ctx, v, g.Request)
	if !ok {
		cancel()
		conn.Close()
		c.admit.leave(ip, ch.ID)
		return
	}
	if !c.hub.add(v, "") {
		custsock.CloseWith(conn, websocket.CloseServiceRestart, "restarting")
		cancel()
		conn.Close()
		c.admit.leave(ip, ch.ID)
		return
	}
	welcome, err := c.welcome(ctx, v, hello)
	if err == nil && !custsock.WriteFrame(conn, welcome) {
		err = errors.New("write welcome")
	}
	if err != nil {
		c.deps.Log.Debug("visitor welcome", "channel", ch.ID, "err", err)
		custsock.CloseWith(conn, websocket.CloseTryAgainLater, "try again")
		c.gone(v)
		return
	}
	// The socket lives on in its reader (and a writer while there is
	// something to write); this handler (and the HTTP server goroutine
	// with its deep stack) returns, which keeps an idle visitor cheap.
	c.socks.Go(func() { c.reader(ctx, v) })
	v.out.Start() // what was queued during the welcome; then the writer stops
}

// gone cleans up after a socket: it is closed and unregistered, and the
// visitor marked as having left when it was their last socket here.
func (c *Connector) gone(v *visitorConn) {
	v.out.Stop()
	v.cancel()
	if v.admitted.Swap(false) {
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
	conn := v.out.WS
	conn.SetReadDeadline(time.Now().Add(custsock.HelloWait))
	var f clientFrame
	if err := conn.ReadJSON(&f); err != nil || f.Type != "hello" {
		custsock.CloseWith(conn, websocket.ClosePolicyViolation, "the first frame must be hello")
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
		custsock.CloseWith(conn, websocket.CloseTryAgainLater, "try again")
		return nil, false
	}
	// Routing sees where this visit came from (its first page's referrer).
	v.visit.IP, v.visit.Region, v.visit.Referrer = v.ip, arrived.Region, arrived.Referrer
	v.visit.Keyword, v.visit.Page = arrived.Keyword, arrived.PageURL
	v.visit.Engine, v.visit.Device = arrived.Engine, visitors.Device(r.UserAgent())
	v.online = c.hub.available(ctx, ch)
	return &f, true
}

func (c *Connector) refuse(conn *websocket.Conn, code int, errCode, msg string) {
	custsock.Refuse(conn, code, errCode, msg)
}

// welcome is the first server frame: the visitor's id and token, the
// availability, and the conversation the page should show.
func (c *Connector) welcome(ctx context.Context, v *visitorConn, f *clientFrame) (map[string]any, error) {
	w := map[string]any{"type": "welcome", "online": v.online,
		"visitor":      map[string]string{"id": v.visitorID, "token": visitorToken(v.ch, v.visitorID)},
		"conversation": nil, "messages": []any{}}
	conv, err := c.customers().Conversation(ctx, v.ch.ID, v.contact.ExternalID)
	if err != nil {
		return w, err
	}
	// What the welcome read spares the first message's cap check a read.
	v.mu.Lock()
	if conv == nil || conv.Status == hub.ConvClosed {
		v.noneAt = time.Now()
	} else {
		v.activeAt = time.Now()
	}
	v.mu.Unlock()
	if conv == nil {
		return w, nil
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
		out[i] = c.proj.Message(v.ch, &msgs[i])
	}
	cv := map[string]any{"id": conv.ID, "status": conv.Status, "last_seq": conv.LastSeq}
	if conv.AssigneeID != nil {
		ag := map[string]string{"name": c.names.Get(v.ch.TenantID, *conv.AssigneeID)}
		if c.proj.Avatars != nil {
			ag["avatar"] = c.proj.Avatars.Get(v.ch.TenantID, *conv.AssigneeID)
		}
		cv["agent"] = ag
	}
	w["conversation"], w["messages"] = cv, out
	return w, nil
}

// reader reads the widget's frames until the socket closes. Each frame is
// handled off the reader (offload), so the reader's stack stays small
// however deep storing a message goes.
func (c *Connector) reader(ctx context.Context, v *visitorConn) {
	defer v.out.Close()
	conn := v.out.WS
	conn.SetReadDeadline(time.Now().Add(custsock.PongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(custsock.PongWait)) })
	for {
		_, b, err := conn.ReadMessage() // beyond the read limit: closed with 1009
		if err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(custsock.PongWait))
		if !c.handling.Run(ctx, func() { c.frame(ctx, v, b) }) {
			return
		}
	}
}

// frame handles one widget frame.
func (c *Connector) frame(ctx context.Context, v *visitorConn, b []byte) {
	var f clientFrame
	if err := json.Unmarshal(b, &f); err != nil {
		v.out.Fail("bad_frame", "frames are JSON objects (connectors/web/doc.go)")
		return
	}
	if !c.limits.Allow("frames:"+v.visitorID, framesPerSecond, frameBurst) {
		v.out.Fail("rate_limited", "too many frames; slow down")
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
		err := c.customers().Rate(ctx, ch, v.contact.ExternalID, f.ConversationID, f.Score, f.Comment, f.Reasons)
		if err != nil {
			v.out.SendJSON(map[string]any{"type": "error", "rate": f.ConversationID, "error": errorBody(err)})
			return
		}
		v.out.SendJSON(map[string]any{"type": "ack", "rate": f.ConversationID})
	case "feedback":
		c.feedback(ctx, v, f)
	case "ping":
		c.pong(ctx, v)
	default:
		v.out.Fail("bad_frame", "unknown frame type")
	}
}

// feedback stores the visitor's "helpful?" on a robot answer.
func (c *Connector) feedback(ctx context.Context, v *visitorConn, f *clientFrame) {
	err := fmt.Errorf("%w: the channel takes no feedback", hub.ErrNotFound)
	if c.deps.Robot != nil && f.MessageID != "" && len(f.MessageID) <= 64 {
		err = c.deps.Robot.Feedback(ctx, v.ch, v.contact.ExternalID, f.MessageID, f.Helpful)
	}
	if err != nil {
		v.out.SendJSON(map[string]any{"type": "error", "feedback": hub.Bounded(f.MessageID, 64), "error": errorBody(err)})
		return
	}
	v.out.SendJSON(map[string]any{"type": "ack", "feedback": f.MessageID})
}

// message publishes a visitor's message (or left message) on the durable
// inbound path and acknowledges it once stored on the bus.
func (c *Connector) message(ctx context.Context, v *visitorConn, f *clientFrame) {
	nack := func(code, msg string) {
		v.out.SendJSON(map[string]any{"type": "error", "client_id": f.ClientID,
			"error": map[string]string{"code": code, "message": msg}})
	}
	if !clientIDRe.MatchString(f.ClientID) {
		nack("bad_request", "client_id is required (letters, digits, - and _, at most 64)")
		return
	}
	if !c.limits.Allow("msg:"+v.visitorID, messagesPerSecond, messageBurst) ||
		!c.limits.Allow("msgip:"+v.ip, 5*messagesPerSecond, 5*messageBurst) {
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
	v.out.SendJSON(map[string]any{"type": "ack", "client_id": f.ClientID})
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
		v.out.SendJSON(map[string]any{"type": "message", "message": c.proj.Message(v.ch, &msgs[i])})
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
	v.out.SendJSON(p)
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
