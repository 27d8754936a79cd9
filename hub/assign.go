package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/tickets"
)

// Decision is the outcome of routing one conversation.
type Decision struct {
	ConversationID string `json:"conversation_id"`
	Outcome        string `json:"outcome"` // assigned, queued, offline, skipped
	AgentID        string `json:"agent_id,omitempty"`
	TicketID       string `json:"ticket_id,omitempty"`
}

var errTaken = errors.New("conversation already routed")

// candidates loads the agents of a target group (every agent of the tenant
// when the conversation has no group).
func (s *Store) candidates(ctx context.Context, tenantID string, groupID *string) ([]routing.Candidate, error) {
	type row struct {
		ID       string     `db:"id"`
		Status   string     `db:"status"`
		Disabled bool       `db:"disabled"`
		Current  int        `db:"current_chats"`
		Max      int        `db:"max_chats"`
		Last     *time.Time `db:"last_assigned_at"`
	}
	q := `SELECT id, status, disabled, current_chats, max_chats, last_assigned_at FROM agents WHERE tenant_id = ?`
	args := []any{tenantID}
	if groupID != nil {
		q += ` AND id IN (SELECT agent_id FROM group_members WHERE group_id = ?)`
		args = append(args, *groupID)
	}
	var rows []row
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("load candidates: %w", err)
	}
	out := make([]routing.Candidate, len(rows))
	for i, r := range rows {
		out[i] = routing.Candidate{ID: r.ID, Status: r.Status, Disabled: r.Disabled, Current: r.Current, Max: r.Max}
		if r.Last != nil {
			out[i].LastAssignedAt = *r.Last
		}
	}
	return out, nil
}

func (s *Store) convByID(ctx context.Context, id string) (*Conversation, error) {
	var c Conversation
	if err := s.db.R.GetContext(ctx, &c, s.db.R.Rebind(`SELECT `+convCols+` FROM conversations WHERE id = ?`), id); err != nil {
		if db.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	return &c, nil
}

// Route assigns a queued conversation: to the best eligible agent of its
// target; when nobody is free it stays queued; when nobody of the target is
// signed in at all it goes offline and becomes a ticket. Safe to call from
// several processes at once: the agent's capacity and the conversation's
// status are both claimed with conditional updates in one transaction.
func (s *Store) Route(ctx context.Context, convID string, announce bool) (Decision, error) {
	d := Decision{ConversationID: convID, Outcome: "skipped"}
	c, err := s.convByID(ctx, convID)
	if err != nil || c.Status != ConvQueued {
		return d, err
	}
	cands, err := s.candidates(ctx, c.TenantID, c.GroupID)
	if err != nil {
		return d, err
	}
	if !routing.Present(cands) {
		return s.goOffline(ctx, c)
	}
	older, err := s.olderQueued(ctx, c)
	if err != nil {
		return d, err
	}
	if older {
		// FIFO: a seat goes to the conversation waiting longest; this one
		// waits its turn (the drain routes the queue oldest first).
		d.Outcome = "queued"
		return d, s.announceQueued(ctx, c, announce)
	}
	for _, cand := range routing.Rank(routing.Load, cands) {
		ok, err := s.tryAssign(ctx, c, cand.ID)
		if errors.Is(err, errTaken) {
			return d, nil
		}
		if err != nil {
			return d, err
		}
		if ok {
			d.Outcome, d.AgentID = "assigned", cand.ID
			return d, nil
		}
	}
	d.Outcome = "queued"
	return d, s.announceQueued(ctx, c, announce)
}

func (s *Store) announceQueued(ctx context.Context, c *Conversation, announce bool) error {
	if !announce {
		return nil
	}
	return s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		fx.emit(&Channel{ID: c.ChannelID, TenantID: c.TenantID}, EvConversationQueued, c.ID, "",
			map[string]any{"conversation": c})
		return nil
	})
}

// olderQueued reports whether a conversation for the same group has been
// waiting longer than c.
func (s *Store) olderQueued(ctx context.Context, c *Conversation) (bool, error) {
	if c.QueuedAt == nil {
		return false, nil
	}
	var n int
	q := `SELECT COUNT(*) FROM conversations WHERE tenant_id = ? AND status = 'queued' AND COALESCE(group_id, '') = ?
		AND (queued_at < ? OR (queued_at = ? AND id < ?))`
	err := s.db.R.GetContext(ctx, &n, s.db.R.Rebind(q), c.TenantID, deref(c.GroupID), *c.QueuedAt, *c.QueuedAt, c.ID)
	if err != nil {
		return false, fmt.Errorf("older queued: %w", err)
	}
	return n > 0, nil
}

func (s *Store) tryAssign(ctx context.Context, c *Conversation, agentID string) (bool, error) {
	assigned := false
	err := s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		assigned = false
		now := s.now()
		const claim = `UPDATE agents SET current_chats = current_chats + 1, last_assigned_at = ?
			WHERE id = ? AND status = 'online' AND NOT disabled AND current_chats < max_chats`
		res, err := tx.ExecContext(ctx, tx.Rebind(claim), now, agentID)
		if err != nil {
			return fmt.Errorf("claim agent: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		const take = `UPDATE conversations SET status = 'open', assignee_id = ?, assigned_at = ?, updated_at = ?
			WHERE id = ? AND status = 'queued' RETURNING last_seq`
		var seq []int64
		if err := tx.SelectContext(ctx, &seq, tx.Rebind(take), agentID, now, now, c.ID); err != nil {
			return fmt.Errorf("take conversation: %w", err)
		}
		if len(seq) == 0 {
			return errTaken // rolls back the capacity claim too
		}
		c.Status, c.AssigneeID, c.AssignedAt, c.LastSeq = ConvOpen, &agentID, &now, seq[0]
		assigned = true
		return s.emitAssigned(ctx, tx, fx, c, map[string]any{"policy": string(routing.Load)})
	})
	return assigned, err
}

// goOffline turns a conversation nobody can answer into a ticket and sends
// the channel's offline auto-reply.
func (s *Store) goOffline(ctx context.Context, c *Conversation) (Decision, error) {
	d := Decision{ConversationID: c.ID, Outcome: "skipped"}
	ch, err := s.Channel(ctx, c.ChannelID)
	if err != nil {
		return d, err
	}
	err = s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		const q = `UPDATE conversations SET status = 'offline', updated_at = ? WHERE id = ? AND status = 'queued'`
		res, err := tx.ExecContext(ctx, tx.Rebind(q), s.now(), c.ID)
		if err != nil {
			return fmt.Errorf("mark offline: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		c.Status = ConvOffline
		ticketID, created, err := s.fileTicket(ctx, tx, c, 0)
		if err != nil {
			return err
		}
		d.Outcome, d.TicketID = "offline", ticketID
		fx.emit(ch, EvConversationOffline, c.ID, "", map[string]any{"conversation": c, "ticket_id": ticketID})
		if created {
			fx.emit(ch, EvTicketCreated, c.ID, "", map[string]any{"ticket_id": ticketID, "conversation_id": c.ID})
		}
		_, err = s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: ch.OfflineMessage, Type: "text"})
		return err
	})
	return d, err
}

// fileTicket opens (or appends to) the contact's ticket with the
// conversation's messages after seq `after`.
func (s *Store) fileTicket(ctx context.Context, tx *sqlx.Tx, c *Conversation, after int64) (string, bool, error) {
	var ids []string
	q := `SELECT id FROM messages WHERE conversation_id = ? AND seq > ? AND direction = 'in' ORDER BY seq`
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(q), c.ID, after); err != nil {
		return "", false, fmt.Errorf("ticket messages: %w", err)
	}
	return tickets.OpenOrAppend(ctx, tx, tickets.Ref{TenantID: c.TenantID, ChannelID: c.ChannelID,
		ContactID: c.ContactID, ConversationID: c.ID}, ids, s.now())
}

// AfterIngest routes what a stored inbound message needs: a new
// conversation is routed; a message on an offline conversation goes to the
// open ticket, or re-queues the conversation when someone came online.
func (s *Store) AfterIngest(ctx context.Context, r IngestResult) (Decision, error) {
	if r.Duplicate || r.Err != nil {
		return Decision{ConversationID: r.ConversationID, Outcome: "skipped"}, nil
	}
	switch r.Status {
	case ConvQueued:
		return s.Route(ctx, r.ConversationID, r.New)
	case ConvOffline:
		return s.offlineMessage(ctx, r)
	}
	return Decision{ConversationID: r.ConversationID, Outcome: "skipped"}, nil
}

func (s *Store) offlineMessage(ctx context.Context, r IngestResult) (Decision, error) {
	d := Decision{ConversationID: r.ConversationID, Outcome: "offline"}
	c, err := s.convByID(ctx, r.ConversationID)
	if err != nil || c.Status != ConvOffline {
		return d, err
	}
	cands, err := s.candidates(ctx, c.TenantID, c.GroupID)
	if err != nil {
		return d, err
	}
	present := routing.Present(cands)
	err = s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		if present {
			now := s.now()
			const q = `UPDATE conversations SET status = 'queued', queued_at = ?, updated_at = ? WHERE id = ? AND status = 'offline'`
			_, err := tx.ExecContext(ctx, tx.Rebind(q), now, now, c.ID)
			return err
		}
		var seq int64
		if err := tx.GetContext(ctx, &seq, tx.Rebind(`SELECT seq FROM messages WHERE id = ?`), r.MessageID); err != nil {
			return fmt.Errorf("message seq: %w", err)
		}
		id, created, err := s.fileTicket(ctx, tx, c, seq-1)
		d.TicketID = id
		if err != nil || !created {
			return err
		}
		// The previous ticket was solved, so this message opened a new one:
		// announce it and tell the customer again, as goOffline does.
		ch, err := s.Channel(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		fx.emit(ch, EvTicketCreated, c.ID, "", map[string]any{"ticket_id": id, "conversation_id": c.ID})
		_, err = s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: ch.OfflineMessage, Type: "text"})
		return err
	})
	if err != nil || !present {
		return d, err
	}
	return s.Route(ctx, c.ID, true)
}

// Drain assigns queued conversations of a tenant, oldest first, until one
// cannot be assigned. Called when capacity frees (close, transfer, agent
// online, max raised) and periodically as a sweeper.
func (s *Store) Drain(ctx context.Context, tenantID string) ([]Decision, error) {
	var ids []string
	q := `SELECT id FROM conversations WHERE tenant_id = ? AND status = 'queued' ORDER BY queued_at, id LIMIT 200`
	if err := s.db.R.SelectContext(ctx, &ids, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("queued conversations: %w", err)
	}
	var out []Decision
	blocked := map[string]bool{}
	for _, id := range ids {
		c, err := s.convByID(ctx, id)
		if err != nil || c.Status != ConvQueued || blocked[deref(c.GroupID)] {
			continue
		}
		d, err := s.Route(ctx, id, false)
		if err != nil {
			return out, err
		}
		if d.Outcome == "queued" {
			blocked[deref(c.GroupID)] = true // FIFO: nobody behind it in that group jumps ahead
		}
		out = append(out, d)
	}
	return out, nil
}

// TenantsWithQueue lists tenants that have queued conversations (sweeper).
func (s *Store) TenantsWithQueue(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.db.R.SelectContext(ctx, &ids, `SELECT DISTINCT tenant_id FROM conversations WHERE status = 'queued'`)
	if err != nil {
		return nil, fmt.Errorf("tenants with queue: %w", err)
	}
	return ids, nil
}
