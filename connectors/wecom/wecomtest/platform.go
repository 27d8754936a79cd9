// Package wecomtest is a fake WeCom 微信客服 (kf) for tests: it calls a hub
// back exactly as WeCom does — an encrypted notice (kf_msg_or_event with a
// sync token) signed with msg_signature, the URL check with an encrypted
// echostr — and serves the API the connector calls: gettoken (tokens that
// expire: 42001), kf/sync_msg (pages from a cursor, has_more, the sync
// token checked: 95007), kf/send_msg (5 messages within 48 hours of the
// customer's last one, only while the session is new or with the API:
// 95018), kf/send_msg_on_event (a welcome_code used once within 20 s),
// kf/service_state/get and /trans, media/get and media/upload, and
// injected errors.
//
// It implements connectortest.Fake, so the connector contract suite runs
// through it.
package wecomtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/hub"
)

// Rules the fake enforces.
const (
	Window     = 48 * time.Hour
	MaxReplies = 5
	WelcomeTTL = 20 * time.Second
)

// Codes the fake answers.
const (
	CodeBusy          = -1
	CodeBadSecret     = 40001
	CodeBadToken      = 40014
	CodeTokenExpired  = 42001
	CodeBadMedia      = 40007
	CodeBadSyncToken  = 95007
	CodeSessionClosed = 95018
	CodeBadCode       = 95005 // a welcome/event code unknown, used or expired (the fake's choice)
)

// Account is a customer-service account the fake knows, with its company's
// credentials (Token and EncodingAESKey come from the hub: Bind).
type Account struct {
	wecom.Credentials
}

// AccountOf is the account a 微信客服 channel is bound to.
func AccountOf(ch *hub.Channel) Account {
	c, err := wecom.CredentialsOf(ch)
	if err != nil {
		panic(err)
	}
	return Account{c}
}

// Sent is one message send_msg or send_msg_on_event accepted.
type Sent struct {
	OpenKfID, To string // To is "" for a welcome (send_msg_on_event)
	MsgType      string
	Text         string
	MediaID      string
	MsgID        string
	Code         string // the welcome_code of a send_msg_on_event
	Authentic    bool
	At           time.Time
}

// Call is one API call the fake answered.
type Call struct {
	Path string
	Code int64
}

// Trans is one service_state/trans call.
type Trans struct {
	OpenKfID, User string
	State          int
}

// Platform is the fake. Create it with New; it stops with the test.
type Platform struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	corps    map[string]string   // corpid → secret
	accounts map[string]*Account // open_kfid → account (after Bind: with Token and key)
	tokens   map[string]time.Time
	current  map[string]string          // corpid → the token gettoken hands out
	streams  map[string][]wecom.Message // open_kfid → everything sync_msg serves
	handed   map[string]int             // open_kfid → the furthest position a next_cursor named
	syncToks map[string]time.Time       // callback tokens → expiry
	last     map[string]time.Time       // open_kfid+user → the customer's last message
	replies  map[string]int             // open_kfid+user → replies since
	states   map[string]int             // open_kfid+user → session state
	welcome  map[string]time.Time       // unused welcome codes → issued
	media    map[string][]byte
	sent     []Sent
	calls    []Call
	trans    []Trans
	failNext []int64
	page     int
	hold     chan struct{} // sync_msg calls wait on it once holdLeft pages were answered
	holdLeft int
	cursors  []string // the cursor of every sync_msg call, in order
	pending  *Account
	seq      int64
}

var _ connectortest.Fake = (*Platform)(nil)

// New starts a fake WeCom.
func New(t testing.TB) *Platform {
	p := &Platform{corps: map[string]string{}, accounts: map[string]*Account{}, tokens: map[string]time.Time{},
		current: map[string]string{}, streams: map[string][]wecom.Message{}, handed: map[string]int{},
		syncToks: map[string]time.Time{}, last: map[string]time.Time{}, replies: map[string]int{},
		states: map[string]int{}, welcome: map[string]time.Time{}, media: map[string][]byte{}, page: 1000}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", p.gettoken)
	mux.HandleFunc("POST /cgi-bin/kf/sync_msg", p.syncMsg)
	mux.HandleFunc("POST /cgi-bin/kf/send_msg", p.sendMsg)
	mux.HandleFunc("POST /cgi-bin/kf/send_msg_on_event", p.sendOnEvent)
	mux.HandleFunc("POST /cgi-bin/kf/service_state/get", p.stateGet)
	mux.HandleFunc("POST /cgi-bin/kf/service_state/trans", p.stateTrans)
	mux.HandleFunc("GET /cgi-bin/media/get", p.mediaGet)
	mux.HandleFunc("POST /cgi-bin/media/upload", p.mediaUpload)
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

// NewAccount registers a company and its 微信客服 account; its Token and
// EncodingAESKey are learnt when the hub's channel is bound (Bind).
func (p *Platform) NewAccount() Account {
	a := Account{wecom.Credentials{CorpID: "ww" + randHex(8), Secret: randHex(21), OpenKfID: "wk" + randHex(10)}}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corps[a.CorpID] = a.Secret
	p.accounts[a.OpenKfID] = &a
	return a
}

// Config is a channel config for a fresh account (connectortest.Fake).
func (p *Platform) Config() json.RawMessage {
	a := p.NewAccount()
	p.mu.Lock()
	p.pending = &a
	p.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"corp_id": a.CorpID, "secret": a.Secret, "open_kfid": a.OpenKfID})
	return b
}

// Bind learns the Token and EncodingAESKey the hub made for a channel.
func (p *Platform) Bind(ch *hub.Channel) {
	a := AccountOf(ch)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corps[a.CorpID] = a.Secret
	p.accounts[a.OpenKfID] = &a
}

// Account returns the account as the fake knows it (after Bind).
func (p *Platform) Account(openKfID string) Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.accounts[openKfID]
}

// SetPageSize makes sync_msg answer at most n items a page.
func (p *Platform) SetPageSize(n int) {
	p.mu.Lock()
	p.page = n
	p.mu.Unlock()
}

// ExpireTokens makes every access token handed out so far expired (42001).
func (p *Platform) ExpireTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.tokens {
		p.tokens[k] = time.Now().Add(-time.Second)
	}
	p.current = map[string]string{}
}

// FailNext makes the next n send_msg calls answer errcode -1 (系统繁忙).
func (p *Platform) FailNext(n int) { p.FailWith(n, CodeBusy) }

// FailWith makes the next n send_msg calls answer errcode code.
func (p *Platform) FailWith(n int, code int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.failNext = append(p.failNext, code)
	}
}

// Sent lists what send_msg and send_msg_on_event accepted, in order.
func (p *Platform) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// Calls lists the API calls answered, in order.
func (p *Platform) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Transfers lists the service_state/trans calls, in order.
func (p *Platform) Transfers() []Trans {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Trans(nil), p.trans...)
}

// SetState sets a customer's session state (a WeCom servicer took them: 3).
func (p *Platform) SetState(openKfID, user string, state int) {
	p.mu.Lock()
	p.states[openKfID+"\x00"+user] = state
	p.mu.Unlock()
}

// State is a customer's session state.
func (p *Platform) State(openKfID, user string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.states[openKfID+"\x00"+user]
}

// Received lists the text messages delivered (connectortest.Fake).
func (p *Platform) Received() []connectortest.Received {
	var out []connectortest.Received
	for _, s := range p.Sent() {
		if s.MsgType == "text" && s.To != "" {
			out = append(out, connectortest.Received{ContactID: s.To, Text: s.Text, Authentic: s.Authentic})
		}
	}
	return out
}

// AddMedia serves data at media/get for mediaID.
func (p *Platform) AddMedia(mediaID string, data []byte) {
	p.mu.Lock()
	p.media[mediaID] = data
	p.mu.Unlock()
}

// Media returns what media/upload or AddMedia stored under mediaID.
func (p *Platform) Media(mediaID string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.media[mediaID]
}

// MsgID is a fresh msgid.
func (p *Platform) MsgID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	return strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.FormatInt(p.seq, 36)
}

// HoldSync answers n more sync_msg pages, then holds every later call
// until release is called (or the caller goes away): a pull stuck
// mid-stream, for a hub to die in.
func (p *Platform) HoldSync(n int) (release func()) {
	ch := make(chan struct{})
	p.mu.Lock()
	p.hold, p.holdLeft = ch, n
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.hold = nil
			p.mu.Unlock()
			close(ch)
		})
	}
}

// Cursors lists the cursor each sync_msg call asked from, in order.
func (p *Platform) Cursors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.cursors...)
}

// CursorAt is the cursor sync_msg hands out after the first n items.
func CursorAt(n int) string { return cursorAt(n) }

// BindAccount learns an account's Token and EncodingAESKey as the admin
// pastes them from the hub's channel setup into WeCom.
func (p *Platform) BindAccount(a Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corps[a.CorpID] = a.Secret
	p.accounts[a.OpenKfID] = &a
}
