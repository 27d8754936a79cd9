// Package tickets keeps what arrives while nobody can answer: a ticket per
// customer per channel while it is open, with the messages that went into it.
// It imports nothing of Kefu's; the hub calls OpenOrAppend inside its own
// transaction so a message and its ticket are stored together.
package tickets

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Ticket statuses.
const (
	Open    = "open"
	Pending = "pending"
	Solved  = "solved"
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
	Status         string     `db:"status" json:"status"`
	AssigneeID     *string    `db:"assignee_id" json:"assignee_id"`
	Subject        string     `db:"subject" json:"subject"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at" json:"updated_at"`
	SolvedAt       *time.Time `db:"solved_at" json:"solved_at,omitempty"`
	Messages       []Entry    `db:"-" json:"messages,omitempty"`
	// Comments are internal notes between staff; customers never see them.
	Comments []Comment `db:"-" json:"comments,omitempty"`
}

// Entry is one message in a ticket's history: what the customer left and
// what agents answered (direction "in" or "out").
type Entry struct {
	MessageID  string    `db:"id" json:"id"`
	Seq        int64     `db:"seq" json:"seq"`
	Direction  string    `db:"direction" json:"direction"`
	SenderType string    `db:"sender_type" json:"sender_type"`
	SenderID   string    `db:"sender_id" json:"sender_id"`
	Text       string    `db:"text" json:"text"`
	Type       string    `db:"type" json:"type"`
	Status     string    `db:"status" json:"status"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// Ref says whose ticket it is.
type Ref struct {
	TenantID, ChannelID, ContactID, ConversationID string
}

const cols = `id, tenant_id, channel_id, contact_id, conversation_id, status, assignee_id, subject, created_at, updated_at, solved_at`

func newID() string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "tc_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// OpenOrAppend adds messages to the contact's open ticket on the channel,
// opening one when there is none. At most one unsolved ticket per contact
// and channel exists (a partial unique index); adding a message twice is a
// no-op.
func OpenOrAppend(ctx context.Context, tx *sqlx.Tx, r Ref, messageIDs []string, now time.Time) (id string, created bool, err error) {
	var ids []string
	q := tx.Rebind(`SELECT id FROM tickets WHERE channel_id = ? AND contact_id = ? AND status <> 'solved'`)
	if err := tx.SelectContext(ctx, &ids, q, r.ChannelID, r.ContactID); err != nil {
		return "", false, fmt.Errorf("find open ticket: %w", err)
	}
	if len(ids) == 0 {
		id, created = newID(), true
		const ins = `INSERT INTO tickets (id, tenant_id, channel_id, contact_id, conversation_id, status, subject, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'open', '', ?, ?)`
		if _, err := tx.ExecContext(ctx, tx.Rebind(ins), id, r.TenantID, r.ChannelID, r.ContactID, r.ConversationID, now, now); err != nil {
			return "", false, fmt.Errorf("open ticket: %w", err)
		}
	} else {
		id = ids[0]
	}
	for _, m := range messageIDs {
		const ins = `INSERT INTO ticket_messages (ticket_id, message_id, tenant_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
		if _, err := tx.ExecContext(ctx, tx.Rebind(ins), id, m, r.TenantID, now); err != nil {
			return "", false, fmt.Errorf("append to ticket: %w", err)
		}
	}
	if created && len(messageIDs) > 0 {
		const subj = `UPDATE tickets SET subject = (SELECT SUBSTR(text, 1, 80) FROM messages WHERE id = ?) WHERE id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(subj), messageIDs[0], id); err != nil {
			return "", false, fmt.Errorf("ticket subject: %w", err)
		}
	}
	const touch = `UPDATE tickets SET updated_at = ? WHERE id = ?`
	_, err = tx.ExecContext(ctx, tx.Rebind(touch), now, id)
	return id, created, err
}

// Store reads and changes tickets, always within one tenant.
type Store struct {
	DB  *sqlx.DB // writer
	R   *sqlx.DB // reader
	Now func() time.Time
}

// Filter narrows a ticket list. Assignee "none" lists unassigned tickets.
// Viewer, when set, limits the list to tickets assigned to that agent or to
// nobody (what a plain agent may see).
type Filter struct {
	Status, Assignee, Channel string
	Viewer                    string
	Limit                     int
}

// List returns a tenant's tickets, newest first.
func (s *Store) List(ctx context.Context, tenantID string, f Filter) ([]Ticket, error) {
	q := `SELECT ` + cols + ` FROM tickets WHERE tenant_id = ?`
	args := []any{tenantID}
	if f.Status != "" && f.Status != Open && f.Status != Pending && f.Status != Solved {
		return nil, fmt.Errorf("%w: status must be open, pending or solved", ErrInvalid)
	}
	for col, v := range map[string]string{"status": f.Status, "channel_id": f.Channel} {
		if v != "" {
			q += ` AND ` + col + ` = ?`
			args = append(args, v)
		}
	}
	switch f.Assignee {
	case "":
	case "none":
		q += ` AND assignee_id IS NULL`
	default:
		q += ` AND assignee_id = ?`
		args = append(args, f.Assignee)
	}
	if f.Viewer != "" {
		q += ` AND (assignee_id IS NULL OR assignee_id = ?)`
		args = append(args, f.Viewer)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 500)
	q += ` ORDER BY updated_at DESC, id LIMIT ?`
	args = append(args, f.Limit)
	out := []Ticket{}
	if err := s.R.SelectContext(ctx, &out, s.R.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return out, nil
}

// Get returns a ticket with its messages.
func (s *Store) Get(ctx context.Context, tenantID, id string) (*Ticket, error) {
	var t Ticket
	if err := s.R.GetContext(ctx, &t, s.R.Rebind(`SELECT `+cols+` FROM tickets WHERE tenant_id = ? AND id = ?`), tenantID, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("get ticket: %w", err)
	}
	t.Messages = []Entry{}
	const q = `SELECT m.id, m.seq, m.direction, m.sender_type, m.sender_id, m.text, m.type, m.status, m.created_at
		FROM ticket_messages tm JOIN messages m ON m.id = tm.message_id
		WHERE tm.ticket_id = ? ORDER BY m.created_at, m.seq`
	if err := s.R.SelectContext(ctx, &t.Messages, s.R.Rebind(q), id); err != nil {
		return nil, fmt.Errorf("ticket messages: %w", err)
	}
	t.Comments = []Comment{}
	const cq = `SELECT id, agent_id, text, created_at FROM ticket_comments WHERE ticket_id = ? ORDER BY created_at, id`
	if err := s.R.SelectContext(ctx, &t.Comments, s.R.Rebind(cq), id); err != nil {
		return nil, fmt.Errorf("ticket comments: %w", err)
	}
	return &t, nil
}

// Assign gives a ticket to an agent of the same tenant.
func (s *Store) Assign(ctx context.Context, tenantID, id, agentID string) (*Ticket, error) {
	var n int
	if err := s.R.GetContext(ctx, &n, s.R.Rebind(`SELECT COUNT(*) FROM agents WHERE tenant_id = ? AND id = ?`), tenantID, agentID); err != nil {
		return nil, fmt.Errorf("find agent: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: agent %q does not exist", ErrInvalid, agentID)
	}
	return s.update(ctx, tenantID, id, `assignee_id = ?, status = CASE WHEN status = 'solved' THEN 'solved' ELSE 'pending' END`, agentID)
}

// Solve closes a ticket; the customer's next offline message opens a new one.
func (s *Store) Solve(ctx context.Context, tenantID, id string) (*Ticket, error) {
	return s.update(ctx, tenantID, id, `status = 'solved', solved_at = ?`, s.Now())
}

func (s *Store) update(ctx context.Context, tenantID, id, set string, arg any) (*Ticket, error) {
	q := `UPDATE tickets SET ` + set + `, updated_at = ? WHERE tenant_id = ? AND id = ?`
	res, err := s.DB.ExecContext(ctx, s.DB.Rebind(q), arg, s.Now(), tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("update ticket: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return s.Get(ctx, tenantID, id)
}

// Comment is an internal note on a ticket.
type Comment struct {
	ID        string    `db:"id" json:"id"`
	AgentID   string    `db:"agent_id" json:"agent_id"`
	Text      string    `db:"text" json:"text"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Visible reports whether a ticket may be seen by an agent who sees only
// their own work: assigned to them, or to nobody yet.
func (t *Ticket) Visible(agentID string) bool {
	return t.AssigneeID == nil || *t.AssigneeID == agentID
}

// Append adds an agent's reply (already stored as a message) to a ticket's
// history, inside the caller's transaction.
func Append(ctx context.Context, tx *sqlx.Tx, tenantID, ticketID, messageID string, now time.Time) error {
	const ins = `INSERT INTO ticket_messages (ticket_id, message_id, tenant_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, tx.Rebind(ins), ticketID, messageID, tenantID, now); err != nil {
		return fmt.Errorf("append reply to ticket: %w", err)
	}
	const touch = `UPDATE tickets SET updated_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(touch), now, tenantID, ticketID); err != nil {
		return fmt.Errorf("touch ticket: %w", err)
	}
	return nil
}

// AddComment adds an internal comment by an agent and returns the ticket.
func (s *Store) AddComment(ctx context.Context, tenantID, ticketID, agentID, text string) (*Ticket, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 20000 {
		return nil, fmt.Errorf("%w: text is required (at most 20000 bytes)", ErrInvalid)
	}
	now := s.Now()
	const q = `INSERT INTO ticket_comments (id, tenant_id, ticket_id, agent_id, text, created_at)
		SELECT ?, tenant_id, id, ?, ?, ? FROM tickets WHERE tenant_id = ? AND id = ?`
	res, err := s.DB.ExecContext(ctx, s.DB.Rebind(q), "tcm_"+newID()[3:], agentID, text, now, tenantID, ticketID)
	if err != nil {
		return nil, fmt.Errorf("add comment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	const touch = `UPDATE tickets SET updated_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.DB.ExecContext(ctx, s.DB.Rebind(touch), now, tenantID, ticketID); err != nil {
		return nil, fmt.Errorf("touch ticket: %w", err)
	}
	return s.Get(ctx, tenantID, ticketID)
}
