// Package tickets keeps what arrives while nobody can answer: a ticket per
// customer per channel while it is open, with the messages that went into
// it, the agents' replies and internal comments. It owns its tables — no
// other package queries them — and emits its own events; the hub calls
// OpenOrAppend inside its own transaction so a message and its ticket are
// stored together.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Status is where a ticket stands.
type Status string

// Ticket statuses: new (nobody took it yet) → open (someone works on it) →
// pending (waiting on the customer) → solved → closed; a solved or closed
// ticket may be reopened. Tickets from offline messages start open.
const (
	StatusNew Status = "new"
	Open      Status = "open"
	Pending   Status = "pending"
	Solved    Status = "solved"
	Closed    Status = "closed"
)

// ErrNotFound is returned for a ticket (or agent) outside the tenant.
var ErrNotFound = errors.New("ticket not found")

// ErrInvalid is returned for a request that can never succeed.
var ErrInvalid = errors.New("invalid ticket request")

// Ticket is a customer's offline request.
type Ticket struct {
	ID             string     `db:"id" json:"id"`
	TenantID       string     `db:"tenant_id" json:"-"`
	ChannelID      string     `db:"channel_id" json:"channel_id"`
	ContactID      string     `db:"contact_id" json:"contact_id"`
	ConversationID string     `db:"conversation_id" json:"conversation_id"`
	Status         Status     `db:"status" json:"status"`
	AssigneeID     *string    `db:"assignee_id" json:"assignee_id"`
	Subject        string     `db:"subject" json:"subject"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at" json:"updated_at"`
	SolvedAt       *time.Time `db:"solved_at" json:"solved_at,omitempty"`
	Priority       Priority   `db:"priority" json:"priority"`
	Type           string     `db:"type" json:"type"`
	GroupID        *string    `db:"group_id" json:"group_id"`
	Origin         Origin     `db:"origin" json:"origin"`
	CreatedBy      string     `db:"created_by" json:"created_by,omitempty"`
	DueAt          *time.Time `db:"due_at" json:"due_at,omitempty"`
	ClosedAt       *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	// SLA: the first-response due time (until the first public reply),
	// the resolution due time is DueAt; each clock's state (running,
	// warning, breached); when the resolution clock stood still since
	// (pending, solved, closed); the earliest running due time.
	FirstResponseDueAt *time.Time `db:"first_response_due_at" json:"first_response_due_at,omitempty"`
	FirstRespondedAt   *time.Time `db:"first_responded_at" json:"first_responded_at,omitempty"`
	FirstResponseSLA   SLAState   `db:"first_response_sla" json:"first_response_sla"`
	ResolutionSLA      SLAState   `db:"resolution_sla" json:"resolution_sla"`
	SLAPausedAt        *time.Time `db:"sla_paused_at" json:"sla_paused_at,omitempty"`
	NextDueAt          *time.Time `db:"next_due_at" json:"next_due_at,omitempty"`
	// Custom holds the values of the tenant's ticket fields (自定义字段),
	// by field key; a multi select's options joined by commas.
	Custom    map[string]string `db:"-" json:"fields"`
	CustomRaw string            `db:"custom" json:"-"`
	// Missing are the keys of the required fields the ticket has no value
	// for: it cannot be solved or closed until they are filled.
	Missing []string `db:"-" json:"missing_fields"`
	// Followers are the agents who follow the ticket.
	Followers []string `db:"-" json:"followers"`
	Messages  []Entry  `db:"-" json:"messages,omitempty"`
	// Comments are internal notes between staff; customers never see them.
	Comments []Comment `db:"-" json:"comments,omitempty"`
}

// Entry is one message in a ticket's history: what the customer left and
// what agents answered (direction "in" or "out").
type Entry struct {
	MessageID  string            `json:"id"`
	Seq        int64             `json:"seq"`
	Direction  hub.Direction     `json:"direction"`
	SenderType hub.SenderType    `json:"sender_type"`
	SenderID   string            `json:"sender_id"`
	Text       string            `json:"text"`
	Type       string            `json:"type"`
	Status     hub.MessageStatus `json:"status"`
	CreatedAt  time.Time         `json:"created_at"`
}

// Comment is an internal note on a ticket.
type Comment struct {
	ID        string    `db:"id" json:"id"`
	AgentID   string    `db:"agent_id" json:"agent_id"`
	Text      string    `db:"text" json:"text"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Ref says whose ticket it is. Subject names a new ticket (the first
// message's text).
type Ref struct {
	TenantID, ChannelID, ContactID, ConversationID string
	Subject                                        string
}

// Messages reads the messages a ticket's history lists (the conversations
// store provides it).
type Messages interface {
	ByIDs(ctx context.Context, ids []string) ([]hub.Message, error)
}

// Agents checks an assignee belongs to the tenant (identity provides it).
type Agents interface {
	Get(ctx context.Context, tenantID, id string) (*hub.Agent, error)
}

// Store reads and changes tickets, always within one tenant.
type Store struct {
	k        *store.Store
	messages Messages
	agents   Agents
	rules    FieldRules
}

// New returns the ticket store.
func New(k *store.Store, messages Messages, agents Agents, rules FieldRules) *Store {
	return &Store{k: k, messages: messages, agents: agents, rules: rules}
}

const cols = `id, tenant_id, channel_id, contact_id, conversation_id, status, assignee_id, subject, created_at, updated_at,
	solved_at, priority, type, group_id, origin, created_by, due_at, closed_at,
	first_response_due_at, first_responded_at, first_response_sla, resolution_sla, sla_paused_at, next_due_at, custom`

// OpenOrAppend adds messages to the contact's open ticket on the channel,
// opening one (and emitting ticket.created) when there is none. At most one
// unsolved ticket per contact and channel exists (a partial unique index);
// adding a message twice is a no-op.
func OpenOrAppend(ctx context.Context, tx *store.Tx, r Ref, messageIDs []string) (id string, created bool, err error) {
	var ids []string
	q := `SELECT id FROM tickets WHERE channel_id = ? AND contact_id = ? AND status <> 'solved' AND status <> 'closed'
		AND origin = 'offline'`
	if err := tx.Select(ctx, &ids, q, r.ChannelID, r.ContactID); err != nil {
		return "", false, fmt.Errorf("find open ticket: %w", err)
	}
	now := tx.Now()
	if len(ids) == 0 {
		id, created = hub.NewID("tc"), true
		const ins = `INSERT INTO tickets (id, tenant_id, channel_id, contact_id, conversation_id, status, subject, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`
		if _, err := tx.Exec(ctx, ins, id, r.TenantID, r.ChannelID, r.ContactID, r.ConversationID,
			hub.Truncate(r.Subject, 80), now, now); err != nil {
			return "", false, fmt.Errorf("open ticket: %w", err)
		}
		tx.Emit(hub.Event{TenantID: r.TenantID, ChannelID: r.ChannelID, Type: hub.EvTicketCreated, ConversationID: r.ConversationID},
			map[string]any{"ticket_id": id, "conversation_id": r.ConversationID})
	} else {
		id = ids[0]
	}
	for _, m := range messageIDs {
		if err := appendMessage(ctx, tx, r.TenantID, id, m); err != nil {
			return "", false, err
		}
	}
	// The customer answered: a ticket waiting on them is open again (its
	// resolution clock runs on).
	if _, err = tx.Exec(ctx, `UPDATE tickets SET updated_at = ?, status = CASE WHEN status = 'pending' THEN 'open' ELSE status END
		WHERE id = ?`, now, id); err != nil {
		return "", false, fmt.Errorf("touch ticket: %w", err)
	}
	return id, created, moveClocks(ctx, tx, r.TenantID, id, happened{retarget: created})
}

func appendMessage(ctx context.Context, tx *store.Tx, tenantID, ticketID, messageID string) error {
	const ins = `INSERT INTO ticket_messages (ticket_id, message_id, tenant_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := tx.Exec(ctx, ins, ticketID, messageID, tenantID, tx.Now()); err != nil {
		return fmt.Errorf("append to ticket: %w", err)
	}
	return nil
}

// Append adds an agent's public reply (already stored as a message) to a
// ticket's history, inside the caller's transaction; the first one stops
// the first-response clock.
func Append(ctx context.Context, tx *store.Tx, tenantID, ticketID, messageID string) error {
	if err := appendMessage(ctx, tx, tenantID, ticketID, messageID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE tickets SET updated_at = ? WHERE tenant_id = ? AND id = ?`, tx.Now(), tenantID, ticketID); err != nil {
		return fmt.Errorf("touch ticket: %w", err)
	}
	return moveClocks(ctx, tx, tenantID, ticketID, happened{responded: true})
}

// Conversation returns the conversation a ticket of the tenant holds, in the
// caller's transaction.
func Conversation(ctx context.Context, tx *store.Tx, tenantID, ticketID string) (string, error) {
	var ids []string
	if err := tx.Select(ctx, &ids, `SELECT conversation_id FROM tickets WHERE tenant_id = ? AND id = ?`, tenantID, ticketID); err != nil {
		return "", fmt.Errorf("find ticket: %w", err)
	}
	if len(ids) == 0 {
		return "", ErrNotFound
	}
	return ids[0], nil
}

// Filter narrows a ticket list. Assignee "none" lists unassigned tickets.
// Viewer, when set, limits the list to tickets assigned to that agent, to
// nobody, or followed by them (what a plain agent may see). View is one of
// the named views (mine, unassigned, group, following, overdue, all), Me
// the agent "mine" means. Sort "due" lists the earliest due first (the
// overdue view always does). Group keeps one group's tickets ("none":
// without a group), Type one type, Field and FieldValue those whose custom
// field holds the value, Text those whose subject holds the text (or whose
// id it is).
type Filter struct {
	Status            Status
	Assignee, Channel string
	Viewer, ContactID string
	View, Me          string
	Priority          Priority
	Group, Type       string
	Field, FieldValue string
	Text              string
	Sort              string
	Limit, Offset     int
}

// List returns a tenant's tickets, newest first.
func (s *Store) List(ctx context.Context, tenantID string, f Filter) ([]Ticket, error) {
	sh, err := s.fieldShape(ctx, tenantID, f)
	if err != nil {
		return nil, err
	}
	where, args, err := f.where(tenantID, s.k.Now(), sh)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.View == "following" && !s.k.Postgres {
		// the agent's follows first (a unary + keeps SQLite, which has no
		// statistics, off the tenant's indexes, which it would walk in
		// the list's order past every ticket nobody follows)
		where = "+" + where
	}
	q := `SELECT ` + cols + ` FROM tickets WHERE ` + where + ` ORDER BY ` + order(f) + ` LIMIT ? OFFSET ?`
	out := []Ticket{}
	if err := s.k.Select(ctx, &out, q, append(args, min(f.Limit, 500), max(f.Offset, 0))...); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	for i := range out {
		out[i].decode()
	}
	if err := s.missing(ctx, s.k, tenantID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// where is the filter as a condition on tickets.
func (f Filter) where(tenantID string, now time.Time, sh shape) (string, []any, error) {
	q, args := `tenant_id = ?`, []any{tenantID}
	if f.Status != "" && !f.Status.valid() {
		return "", nil, fmt.Errorf("%w: status must be new, open, pending, solved or closed", ErrInvalid)
	}
	if f.Priority != "" && !f.Priority.valid() {
		return "", nil, fmt.Errorf("%w: priority must be low, normal, high or urgent", ErrInvalid)
	}
	for _, c := range []struct {
		col string
		v   string
	}{{"status", string(f.Status)}, {"channel_id", f.Channel}, {"priority", string(f.Priority)}, {"type", f.Type}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	q, args, err := f.narrow(tenantID, q, args, sh)
	if err != nil {
		return "", nil, err
	}
	if f.ContactID != "" {
		// a customer's tickets include those of the contacts merged into it
		q += ` AND contact_id IN (SELECT id FROM contacts WHERE id = ? OR merged_into = ?)`
		args = append(args, f.ContactID, f.ContactID)
	}
	switch f.Assignee {
	case "":
	case "none":
		q += ` AND assignee_id IS NULL`
	default:
		q += ` AND assignee_id = ?`
		args = append(args, f.Assignee)
	}
	// The viewer's own views (mine, unassigned, following) are visible to
	// them by definition: no OR to keep the planner off the indexes.
	if f.Viewer != "" && (f.Viewer != f.Me || (f.View != "mine" && f.View != "unassigned" && f.View != "following")) {
		q += ` AND (assignee_id IS NULL OR assignee_id = ? OR ` + followed + `)`
		args = append(args, f.Viewer, f.Viewer)
	}
	v, ok := views[f.View]
	if !ok {
		return "", nil, fmt.Errorf("%w: view must be mine, unassigned, group, following, overdue or all", ErrInvalid)
	}
	if f.Sort != "" && f.Sort != "due" && f.Sort != "updated" {
		return "", nil, fmt.Errorf("%w: sort must be due or updated", ErrInvalid)
	}
	if v.cond != "" {
		q += ` AND ` + v.cond
		args = append(args, v.args(f.Me, now)...)
	}
	return q, args, nil
}

// order: by due time when asked (and in the overdue view), the earliest
// first and tickets without one last; a contact's tickets by creation;
// other lists by last change.
func order(f Filter) string {
	switch {
	case f.Sort == "due" || (f.View == "overdue" && f.Sort == ""):
		return `next_due_at NULLS LAST, id`
	case f.ContactID != "":
		return `created_at DESC, id`
	}
	return `updated_at DESC, id`
}

// Get returns a ticket with its messages and comments.
func (s *Store) Get(ctx context.Context, tenantID, id string) (*Ticket, error) {
	var t Ticket
	if err := s.k.Get(ctx, &t, `SELECT `+cols+` FROM tickets WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("get ticket: %w", err)
	}
	t.decode()
	one := []Ticket{t}
	if err := s.missing(ctx, s.k, tenantID, one); err != nil {
		return nil, err
	}
	t = one[0]
	var ids []string
	if err := s.k.Select(ctx, &ids, `SELECT message_id FROM ticket_messages WHERE ticket_id = ?`, id); err != nil {
		return nil, fmt.Errorf("ticket messages: %w", err)
	}
	ms, err := s.messages.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	t.Messages = make([]Entry, len(ms))
	for i, m := range ms {
		t.Messages[i] = Entry{MessageID: m.ID, Seq: m.Seq, Direction: m.Direction, SenderType: m.SenderType,
			SenderID: m.SenderID, Text: m.Text, Type: m.Type, Status: m.Status, CreatedAt: m.CreatedAt}
	}
	t.Followers = []string{}
	if err := s.k.Select(ctx, &t.Followers, `SELECT agent_id FROM ticket_followers WHERE ticket_id = ? ORDER BY created_at, agent_id`, id); err != nil {
		return nil, fmt.Errorf("ticket followers: %w", err)
	}
	t.Comments = []Comment{}
	const cq = `SELECT id, agent_id, text, created_at FROM ticket_comments WHERE ticket_id = ? ORDER BY created_at, id`
	if err := s.k.Select(ctx, &t.Comments, cq, id); err != nil {
		return nil, fmt.Errorf("ticket comments: %w", err)
	}
	return &t, nil
}

// Assign gives a ticket to an agent of the same tenant (a new ticket
// becomes open).
func (s *Store) Assign(ctx context.Context, tenantID, id, agentID string) (*Ticket, error) {
	if agentID == "" {
		return nil, fmt.Errorf("%w: agent_id is required", ErrInvalid)
	}
	return s.Update(ctx, tenantID, id, Change{AssigneeID: &agentID})
}

// Solve marks a ticket solved; the customer's next offline message opens a
// new one.
func (s *Store) Solve(ctx context.Context, tenantID, id string) (*Ticket, error) {
	solved := Solved
	return s.Update(ctx, tenantID, id, Change{Status: &solved})
}

// Visible reports whether a ticket may be seen by an agent who sees only
// their own work: assigned to them, or to nobody yet, or followed by them.
func (t *Ticket) Visible(agentID string) bool {
	return t.AssigneeID == nil || *t.AssigneeID == agentID || slices.Contains(t.Followers, agentID)
}

// AddComment adds an internal comment by an agent and returns the ticket.
func (s *Store) AddComment(ctx context.Context, tenantID, ticketID, agentID, text string) (*Ticket, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 20000 {
		return nil, fmt.Errorf("%w: text is required (at most 20000 bytes)", ErrInvalid)
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		const q = `INSERT INTO ticket_comments (id, tenant_id, ticket_id, agent_id, text, created_at)
			SELECT ?, tenant_id, id, ?, ?, ? FROM tickets WHERE tenant_id = ? AND id = ?`
		n, err := tx.Exec(ctx, q, hub.NewID("tcm"), agentID, text, now, tenantID, ticketID)
		if err != nil {
			return fmt.Errorf("add comment: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE tickets SET updated_at = ? WHERE tenant_id = ? AND id = ?`, now, tenantID, ticketID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, tenantID, ticketID)
}

// OpenCount counts a tenant's unsolved tickets (the live monitor).
func (s *Store) OpenCount(ctx context.Context, tenantID string) (int, error) {
	var n int
	if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND `+unresolved, tenantID); err != nil {
		return 0, fmt.Errorf("open tickets: %w", err)
	}
	return n, nil
}
