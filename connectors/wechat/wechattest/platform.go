// Package wechattest is a fake WeChat Official Account platform for tests:
// it pushes messages and events to a hub signed — and in compat and safe
// mode encrypted — exactly as WeChat does, retries as WeChat does, and
// serves the API the connector calls (/cgi-bin/token, /cgi-bin/stable_token,
// /cgi-bin/message/custom/send, /cgi-bin/message/custom/typing,
// /cgi-bin/media/get, /cgi-bin/media/upload) with WeChat's error codes.
//
// It implements connectortest.Fake, so the connector contract suite runs
// through it.
package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/hub"
)

// App is an Official Account the fake knows: its AppID and AppSecret, and
// the server configuration (Token, EncodingAESKey, message mode).
type App struct {
	AppID, Secret, Token, AESKey, Mode string
}

// AppOf is the account a WeChat channel is bound to, as the admin
// configured it on both sides.
func AppOf(ch *hub.Channel) App {
	c, err := wechat.CredentialsOf(ch)
	if err != nil {
		panic(err)
	}
	return App{AppID: c.AppID, Secret: c.AppSecret, Token: c.Token, AESKey: c.EncodingAESKey, Mode: c.Mode}
}

// Sent is one customer-service message the fake accepted.
type Sent struct {
	AppID, ToUser, MsgType, Text, MediaID string
	// Article is a news message's article (a link card).
	Article *Article
	At      time.Time
}

// Article is one article of a news message (图文消息).
type Article struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	PicURL      string `json:"picurl"`
}

// Call is one API call the fake answered (accepted or not).
type Call struct {
	Path    string
	AppID   string
	ErrCode int64
}

type token struct {
	appID   string
	expires time.Time
	revoked bool
}

// Media is temporary media the fake serves from /cgi-bin/media/get.
type Media struct {
	ContentType string
	Data        []byte
	Video       bool // served as {"video_url": …}, as WeChat does for videos
}

// Platform is the fake. Create it with New; it stops with the test.
type Platform struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	apps     map[string]*App
	tokens   map[string]*token
	stable   map[string]string // appid → current stable token
	normal   map[string]string // appid → current /cgi-bin/token token
	sent     []Sent
	typing   []Sent
	calls    []Call
	media    map[string]Media
	uploads  map[string][]byte
	failNext []int64 // errcodes the next custom/send calls answer
	ttl      time.Duration
	// mode is the message mode Config gives new channels (contract suite).
	mode string
}

var _ connectortest.Fake = (*Platform)(nil)

// New starts a fake WeChat.
func New(t testing.TB) *Platform {
	p := &Platform{apps: map[string]*App{}, tokens: map[string]*token{}, stable: map[string]string{},
		normal: map[string]string{}, media: map[string]Media{}, uploads: map[string][]byte{}, ttl: 7200 * time.Second,
		mode: "safe"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", p.tokenEndpoint)
	mux.HandleFunc("POST /cgi-bin/stable_token", p.stableToken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", p.customSend)
	mux.HandleFunc("POST /cgi-bin/message/custom/typing", p.customTyping)
	mux.HandleFunc("GET /cgi-bin/media/get", p.mediaGet)
	mux.HandleFunc("POST /cgi-bin/media/upload", p.mediaUpload)
	mux.HandleFunc("GET /video/{id}", p.video)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// WithMode sets the message mode Config gives new channels.
func (p *Platform) WithMode(mode string) *Platform { p.mode = mode; return p }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewApp registers a fresh account (the AppID/AppSecret an admin copies
// from mp.weixin.qq.com); Token and EncodingAESKey are left to the hub.
func (p *Platform) NewApp(mode string) App {
	a := App{AppID: "wx" + randHex(8), Secret: randHex(16), Mode: mode}
	p.AddApp(a)
	return a
}

// AddApp registers (or updates) an account.
func (p *Platform) AddApp(a App) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := a
	p.apps[a.AppID] = &cp
}

// AddMedia makes media/get serve data for mediaID.
func (p *Platform) AddMedia(mediaID string, m Media) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.media[mediaID] = m
}

// FailSends makes the next custom/send calls answer these errcodes, in order
// (-1 is WeChat's "system busy", 45015 the closed window …).
func (p *Platform) FailSends(codes ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = append(p.failNext, codes...)
}

// RevokeTokens makes every token issued to the app invalid (40001), as
// when another system fetched a new one; the next stable_token call issues
// a fresh one.
func (p *Platform) RevokeTokens(appID string) { p.endTokens(appID, true) }

// ExpireTokens makes every token issued to the app expired (42001).
func (p *Platform) ExpireTokens(appID string) { p.endTokens(appID, false) }

func (p *Platform) endTokens(appID string, revoke bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		if t.appID == appID {
			if revoke {
				t.revoked = true
			} else {
				t.expires = time.Now().Add(-time.Second)
			}
		}
	}
	delete(p.stable, appID)
	delete(p.normal, appID)
}

// Sends lists the customer-service messages accepted, in order.
func (p *Platform) Sends() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// Typings lists the typing commands accepted (Text is the command).
func (p *Platform) Typings() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.typing...)
}

// Calls lists every API call answered, in order.
func (p *Platform) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// AnyErrCode makes CallCount count every answer.
const AnyErrCode int64 = -2

// CallCount counts the calls to a path that were answered errcode (0: the
// accepted ones; AnyErrCode: all).
func (p *Platform) CallCount(path string, errcode int64) int {
	n := 0
	for _, c := range p.Calls() {
		if c.Path == path && (errcode == AnyErrCode || c.ErrCode == errcode) {
			n++
		}
	}
	return n
}

// Uploaded returns the bytes of temporary media uploaded to the fake.
func (p *Platform) Uploaded(mediaID string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.uploads[mediaID]
}

// --- connectortest.Fake ---

// Config is a valid channel config for a fresh account.
func (p *Platform) Config() json.RawMessage {
	a := p.NewApp(p.mode)
	b, _ := json.Marshal(map[string]any{"app_id": a.AppID, "app_secret": a.Secret, "mode": a.Mode})
	return b
}

// Bind learns the Token and EncodingAESKey the hub set up (the admin pastes
// them into WeChat).
func (p *Platform) Bind(ch *hub.Channel) { p.AddApp(AppOf(ch)) }

// Deliver pushes a text message from m.ContactID, signed with the channel's
// Token or (valid=false) a wrong one.
func (p *Platform) Deliver(t *testing.T, hubURL string, ch *hub.Channel, m connectortest.Message, valid bool) int {
	t.Helper()
	var id int64
	for _, r := range m.ID {
		id = id*10 + int64(r-'0')
	}
	o := PushOpts{}
	if !valid {
		o.Token = "forged" + randHex(4)
	}
	r := Push(http.DefaultClient, hubURL+"/webhooks/wechat/"+ch.ID, AppOf(ch), Text(m.ContactID, m.Text, id), o)
	if r.Err != nil {
		t.Fatalf("push: %v", r.Err)
	}
	return r.Status
}

// Received lists the text messages accepted from Send.
func (p *Platform) Received() []connectortest.Received {
	var out []connectortest.Received
	for _, s := range p.Sends() {
		if s.MsgType == "text" {
			out = append(out, connectortest.Received{ContactID: s.ToUser, Text: s.Text, Authentic: true})
		}
	}
	return out
}

// FailNext makes the next n custom/send calls answer WeChat's "system busy".
func (p *Platform) FailNext(n int) {
	for range n {
		p.FailSends(-1)
	}
}
