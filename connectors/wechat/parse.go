package wechat

import (
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/kefu-hub/kefu/connectors"
)

// Message modes an account's server configuration can use (消息加解密方式).
const (
	ModePlain  = "plain"  // 明文模式: the signature does not cover the body
	ModeCompat = "compat" // 兼容模式: plaintext and ciphertext together
	ModeSafe   = "safe"   // 安全模式: encrypted, the body signed (recommended)
)

// Bounds on a push's XML. A WeChat message is one level of fields under
// <xml> (a few events nest three more); nothing legitimate comes near these.
const (
	maxDepth    = 8
	maxElements = 512
)

// Errors Open returns; the handler maps them to statuses.
var (
	// ErrSignature: the push is not signed with the channel's Token (401).
	ErrSignature = errors.New("signature does not match the channel's Token")
	// ErrStale: the signed timestamp is too old or too far ahead (401).
	ErrStale = errors.New("timestamp outside the accepted window")
	// ErrPlaintext: a safe-mode channel got an unencrypted push (403).
	ErrPlaintext = errors.New("this channel is in safe mode: pushes must be encrypted (encrypt_type=aes)")
)

// MalformedError is a push that will never parse (400).
type MalformedError struct {
	Reason string
	// Decrypt marks a correctly signed push that does not decrypt with the
	// channel's key and AppID: a misconfiguration rather than bad input.
	Decrypt bool
}

func (e *MalformedError) Error() string { return "malformed push: " + e.Reason }

func malformed(format string, args ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, args...)}
}

// Params are the query parameters WeChat sends with a push.
type Params struct {
	Signature, Timestamp, Nonce string
	EncryptType, MsgSignature   string
	OpenID, EchoStr             string
	hasEncryptType              bool
}

// ParamsFrom reads a push's query string.
func ParamsFrom(q url.Values) Params {
	return Params{Signature: q.Get("signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"),
		EncryptType: q.Get("encrypt_type"), MsgSignature: q.Get("msg_signature"), OpenID: q.Get("openid"),
		EchoStr: q.Get("echostr"), hasEncryptType: q.Has("encrypt_type")}
}

// Keys are what a channel shares with WeChat.
type Keys struct {
	AppID, Token, AESKey, Mode string
}

// sign is WeChat's signature: hex(sha1(sorted parts joined)).
func sign(parts ...string) string { return util.Signature(parts...) }

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// CheckSignature verifies the signature every request carries (the URL
// verification GET and every push) and that its timestamp is fresh, so a
// captured request cannot be replayed later.
func CheckSignature(k Keys, p Params, now time.Time, tolerance time.Duration) error {
	if p.Signature == "" || p.Timestamp == "" || p.Nonce == "" || !equal(p.Signature, sign(k.Token, p.Timestamp, p.Nonce)) {
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

// Open verifies a push and returns its message: the request signature, in
// encrypted modes the body signature (msg_signature over the ciphertext)
// and the AppID inside it, all before anything of the body is trusted.
func Open(k Keys, p Params, body []byte, now time.Time, tolerance time.Duration) (*message.MixMessage, error) {
	if err := CheckSignature(k, p, now, tolerance); err != nil {
		return nil, err
	}
	encrypted := p.EncryptType == "aes"
	switch {
	case p.hasEncryptType && p.EncryptType != "aes" && p.EncryptType != "raw":
		return nil, malformed("unknown encrypt_type %q", p.EncryptType)
	case !encrypted && k.Mode == ModeSafe:
		return nil, ErrPlaintext
	}
	if err := checkShape(body); err != nil {
		return nil, err
	}
	plain := body
	if encrypted {
		var err error
		if plain, err = decrypt(k, p, body); err != nil {
			return nil, err
		}
		if err := checkShape(plain); err != nil {
			return nil, err
		}
	}
	var m message.MixMessage
	if err := xml.Unmarshal(plain, &m); err != nil {
		return nil, malformed("%v", err)
	}
	if m.FromUserName == "" || m.MsgType == "" {
		return nil, malformed("FromUserName and MsgType are required")
	}
	return &m, nil
}

// decrypt checks msg_signature over the Encrypt field, then decrypts it
// (AES-256-CBC with the EncodingAESKey) and checks the AppID inside.
func decrypt(k Keys, p Params, body []byte) ([]byte, error) {
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, malformed("%v", err)
	}
	if env.EncryptedMsg == "" {
		return nil, malformed("encrypted push without an Encrypt field")
	}
	if p.MsgSignature == "" || !equal(p.MsgSignature, sign(k.Token, p.Timestamp, p.Nonce, env.EncryptedMsg)) {
		return nil, ErrSignature
	}
	_, plain, err := util.DecryptMsg(k.AppID, env.EncryptedMsg, k.AESKey)
	if err != nil {
		// Signed with our Token but not decryptable with our key (or for
		// another AppID): the channel's EncodingAESKey or AppID is wrong.
		return nil, &MalformedError{Reason: fmt.Sprintf("cannot decrypt with the channel's EncodingAESKey and AppID: %v", err), Decrypt: true}
	}
	return plain, nil
}

// checkShape bounds the XML before it is decoded into structs
// (connectors.CheckXMLShape).
func checkShape(b []byte) error {
	if err := connectors.CheckXMLShape(b, maxDepth, maxElements); err != nil {
		return malformed("%v", err)
	}
	return nil
}
