package wecomtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/hub"
)

// Text is a customer's text message.
func Text(msgID, user, content string) wecom.Message {
	return wecom.Message{MsgID: msgID, ExternalUserID: user, SendTime: time.Now().Unix(), Origin: wecom.OriginCustomer,
		MsgType: "text", Text: &wecom.Text{Content: content}}
}

// MediaMsg is a customer's image, voice, video or file.
func MediaMsg(msgID, user, typ, mediaID string) wecom.Message {
	m := wecom.Message{MsgID: msgID, ExternalUserID: user, SendTime: time.Now().Unix(), Origin: wecom.OriginCustomer, MsgType: typ}
	md := &wecom.Media{MediaID: mediaID}
	switch typ {
	case "image":
		m.Image = md
	case "voice":
		m.Voice = md
	case "video":
		m.Video = md
	default:
		m.File = md
	}
	return m
}

// EnterSession is a customer opening the chat; welcomeCode "" when WeCom
// allows no welcome.
func EnterSession(msgID, user, scene, welcomeCode string) wecom.Message {
	return wecom.Message{MsgID: msgID, SendTime: time.Now().Unix(), Origin: wecom.OriginEvent, MsgType: "event",
		Event: &wecom.Event{EventType: wecom.EventEnterSession, ExternalUserID: user, Scene: scene, WelcomeCode: welcomeCode}}
}

// MsgSendFail is WeCom's report that a message it took was not delivered
// (failMsgID: the msgid send_msg answered; failType: 4 session expired, 6
// over the 5-message limit, 10 the customer refuses messages …).
func MsgSendFail(msgID, user, failMsgID string, failType int) wecom.Message {
	return wecom.Message{MsgID: msgID, SendTime: time.Now().Unix(), Origin: wecom.OriginEvent, MsgType: "event",
		Event: &wecom.Event{EventType: wecom.EventMsgSendFail, ExternalUserID: user, FailMsgID: failMsgID, FailType: failType}}
}

// Add appends messages to an account's stream, as customers write them
// (the open_kfid is filled in; a customer's message opens their 48-hour
// window and resets the count; a welcome_code becomes usable).
func (p *Platform) Add(openKfID string, ms ...wecom.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.add(openKfID, ms...)
}

func (p *Platform) add(openKfID string, ms ...wecom.Message) {
	for _, m := range ms {
		m.OpenKfID = openKfID
		if m.Event != nil {
			m.Event.OpenKfID, m.OpenKfID = openKfID, ""
			if m.Event.WelcomeCode != "" {
				p.welcome[m.Event.WelcomeCode] = time.Now()
			}
		}
		if m.Origin == wecom.OriginCustomer {
			key := openKfID + "\x00" + m.ExternalUserID
			p.last[key], p.replies[key] = time.Unix(m.SendTime, 0), 0
			if st := p.states[key]; st == 4 {
				p.states[key] = 0
			}
		}
		p.streams[openKfID] = append(p.streams[openKfID], m)
	}
}

// Stream is everything an account's sync_msg serves, in order.
func (p *Platform) Stream(openKfID string) []wecom.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wecom.Message(nil), p.streams[openKfID]...)
}

// Opts change a callback.
type Opts struct {
	Token     string // sign with this Token instead of the account's
	AESKey    string // encrypt with this key instead of the account's
	CorpID    string // encrypt for this receiver id instead of the account's
	Timestamp int64  // instead of now
	Body      []byte // post this body as is
	SyncToken string // the notice's Token instead of a fresh one
	Chunked   bool   // send the body chunked (no Content-Length)
	Client    *http.Client
}

// Result is the hub's answer to a callback.
type Result struct {
	Status int
	Body   string
}

// OK reports the answer WeCom takes as received.
func (r Result) OK() bool { return r.Status == http.StatusOK }

// Notify calls the hub back as WeCom does when an account has something
// new: an encrypted kf_msg_or_event notice with a fresh sync token.
func (p *Platform) Notify(hubURL string, a Account, o Opts) Result {
	tok := o.SyncToken
	if tok == "" {
		tok = "ENC" + randHex(12)
		p.mu.Lock()
		p.syncToks[tok] = time.Now().Add(10 * time.Minute)
		p.mu.Unlock()
	}
	plain := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[%s]]></Token>"+
		"<OpenKfId><![CDATA[%s]]></OpenKfId></xml>", a.CorpID, time.Now().Unix(), tok, a.OpenKfID)
	return Post(hubURL, a, []byte(plain), o)
}

// Post encrypts plain for the account and posts it to the hub, signed.
func Post(hubURL string, a Account, plain []byte, o Opts) Result {
	token, key, corp := pick(o.Token, a.Token), pick(o.AESKey, a.EncodingAESKey), pick(o.CorpID, a.CorpID)
	enc, err := util.EncryptMsg([]byte(randHex(8)), plain, corp, key)
	if err != nil {
		return Result{Status: -1, Body: err.Error()}
	}
	ts := o.Timestamp
	if ts == 0 {
		ts = time.Now().Unix()
	}
	nonce := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	body := o.Body
	if body == nil {
		body = []byte(fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><AgentID><![CDATA[]]></AgentID>"+
			"<Encrypt><![CDATA[%s]]></Encrypt></xml>", a.CorpID, enc))
	}
	q := url.Values{"msg_signature": {wecom.Sign(token, strconv.FormatInt(ts, 10), nonce, string(enc))},
		"timestamp": {strconv.FormatInt(ts, 10)}, "nonce": {nonce}}
	var rd io.Reader = bytes.NewReader(body)
	if o.Chunked {
		rd = io.MultiReader(rd) // hides the length: sent chunked
	}
	req, _ := http.NewRequest(http.MethodPost, hubURL+"?"+q.Encode(), rd)
	req.Header.Set("Content-Type", "text/xml")
	return do(o.Client, req)
}

func do(c *http.Client, req *http.Request) Result {
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return Result{Status: -1, Body: err.Error()}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return Result{Status: res.StatusCode, Body: string(b)}
}

func pick(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

// Verify runs WeCom's URL check (保存回调配置): a signed GET with an
// encrypted echostr; the hub must answer its plaintext.
func Verify(hubURL string, a Account, o Opts) (Result, error) {
	echo := "echo-" + randHex(8)
	token, key := pick(o.Token, a.Token), pick(o.AESKey, a.EncodingAESKey)
	enc, err := util.EncryptMsg([]byte(randHex(8)), []byte(echo), a.CorpID, key)
	if err != nil {
		return Result{}, err
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), randHex(4)
	q := url.Values{"msg_signature": {wecom.Sign(token, ts, nonce, string(enc))}, "timestamp": {ts}, "nonce": {nonce},
		"echostr": {string(enc)}}
	req, _ := http.NewRequest(http.MethodGet, hubURL+"?"+q.Encode(), nil)
	r := do(o.Client, req)
	if r.Status == http.StatusOK && r.Body != echo {
		return r, fmt.Errorf("the hub answered %q, want the decrypted echostr %q", r.Body, echo)
	}
	return r, nil
}

// NotifyOverlapping sends n notices at once, as WeCom's retries (and
// several messages arriving together) overlap.
func (p *Platform) NotifyOverlapping(hubURL string, a Account, n int) []Result {
	out := make([]Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = p.Notify(hubURL, a, Opts{}) })
	}
	wg.Wait()
	return out
}

// Deliver adds m as a customer's text and notifies the hub
// (connectortest.Fake). A message the hub was already handed past is
// added again (WeCom's stream then holds it twice: the hub must store it
// once); a message longer than the suite's body limit is sent as an
// oversize callback body, which is what the suite checks.
func (p *Platform) Deliver(t *testing.T, hubURL string, ch *hub.Channel, m connectortest.Message, valid bool) int {
	t.Helper()
	a := AccountOf(ch)
	u := hubURL + "/webhooks/" + wecom.Type + "/" + ch.ID
	if len(m.Text) > connectortest.MaxBody {
		body := []byte("<xml><Encrypt><![CDATA[" + strings.Repeat("A", connectortest.MaxBody+1) + "]]></Encrypt></xml>")
		return Post(u, a, nil, Opts{Body: body}).Status
	}
	if !valid {
		return p.Notify(u, a, Opts{Token: "forged" + randHex(4)}).Status
	}
	p.mu.Lock()
	if !p.pendingAt(a.OpenKfID, m.ID) {
		p.add(a.OpenKfID, Text(m.ID, m.ContactID, m.Text))
	}
	p.mu.Unlock()
	return p.Notify(u, a, Opts{}).Status
}

// pendingAt reports whether msgid is in the stream beyond what sync_msg
// handed out (held by p.mu).
func (p *Platform) pendingAt(openKfID, msgID string) bool {
	s := p.streams[openKfID]
	for i := p.handed[openKfID]; i < len(s); i++ {
		if s[i].MsgID == msgID {
			return true
		}
	}
	return false
}
