package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Priority is how urgent a ticket is.
type Priority string

// Priorities.
const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

func (p Priority) valid() bool { return p == Low || p == Normal || p == High || p == Urgent }

// Origin is how a ticket came to be.
type Origin string

// Origins: only offline tickets collect a customer's later offline messages
// (one unsolved offline ticket per customer and channel).
const (
	FromOffline      Origin = "offline"
	FromAgent        Origin = "agent"
	FromConversation Origin = "conversation"
)

// labels name the statuses the way agents read them.
var labels = map[Status]string{StatusNew: "新建", Open: "处理中", Pending: "等待客户回复", Solved: "已解决", Closed: "已关闭"}

func (s Status) valid() bool { _, ok := labels[s]; return ok }

// moves lists where each status may go; solved and closed go back to open
// (reopen). Nothing goes back to new.
var moves = map[Status][]Status{
	StatusNew: {Open, Pending, Solved, Closed},
	Open:      {Pending, Solved, Closed},
	Pending:   {Open, Solved, Closed},
	Solved:    {Open, Closed},
	Closed:    {Open},
}

// Move checks a status change; staying is always allowed. A refused change
// is a conflict (409) whose message says, Chinese first, what cannot be done.
func Move(from, to Status) error {
	if !to.valid() {
		return fmt.Errorf("%w: status must be new, open, pending, solved or closed", ErrInvalid)
	}
	if from == to {
		return nil
	}
	for _, s := range moves[from] {
		if s == to {
			return nil
		}
	}
	return hub.Coded("ticket_transition", fmt.Errorf("工单不能从“%s”改为“%s” (a %s ticket cannot become %s): %w",
		labels[from], labels[to], from, to, hub.ErrConflict), "from", string(from), "to", string(to))
}

// unresolved is the condition of tickets still to be worked.
const unresolved = `status IN ('new', 'open', 'pending')`

// view is a named ticket list (the tickets view's tabs, with their counts).
type view struct {
	cond string
	args func(me string, now time.Time) []any
}

// followed is the condition of tickets the agent (an argument) follows.
const followed = `tickets.id IN (SELECT f.ticket_id FROM ticket_followers f WHERE f.agent_id = ?)`

var views = map[string]view{
	"":    {},
	"all": {},
	"mine": {cond: unresolved + ` AND assignee_id = ?`,
		args: func(me string, _ time.Time) []any { return []any{me} }},
	"unassigned": {cond: unresolved + ` AND assignee_id IS NULL`, args: func(string, time.Time) []any { return nil }},
	// group: the unresolved tickets of the agent's groups.
	"group": {cond: unresolved + ` AND group_id IN (SELECT m.group_id FROM group_members m WHERE m.agent_id = ?)`,
		args: func(me string, _ time.Time) []any { return []any{me} }},
	"following": {cond: unresolved + ` AND ` + followed, args: func(me string, _ time.Time) []any { return []any{me} }},
	// overdue: breached, or past a running due time.
	"overdue": {cond: unresolved + ` AND (next_due_at < ? OR first_response_sla = 2 OR resolution_sla = 2)`,
		args: func(_ string, now time.Time) []any { return []any{now} }},
}

// ViewNames are the views Counts counts, in the order a UI shows them.
var ViewNames = []string{"mine", "unassigned", "group", "following", "overdue", "all"}

// NewTicket is a ticket an agent opens: for a customer (ContactID, on the
// customer's channel), optionally from one of their conversations (the
// transcript link).
type NewTicket struct {
	Subject        string
	ContactID      string
	ChannelID      string
	ConversationID string
	Priority       Priority
	Type           string
	AssigneeID     *string
	GroupID        *string
	DueAt          *time.Time
	CreatedBy      string
	// Fields are the ticket's custom-field values (checked against the
	// tenant's ticket fields; required ones must be given).
	Fields map[string]string
}

// Create opens a ticket by hand: new, or open when it has an assignee.
func (s *Store) Create(ctx context.Context, tenantID string, n NewTicket) (*Ticket, error) {
	n.Subject = strings.TrimSpace(hub.Clean(n.Subject))
	if n.Subject == "" || utf8.RuneCountInString(n.Subject) > 200 {
		return nil, hub.Coded("ticket_subject", fmt.Errorf("请填写主题，最多200字 (subject is required, at most 200 characters): %w", ErrInvalid))
	}
	if n.Priority == "" {
		n.Priority = Normal
	}
	c := Change{Priority: &n.Priority, Type: &n.Type, AssigneeID: n.AssigneeID, GroupID: n.GroupID}
	if err := s.check(ctx, tenantID, c); err != nil {
		return nil, err
	}
	id, status, origin := hub.NewID("tc"), StatusNew, FromAgent
	if n.AssigneeID != nil && *n.AssigneeID != "" {
		status = Open
	}
	if n.ConversationID != "" {
		origin = FromConversation
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		const ins = `INSERT INTO tickets (id, tenant_id, channel_id, contact_id, conversation_id, status, assignee_id, subject,
			created_at, updated_at, priority, type, group_id, origin, created_by, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.Exec(ctx, ins, id, tenantID, n.ChannelID, n.ContactID, n.ConversationID, status, blank(n.AssigneeID),
			n.Subject, now, now, n.Priority, strings.TrimSpace(n.Type), blank(n.GroupID), origin, n.CreatedBy, n.DueAt); err != nil {
			return fmt.Errorf("create ticket: %w", err)
		}
		if err := s.setFields(ctx, tx, tenantID, id, n.Fields); err != nil {
			return err
		}
		tx.Emit(hub.Event{TenantID: tenantID, ChannelID: n.ChannelID, Type: hub.EvTicketCreated, ConversationID: n.ConversationID},
			map[string]any{"ticket_id": id, "conversation_id": n.ConversationID})
		return moveClocks(ctx, tx, tenantID, id, happened{retarget: true, manualDue: n.DueAt != nil})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, tenantID, id)
}

// blank turns an empty optional id into NULL.
func blank(id *string) any {
	if id == nil || *id == "" {
		return nil
	}
	return *id
}

// Change edits a ticket; nil fields stay. AssigneeID or GroupID "" clears
// them; DueAt "" clears the due time. Fields sets the custom fields it
// names ("" clears one) and keeps the others.
type Change struct {
	Fields     map[string]string `json:"fields"`
	Status     *Status           `json:"status"`
	Priority   *Priority         `json:"priority"`
	Type       *string           `json:"type"`
	Subject    *string           `json:"subject"`
	AssigneeID *string           `json:"assignee_id"`
	GroupID    *string           `json:"group_id"`
	DueAt      *string           `json:"due_at"`
}

// check validates a change against the tenant: known priority, an
// assignee and a group of the tenant.
func (s *Store) check(ctx context.Context, tenantID string, c Change) error {
	if c.Priority != nil && !c.Priority.valid() {
		return fmt.Errorf("%w: priority must be low, normal, high or urgent", ErrInvalid)
	}
	if c.Type != nil && utf8.RuneCountInString(*c.Type) > 50 {
		return fmt.Errorf("%w: type is at most 50 characters", ErrInvalid)
	}
	if c.AssigneeID != nil && *c.AssigneeID != "" {
		if _, err := s.agents.Get(ctx, tenantID, *c.AssigneeID); errors.Is(err, hub.ErrNotFound) {
			return fmt.Errorf("%w: agent %q does not exist", ErrInvalid, *c.AssigneeID)
		} else if err != nil {
			return err
		}
	}
	if c.GroupID != nil && *c.GroupID != "" {
		var n int
		const q = `SELECT COUNT(*) FROM agent_groups WHERE tenant_id = ? AND id = ?`
		if err := s.k.Get(ctx, &n, q, tenantID, *c.GroupID); err != nil {
			return fmt.Errorf("check group: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: group %q does not exist", ErrInvalid, *c.GroupID)
		}
	}
	return nil
}
