// Package weibotest is a fake Weibo fans-service platform for tests: it
// pushes private messages and events to a hub as JSON, signed exactly as
// Weibo does (sha1 of the sorted App Secret, timestamp and nonce in the
// query string), retries as Weibo does (5 s, three tries, overlapping), and
// serves the API the connector calls — /2/messages/reply.json (form-encoded,
// data the message as JSON, at most 300 characters of text) and
// /2/mss/msget — with Weibo's {"error","error_code","request"} errors.
//
// It implements connectortest.Fake, so the connector contract suite runs
// through it.
package weibotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/weibo"
	"github.com/kefu-hub/kefu/hub"
)

// App is a Weibo account in developer mode: its App Key and Secret, the
// access token the developer page shows, and the account's uid.
type App struct {
	AppKey, Secret, AccessToken, UID string
}

// AppOf is the account a Weibo channel is bound to.
func AppOf(ch *hub.Channel) App {
	c, err := weibo.CredentialsOf(ch)
	if err != nil {
		panic(err)
	}
	return App{AppKey: c.AppKey, Secret: c.AppSecret, AccessToken: c.AccessToken, UID: c.UID}
}

// Article is one link card of an articles reply.
type Article struct {
	DisplayName string `json:"display_name"`
	Summary     string `json:"summary"`
	Image       string `json:"image"`
	URL         string `json:"url"`
}

// Sent is one customer-service reply the fake accepted.
type Sent struct {
	UID        string // the account that sent it (by its access token)
	ReceiverID string
	Type       string
	Text       string
	Articles   []Article
	At         time.Time
}

// Call is one API call the fake answered (accepted or not).
type Call struct {
	Path      string
	ErrorCode int64
}

// Media is a file the fake serves from /2/mss/msget.
type Media struct {
	ContentType string
	Data        []byte
}

// Platform is the fake. Create it with New; it stops with the test.
type Platform struct {
	URL string

	mu       sync.Mutex
	apps     map[string]*App // by access token
	sent     []Sent
	calls    []Call
	media    map[string]Media
	failNext []int64
}

var _ connectortest.Fake = (*Platform)(nil)

// New starts a fake Weibo.
func New(t testing.TB) *Platform {
	p := &Platform{apps: map[string]*App{}, media: map[string]Media{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2/messages/reply.json", p.replyEndpoint)
	mux.HandleFunc("GET /2/mss/msget", p.msget)
	srv := httptest.NewServer(mux)
	p.URL = srv.URL
	t.Cleanup(srv.Close)
	return p
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewUID is a fresh Weibo uid (ten digits, as real ones are).
func NewUID() int64 {
	n, _ := rand.Int(rand.Reader, big.NewInt(8_999_999_999))
	return 1_000_000_000 + n.Int64()
}

// NewApp registers a fresh account (what an admin copies from the
// developer-mode page).
func (p *Platform) NewApp() App {
	n, _ := rand.Int(rand.Reader, big.NewInt(899_999_999))
	a := App{AppKey: strconv.FormatInt(100_000_000+n.Int64(), 10), Secret: randHex(16), AccessToken: "2.00" + randHex(20),
		UID: strconv.FormatInt(NewUID(), 10)}
	p.AddApp(a)
	return a
}

// AddApp registers (or updates) an account.
func (p *Platform) AddApp(a App) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := a
	p.apps[a.AccessToken] = &cp
}

// RevokeToken makes an access token invalid (21332), as when the admin
// resets it on Weibo.
func (p *Platform) RevokeToken(token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.apps, token)
}

// AddMedia makes msget serve data for fid.
func (p *Platform) AddMedia(fid string, m Media) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.media[fid] = m
}

// FailReplies makes the next reply calls answer these error codes, in
// order (10001 system error, 21327 expired token …; 0 lets that call
// through).
func (p *Platform) FailReplies(codes ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = append(p.failNext, codes...)
}

// Sends lists the replies accepted, in order.
func (p *Platform) Sends() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// Calls lists every API call answered, in order.
func (p *Platform) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// weibo's errors, as the real API words them.
var errorTexts = map[int64]string{
	10001: "system error", 10002: "service unavailable", 10008: "param error, see doc for more info",
	10023: "User requests out of rate limit!", 20003: "User does not exists!", 21327: "expired_token",
	21332: "invalid_access_token",
}

func (p *Platform) fail(w http.ResponseWriter, r *http.Request, code int64) {
	p.calls = append(p.calls, Call{Path: r.URL.Path, ErrorCode: code})
	status := http.StatusBadRequest
	switch {
	case code == 10001 || code == 10002:
		status = http.StatusInternalServerError
	case code >= 21300 && code < 21400:
		status = http.StatusUnauthorized
	}
	msg := errorTexts[code]
	if msg == "" {
		msg = "error " + strconv.FormatInt(code, 10)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": msg, "error_code": code, "request": r.URL.Path})
}

// replyEndpoint is /2/messages/reply.json: form-encoded access_token,
// receiver_id, type (text, articles, position) and data (JSON).
func (p *Platform) replyEndpoint(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.fail(w, r, 10008)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f := r.PostForm
	app, ok := p.apps[f.Get("access_token")]
	if !ok {
		p.fail(w, r, 21332)
		return
	}
	if len(p.failNext) > 0 {
		code := p.failNext[0]
		p.failNext = p.failNext[1:]
		if code != 0 {
			p.fail(w, r, code)
			return
		}
	}
	rid, err := strconv.ParseInt(f.Get("receiver_id"), 10, 64)
	if err != nil || rid <= 0 {
		p.fail(w, r, 10008)
		return
	}
	s := Sent{UID: app.UID, ReceiverID: f.Get("receiver_id"), Type: f.Get("type"), At: time.Now()}
	switch s.Type {
	case "text":
		var d struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(f.Get("data")), &d) != nil || d.Text == "" || utf8.RuneCountInString(d.Text) > weibo.MaxText {
			p.fail(w, r, 10008)
			return
		}
		s.Text = d.Text
	case "articles":
		var d struct {
			Articles []Article `json:"articles"`
		}
		if json.Unmarshal([]byte(f.Get("data")), &d) != nil || len(d.Articles) == 0 || d.Articles[0].URL == "" {
			p.fail(w, r, 10008)
			return
		}
		s.Articles = d.Articles
	default:
		p.fail(w, r, 10008)
		return
	}
	p.sent = append(p.sent, s)
	p.calls = append(p.calls, Call{Path: r.URL.Path})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(map[string]any{"result": true, "sender_id": json.Number(app.UID),
		"receiver_id": json.Number(s.ReceiverID), "type": s.Type, "data": f.Get("data")})
}

// msget serves a file a user sent, by fid.
func (p *Platform) msget(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.apps[r.URL.Query().Get("access_token")]; !ok {
		p.fail(w, r, 21332)
		return
	}
	m, ok := p.media[r.URL.Query().Get("fid")]
	if !ok {
		p.fail(w, r, 10008)
		return
	}
	p.calls = append(p.calls, Call{Path: r.URL.Path})
	w.Header().Set("Content-Type", m.ContentType)
	w.Write(m.Data)
}

// --- connectortest.Fake ---

// Config is a valid channel config for a fresh account.
func (p *Platform) Config() json.RawMessage {
	a := p.NewApp()
	b, _ := json.Marshal(map[string]any{"app_key": a.AppKey, "app_secret": a.Secret, "access_token": a.AccessToken, "uid": a.UID})
	return b
}

// Bind learns the channel's account (nothing is generated on the hub's
// side that Weibo needs).
func (p *Platform) Bind(ch *hub.Channel) { p.AddApp(AppOf(ch)) }

// Deliver pushes a text message from m.ContactID (digits), signed with the
// channel's App Secret or (valid=false) a wrong one. The message id becomes
// the push's time, so two messages differ and a redelivery repeats it.
func (p *Platform) Deliver(t *testing.T, hubURL string, ch *hub.Channel, m connectortest.Message, valid bool) int {
	t.Helper()
	sender, err := strconv.ParseInt(m.ContactID, 10, 64)
	if err != nil {
		t.Fatalf("a Weibo sender id is a number, got %q", m.ContactID)
	}
	id, _ := strconv.ParseInt(m.ID, 10, 64)
	msg := Text(sender, m.Text)
	msg.CreatedAt = time.Unix(1_700_000_000+id%100_000_000, 0)
	o := PushOpts{}
	if !valid {
		o.Secret = "forged" + randHex(8)
	}
	r := Push(http.DefaultClient, hubURL+"/webhooks/weibo/"+ch.ID, AppOf(ch), msg, o)
	if r.Err != nil {
		t.Fatalf("push: %v", r.Err)
	}
	return r.Status
}

// Received lists the text replies accepted.
func (p *Platform) Received() []connectortest.Received {
	var out []connectortest.Received
	for _, s := range p.Sends() {
		if s.Type == "text" {
			out = append(out, connectortest.Received{ContactID: s.ReceiverID, Text: s.Text, Authentic: true})
		}
	}
	return out
}

// FailNext makes the next n reply calls answer Weibo's "system error".
func (p *Platform) FailNext(n int) {
	for range n {
		p.FailReplies(10001)
	}
}

// String names the fake in test logs.
func (p *Platform) String() string { return fmt.Sprintf("fake Weibo at %s", p.URL) }
