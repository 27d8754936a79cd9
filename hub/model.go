// Package hub is Kefu's model: the values every part of the hub passes
// around — tenants, agents, channels, contacts, conversations, messages, the
// normalized inbound message, events and outbound pushes — with their named
// kinds and statuses and the domain errors. It does no I/O; the noun
// packages under hub/ store these values, each in its own tables.
package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Domain errors; one function in workbench maps them to HTTP statuses.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	// ErrUnavailable is a failure to reach the database or the bus: the
	// caller answers 5xx (platforms retry) rather than 4xx.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// InvalidError is bad input with a message a user can act on.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// CodedError gives an error a stable code (its reason) that a UI shows in
// the user's language, with Params to fill in; errors.Is and errors.As
// still see the error it wraps (which decides the HTTP status).
type CodedError struct {
	Code   string
	Params map[string]string
	Err    error
}

func (e *CodedError) Error() string { return e.Err.Error() }

func (e *CodedError) Unwrap() error { return e.Err }

// Coded gives err a stable code and its parameters (key, value pairs).
func Coded(code string, err error, kv ...string) error {
	p := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return &CodedError{Code: code, Params: p, Err: err}
}

// Invalid builds an InvalidError.
func Invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// BadField is bad input in one field of a request: an InvalidError (msg,
// for developers) with a stable reason — input_required, input_length
// (required, at most max), input_too_long, input_range (min to max),
// input_choice (not one of the allowed values), input_too_many (at most
// max), input_unknown (names nothing that exists), input_format — and the
// field's JSON name, which the UI words in the user's language.
func BadField(reason, field, msg string, kv ...string) error {
	return Coded(reason, &InvalidError{Msg: msg}, append([]string{"field", field}, kv...)...)
}

// Tenant is a company using the hub.
type Tenant struct {
	ID        string    `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	Timezone  string    `db:"timezone" json:"timezone"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Agent is a person working conversations (or an admin).
type Agent struct {
	ID             string      `db:"id" json:"id"`
	TenantID       string      `db:"tenant_id" json:"tenant_id"`
	Email          string      `db:"email" json:"email"`
	PasswordHash   string      `db:"password_hash" json:"-"`
	Name           string      `db:"name" json:"name"`
	EmployeeNo     string      `db:"employee_no" json:"employee_no"`
	Role           Role        `db:"role" json:"role"`
	Superadmin     bool        `db:"superadmin" json:"superadmin"`
	MaxChats       int         `db:"max_chats" json:"max_chats"`
	CurrentChats   int         `db:"current_chats" json:"current_chats"`
	Status         AgentStatus `db:"status" json:"status"`
	Disabled       bool        `db:"disabled" json:"disabled"`
	LastAssignedAt *time.Time  `db:"last_assigned_at" json:"last_assigned_at,omitempty"`
	CreatedAt      time.Time   `db:"created_at" json:"created_at"`
	Groups         []string    `db:"-" json:"groups"`
	// TOTPEnabled: the agent confirmed a TOTP authenticator (totp.go);
	// RequireTOTP: an admin requires it of this agent.
	TOTPEnabled bool `db:"totp_enabled" json:"totp_enabled"`
	RequireTOTP bool `db:"require_totp" json:"require_totp"`
	// SetupRequired marks a login session of an agent who must set up TOTP
	// before doing anything else (set by Authenticate, never stored).
	SetupRequired bool `db:"-" json:"-"`
}

// SeesAll reports whether the agent sees every conversation of the tenant.
func (a *Agent) SeesAll() bool { return a.Role == RoleAdmin || a.Role == RoleSupervisor }

// Channel is one bound customer channel (an API channel, a WeChat account …).
type Channel struct {
	ID             string          `db:"id" json:"id"`
	TenantID       string          `db:"tenant_id" json:"tenant_id"`
	Type           string          `db:"type" json:"type"`
	Name           string          `db:"name" json:"name"`
	Secret         string          `db:"secret" json:"-"`
	Config         json.RawMessage `db:"config" json:"config"`
	DefaultGroupID *string         `db:"default_group_id" json:"default_group_id"`
	WantsEvents    bool            `db:"wants_events" json:"-"`
	OfflineMessage string          `db:"offline_message" json:"offline_message"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	LastInboundAt  *time.Time      `db:"last_inbound_at" json:"last_inbound_at"`
	LastError      string          `db:"last_error" json:"last_error"`
	// Disabled is a channel an admin deactivated: its webhooks and widget
	// take no new messages; its history stays.
	Disabled bool `db:"disabled" json:"disabled"`
}

// Contact is a customer identity on one channel.
type Contact struct {
	ID         string    `db:"id" json:"id"`
	TenantID   string    `db:"tenant_id" json:"-"`
	ChannelID  string    `db:"channel_id" json:"channel_id"`
	ExternalID string    `db:"external_id" json:"external_id"`
	Name       string    `db:"name" json:"name"`
	Email      string    `db:"email" json:"email"`
	Phone      string    `db:"phone" json:"phone"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
	// UnsubscribedAt is when the customer unfollowed the account (WeChat);
	// nil while they follow. The platform refuses replies to them.
	UnsubscribedAt *time.Time `db:"unsubscribed_at" json:"unsubscribed_at,omitempty"`
	// Source is how the customer came (a WeChat QR code's scene …).
	Source string `db:"source" json:"source,omitempty"`
}

// Conversation is a customer's thread on a channel.
type Conversation struct {
	ID            string     `db:"id" json:"id"`
	TenantID      string     `db:"tenant_id" json:"-"`
	ChannelID     string     `db:"channel_id" json:"channel_id"`
	ContactID     string     `db:"contact_id" json:"contact_id"`
	GroupID       *string    `db:"group_id" json:"group_id"`
	AssigneeID    *string    `db:"assignee_id" json:"assignee_id"`
	Status        ConvStatus `db:"status" json:"status"`
	LastSeq       int64      `db:"last_seq" json:"last_seq"`
	CloseReason   string     `db:"close_reason" json:"close_reason,omitempty"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at" json:"updated_at"`
	QueuedAt      *time.Time `db:"queued_at" json:"queued_at,omitempty"`
	AssignedAt    *time.Time `db:"assigned_at" json:"assigned_at,omitempty"`
	ClosedAt      *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	LastMessageAt *time.Time `db:"last_message_at" json:"last_message_at,omitempty"`
	// CategoryID is the conversation category (会话分类) chosen at close.
	CategoryID *string  `db:"category_id" json:"category_id"`
	Contact    *Contact `db:"-" json:"contact,omitempty"`
	// ReplyWindow is what the platform still lets agents send (WeChat's 48
	// hours / 5 messages); set on a single conversation's read, nil for
	// channels without such a rule.
	ReplyWindow *ReplyWindow `db:"-" json:"reply_window,omitempty"`
	// Rating is the customer's rating of the conversation, when given
	// (set on a single conversation's read).
	Rating *Rating `db:"-" json:"rating,omitempty"`
	// ChannelType is the type of the conversation's channel (web, wechat …).
	ChannelType string `db:"-" json:"channel_type,omitempty"`
	// LastMessage is the latest message, on lists.
	LastMessage *MessagePreview `db:"-" json:"last_message,omitempty"`
}

// Attachment is a file carried by a message.
type Attachment struct {
	URL  string `json:"url"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
	Size int64  `json:"size,omitempty"`
	// Description and Picture belong to a link card (Type AttachmentLink):
	// the card's summary and its picture's URL.
	Description string `json:"description,omitempty"`
	Picture     string `json:"picture,omitempty"`
}

// AttachmentLink is the Type of an attachment that is a link card (a
// WeChat news/link message): Name is its title, URL where it leads.
// Connectors that cannot show a card skip it; the message's text carries
// the link.
const AttachmentLink = "link"

// Message is one message in a conversation, numbered by a gap-free seq.
type Message struct {
	ID             string        `db:"id" json:"id"`
	TenantID       string        `db:"tenant_id" json:"-"`
	ConversationID string        `db:"conversation_id" json:"conversation_id"`
	ChannelID      string        `db:"channel_id" json:"channel_id"`
	Seq            int64         `db:"seq" json:"seq"`
	Direction      Direction     `db:"direction" json:"direction"`
	SenderType     SenderType    `db:"sender_type" json:"sender_type"`
	SenderID       string        `db:"sender_id" json:"sender_id"`
	Type           string        `db:"type" json:"type"`
	Text           string        `db:"text" json:"text"`
	AttachmentsRaw string        `db:"attachments" json:"-"`
	Attachments    []Attachment  `db:"-" json:"attachments"`
	ExternalID     *string       `db:"external_id" json:"external_id,omitempty"`
	ClientID       *string       `db:"client_id" json:"client_id,omitempty"`
	Status         MessageStatus `db:"status" json:"status"`
	Error          string        `db:"error" json:"error,omitempty"`
	CreatedAt      time.Time     `db:"created_at" json:"created_at"`
	// Rich is a robot's rich answer as sanitized HTML ("" when plain):
	// Text is what it reads as, for every client that shows text only.
	Rich string `db:"rich" json:"rich,omitempty"`
}

// ContactInfo is a customer identity as a connector saw it.
type ContactInfo struct {
	ExternalID string `json:"id"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// Inbound is a customer message normalized by a connector: what travels on
// the bus "inbound" topic.
type Inbound struct {
	TenantID    string       `json:"tenant_id"`
	ChannelID   string       `json:"channel_id"`
	ExternalID  string       `json:"external_id"`
	Contact     ContactInfo  `json:"contact"`
	Type        string       `json:"type"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Group       string       `json:"group,omitempty"`
	ReceivedAt  time.Time    `json:"received_at"`
	// Event marks a contact event rather than a message: the customer
	// followed ("subscribe") or unfollowed ("unsubscribe") the account,
	// scanned a code ("scan") or clicked a menu ("click"). The contact is
	// upserted and the event recorded once (ExternalID dedups it); no
	// conversation opens. Text carries the event's detail (QR scene, menu key).
	Event ContactEvent `json:"event,omitempty"`
	// Reply is an automatic answer sent to the contact once, when the
	// message or event is first stored (a welcome message, a menu's reply).
	Reply string `json:"reply,omitempty"`
	// LeaveMessage marks a message left in a leave-a-message form: it
	// becomes a ticket at once instead of waiting for an agent.
	LeaveMessage bool `json:"leave_message,omitempty"`
	// Visitor is where the customer came from, for routing rules (visit.go).
	Visitor *Visitor `json:"visitor,omitempty"`
}

// BusID is the id the bus deduplicates this message by.
func (in *Inbound) BusID() string { return in.ChannelID + ":" + in.ExternalID }

// RawJSON is a JSON document stored as text: it scans from TEXT (SQLite)
// or bytes (PostgreSQL) and marshals as itself.
type RawJSON []byte

// Scan implements sql.Scanner.
func (r *RawJSON) Scan(v any) error {
	switch x := v.(type) {
	case string:
		*r = RawJSON(x)
	case []byte:
		*r = append(RawJSON(nil), x...)
	case nil:
		*r = RawJSON("null")
	default:
		return fmt.Errorf("RawJSON: cannot scan %T", v)
	}
	return nil
}

// MarshalJSON writes the document as is.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON keeps a copy of the document.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	*r = append(RawJSON(nil), b...)
	return nil
}

// Rating is a conversation's customer rating.
type Rating struct {
	Score   int    `db:"score" json:"score"`
	Comment string `db:"comment" json:"comment"`
	// Reasons are the ones the customer ticked of the level's list.
	Reasons   Reasons   `db:"reasons" json:"reasons"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// MessagePreview is the last message of a conversation, for lists.
type MessagePreview struct {
	ConversationID string    `db:"conversation_id" json:"-"`
	Seq            int64     `db:"seq" json:"seq"`
	Direction      Direction `db:"direction" json:"direction"`
	Type           string    `db:"type" json:"type"`
	Text           string    `db:"text" json:"text"`
}

// Visitor is what a connector knows of where a customer came from; routing
// rules match on it.
type Visitor struct {
	// IP is the visitor's address; the region is looked up in the
	// configured IP database when Region is not given.
	IP     string `json:"ip,omitempty"`
	Region string `json:"region,omitempty"`
	// Referrer is the page or search engine the visitor came from.
	Referrer string `json:"referrer,omitempty"`
	// Keyword is the search-engine keyword.
	Keyword string `json:"keyword,omitempty"`
	// Page is the page the chat was opened on.
	Page string `json:"page,omitempty"`
	// Engine is the search engine the visitor came from (百度, Google …).
	Engine string `json:"engine,omitempty"`
	// Device is desktop, mobile or tablet (from the browser's user agent).
	Device string `json:"device,omitempty"`
	// Agent asks for one agent (a direct link): id, employee number or email.
	Agent string `json:"agent,omitempty"`
}

// Sanitize makes every string of the message storable (Clean).
func (in *Inbound) Sanitize() {
	for _, p := range []*string{&in.ExternalID, &in.Contact.ExternalID, &in.Contact.Name, &in.Contact.Email,
		&in.Contact.Phone, &in.Type, &in.Text, &in.Group, &in.Reply} {
		*p = Clean(*p)
	}
	in.Event = ContactEvent(Clean(string(in.Event)))
	for i := range in.Attachments {
		a := &in.Attachments[i]
		a.URL, a.Name, a.Type = Clean(a.URL), Clean(a.Name), Clean(a.Type)
	}
}

// DecodeAttachments fills Attachments from the stored AttachmentsRaw.
func (m *Message) DecodeAttachments() {
	m.Attachments = []Attachment{}
	if m.AttachmentsRaw != "" {
		_ = json.Unmarshal([]byte(m.AttachmentsRaw), &m.Attachments) // written by us; [] on damage
	}
}
