// Package qqtest is a fake QQ open platform (q.qq.com bot API v2) for
// tests: it calls a hub back with events signed with Ed25519 exactly as
// the platform does (the AppSecret repeated to a 32-byte seed; timestamp +
// raw body), checks the op 13 answer, retries with overlapping requests,
// and serves the API the connector calls — POST /app/getAppAccessToken
// (expires_in a string), /v2/users/{openid}/messages,
// /v2/groups/{group_openid}/messages and their /files — enforcing the
// platform's rules: a valid QQBot token, msg_id naming a message the user
// sent within 60 minutes (groups: 5), at most 5 answers per msg_id, msg_seq
// unique per msg_id (40054005), and injected errors (22009 …).
//
// It implements connectortest.Fake, so the connector contract suite runs
// through it.
package qqtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/qq"
	"github.com/kefu-hub/kefu/hub"
)

// App is a bot the fake knows.
type App struct{ AppID, Secret string }

// AppOf is the bot a QQ channel is bound to.
func AppOf(ch *hub.Channel) App {
	c, err := qq.CredentialsOf(ch)
	if err != nil {
		panic(err)
	}
	return App{AppID: c.AppID, Secret: c.AppSecret}
}

// Sent is one message the fake accepted.
type Sent struct {
	AppID string
	// To is the recipient as the hub names contacts: the user's openid, or
	// qq.GroupContact(group, member) for a group answer (member is the
	// author of the message answered).
	To      string
	MsgType int
	Text    string
	MsgID   string
	MsgSeq  int
	File    []byte // an image's bytes (msg_type 7)
	At      time.Time
}

// Call is one API call the fake answered.
type Call struct {
	Path   string
	Status int
	Code   int64
}

type token struct {
	appID   string
	expires time.Time
}

// inbound is a message the fake pushed: who sent it, where, and when.
type inbound struct {
	appID, to string // to: the openid, or the group contact
	at        time.Time
	group     bool
	seqs      map[int]bool
}

// Platform is the fake. Create it with New; it stops with the test.
type Platform struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	apps     map[string]*App
	tokens   map[string]*token
	current  map[string]string // appid → the token getAppAccessToken hands out
	msgs     map[string]*inbound
	sent     []Sent
	calls    []Call
	media    map[string][]byte
	uploads  map[string][]byte
	failNext []int64 // codes the next message calls answer (500: an HTTP 500)
	ttl      time.Duration
	windows  [2]time.Duration // C2C, group
	pending  *App             // the app Config handed out, for Bind
}

var _ connectortest.Fake = (*Platform)(nil)

// New starts a fake QQ platform.
func New(t testing.TB) *Platform {
	p := &Platform{apps: map[string]*App{}, tokens: map[string]*token{}, current: map[string]string{},
		msgs: map[string]*inbound{}, media: map[string][]byte{}, uploads: map[string][]byte{}, ttl: 7200 * time.Second,
		windows: [2]time.Duration{C2CWindow, GroupWindow}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/getAppAccessToken", p.tokenEndpoint)
	mux.HandleFunc("POST /v2/users/{openid}/messages", p.message)
	mux.HandleFunc("POST /v2/groups/{group}/messages", p.message)
	mux.HandleFunc("POST /v2/users/{openid}/files", p.upload)
	mux.HandleFunc("POST /v2/groups/{group}/files", p.upload)
	mux.HandleFunc("GET /media/{id}", p.serveMedia)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var appSeq = struct {
	sync.Mutex
	n int64
}{n: time.Now().UnixNano() % 1e9}

// NewApp registers a fresh bot (the AppID and AppSecret an admin copies
// from q.qq.com).
func (p *Platform) NewApp() App {
	appSeq.Lock()
	appSeq.n++
	id := fmt.Sprint(102000000 + appSeq.n)
	appSeq.Unlock()
	a := App{AppID: id, Secret: randHex(8) + "Qq" + randHex(4)}
	p.AddApp(a)
	return a
}

// AddApp registers a bot.
func (p *Platform) AddApp(a App) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := a
	p.apps[a.AppID] = &cp
}

// AddMedia serves data at MediaURL(id), as the platform serves attachments.
func (p *Platform) AddMedia(id string, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.media[id] = data
}

// MediaURL is where the fake serves media id.
func (p *Platform) MediaURL(id string) string { return p.URL + "/media/" + id }

// FailSends makes the next message calls answer these codes, in order
// (500: an HTTP 500; 22009: sending too often …).
func (p *Platform) FailSends(codes ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = append(p.failNext, codes...)
}

// ExpireTokens ends every token issued to the bot (11244 on use); the next
// getAppAccessToken issues a fresh one.
func (p *Platform) ExpireTokens(appID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		if t.appID == appID {
			t.expires = time.Now().Add(-time.Second)
		}
	}
	delete(p.current, appID)
}

// SetWindows shortens the reply windows (to see them close in a test).
func (p *Platform) SetWindows(c2c, group time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.windows = [2]time.Duration{c2c, group}
}

// Age makes a pushed message older by d (to close its reply window).
func (p *Platform) Age(msgID string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := p.msgs[msgID]; m != nil {
		m.at = m.at.Add(-d)
	}
}

// Sends lists the messages accepted, in order.
func (p *Platform) Sends() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// CallCount counts the calls to a path pattern ("token", "messages",
// "files") answered with code (0: accepted; -1: all).
func (p *Platform) CallCount(kind string, code int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		if c.Path == kind && (code == -1 || c.Code == code) {
			n++
		}
	}
	return n
}

// Config is a fresh bot's channel config (contract suite).
func (p *Platform) Config() json.RawMessage {
	a := p.NewApp()
	p.mu.Lock()
	p.pending = &a
	p.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"app_id": a.AppID, "app_secret": a.Secret})
	return b
}

// Bind registers the bot as the channel holds it (contract suite).
func (p *Platform) Bind(ch *hub.Channel) { p.AddApp(AppOf(ch)) }

// Deliver pushes m as a C2C message (contract suite).
func (p *Platform) Deliver(t *testing.T, hubURL string, ch *hub.Channel, m connectortest.Message, valid bool) int {
	app := AppOf(ch)
	o := Opts{}
	if !valid {
		o.Secret = "forged" + randHex(8)
	}
	r := p.Push(hubURL+"/webhooks/qq/"+ch.ID, app, C2C(m.ContactID, "ROBOT1.0_"+m.ID, m.Text), o)
	if r.Err != nil {
		t.Fatalf("deliver: %v", r.Err)
	}
	return r.Status
}

// Received lists the text messages accepted (contract suite).
func (p *Platform) Received() []connectortest.Received {
	var out []connectortest.Received
	for _, s := range p.Sends() {
		out = append(out, connectortest.Received{ContactID: s.To, Text: s.Text, Authentic: true})
	}
	return out
}

// FailNext makes the next n message calls answer HTTP 500 (contract suite).
func (p *Platform) FailNext(n int) {
	for range n {
		p.FailSends(500)
	}
}
