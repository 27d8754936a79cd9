package qq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Opcodes of the callback protocol.
const (
	OpDispatch     = 0  // an event
	OpHeartbeat    = 1  // a heartbeat (d: the last seq)
	OpHeartbeatAck = 11 // the bot's answer to a heartbeat
	OpAck          = 12 // the bot's answer to a dispatch
	OpValidation   = 13 // the callback address check
)

// Event types the connector handles.
const (
	EventC2CMessage     = "C2C_MESSAGE_CREATE"      // a user wrote to the bot
	EventGroupAtMessage = "GROUP_AT_MESSAGE_CREATE" // a group member @-mentioned the bot
	EventFriendAdd      = "FRIEND_ADD"              // a user added the bot
	EventFriendDel      = "FRIEND_DEL"              // a user removed the bot
	EventC2CReject      = "C2C_MSG_REJECT"          // a user turned the bot's messages off
	EventC2CReceive     = "C2C_MSG_RECEIVE"         // a user turned them back on
)

// Payload is one callback body.
type Payload struct {
	Op int             `json:"op"`
	ID string          `json:"id"` // the event's id ("C2C_MESSAGE_CREATE:…")
	S  int64           `json:"s"`
	T  string          `json:"t"`
	D  json.RawMessage `json:"d"`
}

// Validation is the d of an op 13 address check.
type Validation struct {
	PlainToken string `json:"plain_token"`
	EventTS    string `json:"event_ts"`
}

// Message is the d of C2C_MESSAGE_CREATE and GROUP_AT_MESSAGE_CREATE.
type Message struct {
	ID          string       `json:"id"`
	Author      Author       `json:"author"`
	Content     string       `json:"content"`
	Timestamp   string       `json:"timestamp"`
	GroupOpenID string       `json:"group_openid,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Author is a message's sender: user_openid in C2C, member_openid in a
// group (botgo's dto.User has neither, hence our own types).
type Author struct {
	ID           string `json:"id,omitempty"`
	UserOpenID   string `json:"user_openid,omitempty"`
	MemberOpenID string `json:"member_openid,omitempty"`
}

// Attachment is media a customer sent; URL is where the platform serves it.
type Attachment struct {
	ContentType string `json:"content_type"`
	Filename    string `json:"filename"`
	Height      int    `json:"height,omitempty"`
	Width       int    `json:"width,omitempty"`
	Size        int64  `json:"size,omitempty"`
	URL         string `json:"url"`
}

// UserEvent is the d of FRIEND_ADD/DEL and C2C_MSG_REJECT/RECEIVE.
type UserEvent struct {
	OpenID    string          `json:"openid"`
	Timestamp json.RawMessage `json:"timestamp"` // a number or a string, by event
}

// MalformedError is a body that will never parse (400).
type MalformedError struct{ Reason string }

func (e *MalformedError) Error() string { return "malformed callback: " + e.Reason }

func malformed(format string, args ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, args...)}
}

// Bounds on what a callback may carry.
const (
	maxAttachments = 20
	maxIDLen       = 256
)

// Parse reads a callback body: an object with a known op, and for op 13 a
// plain_token and event_ts.
func Parse(body []byte) (*Payload, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, malformed("the body is not a JSON object")
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, malformed("%v", err)
	}
	switch p.Op {
	case OpValidation:
		v, err := p.Validation()
		if err != nil {
			return nil, err
		}
		if v.PlainToken == "" || v.EventTS == "" || len(v.PlainToken) > maxIDLen || len(v.EventTS) > maxIDLen {
			return nil, malformed("op 13 needs d.plain_token and d.event_ts")
		}
	case OpDispatch:
		if p.T == "" || len(p.T) > 64 || len(p.ID) > maxIDLen {
			return nil, malformed("a dispatch needs its event type t")
		}
	case OpHeartbeat:
		if _, err := p.HeartbeatSeq(); err != nil {
			return nil, err
		}
	default:
		return nil, malformed("op %d is not a callback this endpoint takes", p.Op)
	}
	return &p, nil
}

// HeartbeatSeq is an op 1 body's d, the seq to acknowledge.
func (p *Payload) HeartbeatSeq() (uint32, error) {
	var n uint32
	if err := json.Unmarshal(p.D, &n); err != nil {
		return 0, malformed("op 1 d must be the last seq: %v", err)
	}
	return n, nil
}

// Validation decodes an op 13 body's d.
func (p *Payload) Validation() (*Validation, error) {
	var v Validation
	if err := json.Unmarshal(p.D, &v); err != nil {
		return nil, malformed("op 13 d: %v", err)
	}
	return &v, nil
}

// Message decodes a message event's d and checks what the connector needs.
func (p *Payload) Message() (*Message, error) {
	var m Message
	if err := json.Unmarshal(p.D, &m); err != nil {
		return nil, malformed("%s d: %v", p.T, err)
	}
	m.Content = strings.TrimSpace(m.Content)
	switch {
	case m.ID == "" || len(m.ID) > maxIDLen:
		return nil, malformed("%s needs d.id (the msg_id)", p.T)
	case p.T == EventC2CMessage && (m.Author.UserOpenID == "" || len(m.Author.UserOpenID) > maxIDLen):
		return nil, malformed("%s needs d.author.user_openid", p.T)
	case p.T == EventGroupAtMessage && (m.Author.MemberOpenID == "" || m.GroupOpenID == "" ||
		len(m.Author.MemberOpenID) > maxIDLen || len(m.GroupOpenID) > maxIDLen):
		return nil, malformed("%s needs d.group_openid and d.author.member_openid", p.T)
	case len(m.Attachments) > maxAttachments:
		return nil, malformed("more than %d attachments", maxAttachments)
	}
	return &m, nil
}

// UserEvent decodes a friend or message-switch event's d.
func (p *Payload) UserEvent() (*UserEvent, error) {
	var e UserEvent
	if err := json.Unmarshal(p.D, &e); err != nil {
		return nil, malformed("%s d: %v", p.T, err)
	}
	if e.OpenID == "" || len(e.OpenID) > maxIDLen {
		return nil, malformed("%s needs d.openid", p.T)
	}
	return &e, nil
}
