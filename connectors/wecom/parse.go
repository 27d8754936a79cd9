package wecom

import (
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/kefu-hub/kefu/connectors"
)

// Errors Open and VerifyURL return; the handler maps them to statuses.
var (
	// ErrSignature: msg_signature does not match the channel's Token (401).
	ErrSignature = errors.New("msg_signature does not match the channel's Token")
	// ErrStale: the signed timestamp is too old or too far ahead (401).
	ErrStale = errors.New("timestamp outside the accepted window")
)

// MalformedError is a callback that will never parse (400).
type MalformedError struct {
	Reason string
	// Decrypt marks a correctly signed callback that does not decrypt with
	// the channel's key for its corp_id: a misconfiguration.
	Decrypt bool
}

func (e *MalformedError) Error() string { return "malformed callback: " + e.Reason }

func malformed(format string, args ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, args...)}
}

// Params are the query parameters WeCom sends with a callback.
type Params struct {
	MsgSignature, Timestamp, Nonce, EchoStr string
}

// ParamsFrom reads a callback's query string.
func ParamsFrom(q url.Values) Params {
	return Params{MsgSignature: q.Get("msg_signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"),
		EchoStr: q.Get("echostr")}
}

// Keys are what a channel shares with WeCom: the receiver id of the
// encryption (the corp_id), the Token and the EncodingAESKey.
type Keys struct {
	CorpID, Token, AESKey string
}

// Notice is a decrypted callback: 微信客服 says only that there is something
// to fetch (Event kf_msg_or_event), with the token sync_msg takes.
type Notice struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	CreateTime int64    `xml:"CreateTime"`
	MsgType    string   `xml:"MsgType"`
	Event      string   `xml:"Event"`
	Token      string   `xml:"Token"`
	OpenKfID   string   `xml:"OpenKfId"`
}

// EventKfMsg is the callback event that announces messages or events.
const EventKfMsg = "kf_msg_or_event"

// envelope is the body WeCom posts.
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	AgentID    string   `xml:"AgentID"`
	Encrypt    string   `xml:"Encrypt"`
}

// Bounds on a callback's XML: one level of fields under <xml>.
const (
	maxDepth    = 4
	maxElements = 64
	maxEncrypt  = 16 << 10
	maxField    = 512
)

// sign is WeCom's signature: hex(sha1(sorted parts joined)).
func sign(parts ...string) string { return util.Signature(parts...) }

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Sign is msg_signature over a timestamp, nonce and encrypted field, for
// tools that play WeCom's side.
func Sign(token, timestamp, nonce, encrypted string) string {
	return sign(token, timestamp, nonce, encrypted)
}

// checkSigned verifies msg_signature over token, timestamp, nonce and the
// encrypted value, and that the timestamp is fresh (a captured callback
// cannot be replayed later).
func checkSigned(k Keys, p Params, encrypted string, now time.Time, tolerance time.Duration) error {
	if p.MsgSignature == "" || p.Timestamp == "" || p.Nonce == "" || encrypted == "" ||
		!equal(p.MsgSignature, sign(k.Token, p.Timestamp, p.Nonce, encrypted)) {
		return ErrSignature
	}
	ts, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

// decrypt opens an encrypted value for the channel's corp_id.
func decrypt(k Keys, encrypted string) ([]byte, error) {
	_, plain, err := util.DecryptMsg(k.CorpID, encrypted, k.AESKey)
	if err != nil {
		return nil, &MalformedError{Reason: fmt.Sprintf("cannot decrypt with the channel's EncodingAESKey and corp_id: %v", err),
			Decrypt: true}
	}
	return plain, nil
}

// VerifyURL answers WeCom's URL check (保存回调配置): a signed GET whose
// echostr is encrypted; the answer is its plaintext.
func VerifyURL(k Keys, p Params, now time.Time, tolerance time.Duration) ([]byte, error) {
	if len(p.EchoStr) > 1024 {
		return nil, malformed("echostr is longer than 1024 bytes")
	}
	if err := checkSigned(k, p, p.EchoStr, now, tolerance); err != nil {
		return nil, err
	}
	return decrypt(k, p.EchoStr)
}

// Open verifies a callback and returns its notice: msg_signature over the
// Encrypt field first (silenceper's work/kf decrypts without checking it),
// then the decryption for the channel's corp_id, before anything of the
// body is trusted.
func Open(k Keys, p Params, body []byte, now time.Time, tolerance time.Duration) (*Notice, error) {
	if err := checkShape(body); err != nil {
		return nil, err
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, malformed("%v", err)
	}
	if env.Encrypt == "" || len(env.Encrypt) > maxEncrypt {
		return nil, malformed("the callback needs its Encrypt field (at most %d bytes)", maxEncrypt)
	}
	if err := checkSigned(k, p, env.Encrypt, now, tolerance); err != nil {
		return nil, err
	}
	plain, err := decrypt(k, env.Encrypt)
	if err != nil {
		return nil, err
	}
	return ParseNotice(plain)
}

// ParseNotice reads a decrypted callback.
func ParseNotice(plain []byte) (*Notice, error) {
	if err := checkShape(plain); err != nil {
		return nil, err
	}
	var n Notice
	if err := xml.Unmarshal(plain, &n); err != nil {
		return nil, malformed("%v", err)
	}
	if n.MsgType == "" || n.Event == "" || len(n.Token) > maxField || len(n.OpenKfID) > maxField || len(n.Event) > 64 {
		return nil, malformed("the callback needs MsgType and Event (Token and OpenKfId at most %d bytes)", maxField)
	}
	return &n, nil
}

// checkShape bounds the XML before it is decoded into structs
// (connectors.CheckXMLShape).
func checkShape(b []byte) error {
	if err := connectors.CheckXMLShape(b, maxDepth, maxElements); err != nil {
		return malformed("%v", err)
	}
	return nil
}
