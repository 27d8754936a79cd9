package weibo

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors the parser returns; the handler maps them to statuses.
var (
	// ErrSignature: the request is not signed with the channel's App
	// Secret, or its timestamp is outside the accepted window (403).
	ErrSignature = errors.New("signature does not match the channel's App Secret")
)

// MalformedError is a push that will never parse (400).
type MalformedError struct{ Reason string }

func (e *MalformedError) Error() string { return "malformed push: " + e.Reason }

func malformed(format string, args ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, args...)}
}

// Params are the query parameters Weibo signs every request with.
type Params struct {
	Signature, Timestamp, Nonce, EchoStr string
}

// ParamsFrom reads a request's query string.
func ParamsFrom(q url.Values) Params {
	return Params{Signature: q.Get("signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"), EchoStr: q.Get("echostr")}
}

// Sign is Weibo's signature: hex(sha1(the parts sorted as strings, joined)),
// the parts being the App Secret, the timestamp and the nonce.
func Sign(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// CheckSignature verifies the signature of a request (the URL check and
// every push) and that its timestamp — seconds or, as Weibo's own example
// has it, milliseconds — is within tolerance of now.
func CheckSignature(appSecret string, p Params, now time.Time, tolerance time.Duration) error {
	if p.Signature == "" || p.Timestamp == "" || p.Nonce == "" || len(p.Timestamp) > 20 || len(p.Nonce) > 64 ||
		subtle.ConstantTimeCompare([]byte(strings.ToLower(p.Signature)), []byte(Sign(appSecret, p.Timestamp, p.Nonce))) != 1 {
		return ErrSignature
	}
	ts, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil || ts <= 0 {
		return ErrSignature
	}
	at := time.Unix(ts, 0)
	if ts > 1e11 { // milliseconds
		at = time.UnixMilli(ts)
	}
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: the timestamp is outside the accepted window", ErrSignature)
	}
	return nil
}

// Push is one message or event as Weibo pushes it.
type Push struct {
	Type       string      `json:"type"`
	ReceiverID json.Number `json:"receiver_id"`
	SenderID   json.Number `json:"sender_id"`
	CreatedAt  Field       `json:"created_at"`
	Text       string      `json:"text"`
	Data       Data        `json:"data"`
	// At is CreatedAt parsed.
	At time.Time `json:"-"`
}

// Data is a push's type-specific part.
type Data struct {
	// Image and voice: the file ids; the receiver downloads tovfid.
	Vfid   Field `json:"vfid"`
	Tovfid Field `json:"tovfid"`
	// Position.
	Longitude Field `json:"longitude"`
	Latitude  Field `json:"latitude"`
	// Events: follow, unfollow, subscribe, unsubscribe, scan, scan_follow,
	// click, view; key is the menu key or QR scene, ticket the QR ticket.
	Subtype string `json:"subtype"`
	Key     string `json:"key"`
	Ticket  string `json:"ticket"`
}

// Field is an id or a number Weibo may send as a JSON number or a string;
// it keeps the text as sent.
type Field string

// UnmarshalJSON takes a number, a string or null.
func (f *Field) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = Field(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = Field(n)
	}
	return nil
}

// The types of push.
const (
	TypeText     = "text"
	TypeImage    = "image"
	TypeVoice    = "voice"
	TypePosition = "position"
	TypeEvent    = "event"
	TypeMention  = "mention"
)

// timeLayout is created_at's format: "Mon Jul 16 18:09:20 +0800 2012".
const timeLayout = "Mon Jan 02 15:04:05 -0700 2006"

// Parse reads a push body: one JSON object with a type, a numeric sender
// (int64, never a float) and a readable created_at. Types this hub does not
// know parse too (the handler ignores them).
func Parse(body []byte) (*Push, error) {
	var p Push
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return nil, malformed("%v", err)
	}
	if d.More() {
		return nil, malformed("data after the JSON object")
	}
	if p.Type == "" || len(p.Type) > 32 {
		return nil, malformed("type is required")
	}
	if !positiveInt(p.SenderID) {
		return nil, malformed("sender_id must be a positive integer, got %q", p.SenderID)
	}
	if p.ReceiverID != "" && !positiveInt(p.ReceiverID) {
		return nil, malformed("receiver_id must be a positive integer, got %q", p.ReceiverID)
	}
	at, ok := parseTime(strings.TrimSpace(string(p.CreatedAt)))
	if !ok {
		return nil, malformed("created_at %q is not Weibo's time format", p.CreatedAt)
	}
	p.At = at
	return &p, nil
}

// parseTime reads created_at: Weibo's format (the day also unpadded), or
// RFC 3339, or Unix seconds or milliseconds, should a relay rewrite it.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{timeLayout, "Mon Jan _2 15:04:05 -0700 2006", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() > 2000 && t.Year() < 3000 {
			return t, true
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil || n <= 0:
		return time.Time{}, false
	case n > 1e11:
		return time.UnixMilli(n), true
	default:
		return time.Unix(n, 0), true
	}
}

func positiveInt(n json.Number) bool {
	v, err := strconv.ParseInt(string(n), 10, 64)
	return err == nil && v > 0 && strconv.FormatInt(v, 10) == string(n)
}

// UnmarshalJSON decodes the object form; any other shape (an empty string
// some pushes carry) is read as no data.
func (d *Data) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		*d = Data{}
		return nil
	}
	type plain Data
	return json.Unmarshal(b, (*plain)(d))
}
