package kit

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// NewWebChannel creates a web channel (allowed on shop.example.com unless
// cfg says otherwise); it returns its id and identity secret.
func (c *Client) NewWebChannel(cfg map[string]any) (string, string) {
	c.T.Helper()
	if cfg["allowed_domains"] == nil {
		cfg["allowed_domains"] = []string{"shop.example.com"}
	}
	r := c.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "web", "name": "官网", "config": cfg})
	if s := r.Str("setup.snippet"); !strings.Contains(s, `/widget.js" data-channel="`+r.Str("id")+`"`) {
		c.T.Fatalf("snippet %q", s)
	}
	return r.Str("id"), r.Str("setup.identity_secret")
}

// Visitor is a widget's socket.
type Visitor struct {
	T      testing.TB
	Conn   *websocket.Conn
	Frames chan map[string]any
	ID     string
	Token  string
	// CloseCode is the code of the hub's close frame, set once Frames is
	// closed (0: none, the connection just ended).
	CloseCode int
	// held are frames Say passed over while it waited for its ack; Next
	// returns them first.
	held []map[string]any
}

// VisitorOpts is what a widget says in its hello.
type VisitorOpts struct {
	Origin   string
	ID       string
	Token    string
	Identity map[string]any
	Page     map[string]any
	Conv     map[string]any
	Agent    string
	// ForwardedFor is sent as X-Forwarded-For (a proxy's claim).
	ForwardedFor string
}

// DialVisitor opens a visitor socket and reads welcome (or the refusal).
func DialVisitor(t testing.TB, base, channelID string, o VisitorOpts) (*Visitor, map[string]any, error) {
	t.Helper()
	if o.Origin == "" {
		o.Origin = "https://shop.example.com"
	}
	h := http.Header{"Origin": {o.Origin}, "User-Agent": {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}}
	if o.ForwardedFor != "" {
		h.Set("X-Forwarded-For", o.ForwardedFor)
	}
	u := "ws" + strings.TrimPrefix(base, "http") + "/webhooks/web/" + channelID + "/ws"
	conn, res, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		if res != nil {
			return nil, nil, fmt.Errorf("status %d: %w", res.StatusCode, err)
		}
		return nil, nil, err
	}
	hello := map[string]any{"type": "hello", "lang": "zh-CN", "page": o.Page}
	if o.Page == nil {
		hello["page"] = map[string]any{"url": "https://shop.example.com/pricing", "title": "价格",
			"referrer": "https://www.baidu.com/s?ie=utf-8&wd=%E5%9C%A8%E7%BA%BF%E5%AE%A2%E6%9C%8D"}
	}
	if o.ID != "" {
		hello["visitor"] = map[string]any{"id": o.ID, "token": o.Token}
	}
	if o.Identity != nil {
		hello["identity"] = o.Identity
	}
	if o.Conv != nil {
		hello["conversation"] = o.Conv
	}
	if o.Agent != "" {
		hello["agent"] = o.Agent
	}
	conn.WriteJSON(hello)
	v := &Visitor{T: t, Conn: conn, Frames: make(chan map[string]any, 1000)}
	go func() {
		defer close(v.Frames)
		for {
			var f map[string]any
			if err := conn.ReadJSON(&f); err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					v.CloseCode = ce.Code
				}
				return
			}
			v.Frames <- f
		}
	}()
	t.Cleanup(func() { conn.Close() })
	w := v.Next(10 * time.Second)
	if w == nil {
		return v, nil, fmt.Errorf("socket closed before welcome")
	}
	if w["type"] == "welcome" {
		v.ID, v.Token = Dig(w, "visitor", "id").(string), Dig(w, "visitor", "token").(string)
	}
	return v, w, nil
}

// Closed waits (up to d) until the hub closes the socket and returns the
// close code (0 when it did not close it within d).
func (v *Visitor) Closed(d time.Duration) int {
	deadline := time.After(d)
	for {
		select {
		case _, open := <-v.Frames:
			if !open {
				return v.CloseCode
			}
		case <-deadline:
			return 0
		}
	}
}

// Next is the next frame, or nil when none comes within d.
func (v *Visitor) Next(d time.Duration) map[string]any {
	if len(v.held) > 0 {
		f := v.held[0]
		v.held = v.held[1:]
		return f
	}
	select {
	case f := <-v.Frames:
		return f
	case <-time.After(d):
		return nil
	}
}

// WaitFor returns the first frame of type typ matching pred.
func (v *Visitor) WaitFor(typ string, d time.Duration, pred func(map[string]any) bool) map[string]any {
	v.T.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f := v.Next(time.Until(deadline))
		if f == nil {
			break
		}
		if f["type"] == typ && (pred == nil || pred(f)) {
			return f
		}
	}
	v.T.Fatalf("visitor: no %s frame within %s", typ, d)
	return nil
}

// Send writes a frame.
func (v *Visitor) Send(f map[string]any) {
	v.T.Helper()
	if err := v.Conn.WriteJSON(f); err != nil {
		v.T.Fatalf("visitor send: %v", err)
	}
}

// Say sends a message and waits for its ack. What comes before the ack
// (the hub may store the message and tell the conversation before the
// ack is written) is kept for the next WaitFor.
func (v *Visitor) Say(clientID, text string) {
	v.T.Helper()
	v.Send(map[string]any{"type": "message", "client_id": clientID, "text": text})
	var before []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f := v.Next(time.Until(deadline))
		if f == nil {
			break
		}
		if f["type"] == "ack" && f["client_id"] == clientID {
			v.held = append(before, v.held...)
			return
		}
		before = append(before, f)
	}
	v.T.Fatalf("visitor: no ack of %s within 10s", clientID)
}

// MessageText is the text of a visitor frame's message.
func MessageText(f map[string]any) string { s, _ := Dig(f, "message", "text").(string); return s }
