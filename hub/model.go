// Package hub is Kefu's core: the normalized message model, the inbox that
// stores what connectors publish, routing, conversations, events and the
// outbound deliveries, with their storage.
package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Roles an agent can have. Admins and supervisors see the whole tenant.
const (
	RoleAdmin      = "admin"
	RoleSupervisor = "supervisor"
	RoleAgent      = "agent"
)

// Agent statuses.
const (
	StatusOnline  = "online"
	StatusBusy    = "busy"
	StatusOffline = "offline"
)

// Conversation statuses. Everything but closed is active: at most one active
// conversation per contact per channel (a partial unique index holds it).
const (
	ConvQueued  = "queued"  // waiting for an agent
	ConvOpen    = "open"    // assigned to an agent
	ConvOffline = "offline" // nobody was online: a ticket holds it
	ConvClosed  = "closed"
)

// Domain errors; one function in workbench maps them to HTTP statuses.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
)

// InvalidError is bad input with a message a user can act on.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Invalid builds an InvalidError.
func Invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
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
	ID             string     `db:"id" json:"id"`
	TenantID       string     `db:"tenant_id" json:"tenant_id"`
	Email          string     `db:"email" json:"email"`
	PasswordHash   string     `db:"password_hash" json:"-"`
	Name           string     `db:"name" json:"name"`
	EmployeeNo     string     `db:"employee_no" json:"employee_no"`
	Role           string     `db:"role" json:"role"`
	Superadmin     bool       `db:"superadmin" json:"superadmin"`
	MaxChats       int        `db:"max_chats" json:"max_chats"`
	CurrentChats   int        `db:"current_chats" json:"current_chats"`
	Status         string     `db:"status" json:"status"`
	Disabled       bool       `db:"disabled" json:"disabled"`
	LastAssignedAt *time.Time `db:"last_assigned_at" json:"last_assigned_at,omitempty"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	Groups         []string   `db:"-" json:"groups"`
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

// Group is a team conversations are routed to (售前, 售后, 技术支持 …).
type Group struct {
	ID        string    `db:"id" json:"id"`
	TenantID  string    `db:"tenant_id" json:"tenant_id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	AgentIDs  []string  `db:"-" json:"agent_ids"`
	// Settings are the group's routing settings (policy.go).
	Settings    GroupSettings `db:"-" json:"settings"`
	SettingsRaw string        `db:"settings" json:"-"`
}

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
	Status        string     `db:"status" json:"status"`
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
}

// Message is one message in a conversation, numbered by a gap-free seq.
type Message struct {
	ID             string       `db:"id" json:"id"`
	TenantID       string       `db:"tenant_id" json:"-"`
	ConversationID string       `db:"conversation_id" json:"conversation_id"`
	ChannelID      string       `db:"channel_id" json:"channel_id"`
	Seq            int64        `db:"seq" json:"seq"`
	Direction      string       `db:"direction" json:"direction"`
	SenderType     string       `db:"sender_type" json:"sender_type"`
	SenderID       string       `db:"sender_id" json:"sender_id"`
	Type           string       `db:"type" json:"type"`
	Text           string       `db:"text" json:"text"`
	AttachmentsRaw string       `db:"attachments" json:"-"`
	Attachments    []Attachment `db:"-" json:"attachments"`
	ExternalID     *string      `db:"external_id" json:"external_id,omitempty"`
	ClientID       *string      `db:"client_id" json:"client_id,omitempty"`
	Status         string       `db:"status" json:"status"`
	Error          string       `db:"error" json:"error,omitempty"`
	CreatedAt      time.Time    `db:"created_at" json:"created_at"`
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
	Event string `json:"event,omitempty"`
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

// Event is one realtime event. ID is gap-free per tenant so clients resume
// from the last one they saw. AgentID is the audience: an agent sees events
// addressed to them; admins and supervisors see all of their tenant.
type Event struct {
	TenantID       string    `db:"tenant_id" json:"-"`
	ID             int64     `db:"id" json:"id"`
	Type           string    `db:"type" json:"type"`
	ConversationID string    `db:"conversation_id" json:"conversation_id,omitempty"`
	AgentID        string    `db:"agent_id" json:"-"`
	Payload        RawJSON   `db:"payload" json:"data"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
	channelID      string
}

// VisibleTo reports whether an agent may see the event.
func (e *Event) VisibleTo(a *Agent) bool {
	switch e.Type {
	case EvVisitorUpdated, EvQueueChanged, EvTicketCreated:
		// Every agent may invite a visitor, pick up from the queue, take an
		// unassigned ticket; these carry no customer text.
		return e.TenantID == a.TenantID
	}
	return e.TenantID == a.TenantID && (a.SeesAll() || (e.AgentID != "" && e.AgentID == a.ID))
}

// Event types.
const (
	EvConversationCreated     = "conversation.created"
	EvConversationQueued      = "conversation.queued"
	EvConversationAssigned    = "conversation.assigned"
	EvConversationTransferred = "conversation.transferred"
	EvConversationClosed      = "conversation.closed"
	EvConversationOffline     = "conversation.offline"
	EvMessageCreated          = "message.created"
	EvMessageUpdated          = "message.updated"
	EvTyping                  = "typing"
	EvAgentStatus             = "agent.status"
	EvTicketCreated           = "ticket.created"
	EvContactUpdated          = "contact.updated"
	// EvRatingRequested asks the customer to rate the conversation (the web
	// visitor socket shows the rating form on it).
	EvRatingRequested = "conversation.rating_requested"
)

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
