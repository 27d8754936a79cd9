package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Update changes a ticket's status (checked by Move), priority, type,
// subject, assignee, group or due time. Assigning a new ticket opens it;
// solving and closing stamp the time, reopening clears both stamps.
func (s *Store) Update(ctx context.Context, tenantID, id string, c Change) (*Ticket, error) {
	if err := s.check(ctx, tenantID, c); err != nil {
		return nil, err
	}
	sets, args, err := c.columns()
	if err != nil {
		return nil, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		var cur []Status
		q := `SELECT status FROM tickets WHERE tenant_id = ? AND id = ?` + s.k.ForUpdate()
		if err := tx.Select(ctx, &cur, q, tenantID, id); err != nil {
			return fmt.Errorf("read ticket: %w", err)
		}
		if len(cur) == 0 {
			return ErrNotFound
		}
		sets, args := statusColumns(cur[0], c, sets, args, tx.Now())
		if c.Status != nil {
			if err := Move(cur[0], *c.Status); err != nil {
				return err
			}
			if *c.Status == Open && (cur[0] == Solved || cur[0] == Closed) {
				if err := keepSolve(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		up := `UPDATE tickets SET ` + strings.Join(append(sets, "updated_at = ?"), ", ") + ` WHERE tenant_id = ? AND id = ?`
		_, err := tx.Exec(ctx, up, append(args, tx.Now(), tenantID, id)...)
		if store.IsUnique(err) {
			return hub.Coded("ticket_offline_open", fmt.Errorf("该客户在此渠道已有未解决的留言工单 (the customer already has an unsolved offline ticket on this channel): %w", hub.ErrConflict))
		}
		if err != nil {
			return fmt.Errorf("update ticket: %w", err)
		}
		if c.Fields != nil {
			if err := s.setFields(ctx, tx, tenantID, id, c.Fields); err != nil {
				return err
			}
		}
		if c.Status != nil && *c.Status != cur[0] && (*c.Status == Solved || *c.Status == Closed) {
			if err := s.mayFinish(ctx, tx, tenantID, id); err != nil {
				return err
			}
		}
		return moveClocks(ctx, tx, tenantID, id, happened{retarget: c.Priority != nil || c.GroupID != nil, manualDue: c.DueAt != nil})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, tenantID, id)
}

// Reopen sets a solved or closed ticket back to open.
func (s *Store) Reopen(ctx context.Context, tenantID, id string) (*Ticket, error) {
	open := Open
	return s.Update(ctx, tenantID, id, Change{Status: &open})
}

// columns are the SET clauses of the fields a change gives, but status.
func (c Change) columns() ([]string, []any, error) {
	var sets []string
	var args []any
	add := func(col string, v any) { sets, args = append(sets, col+" = ?"), append(args, v) }
	if c.Priority != nil {
		add("priority", *c.Priority)
	}
	if c.Type != nil {
		add("type", strings.TrimSpace(hub.Clean(*c.Type)))
	}
	if c.Subject != nil {
		v := strings.TrimSpace(hub.Clean(*c.Subject))
		if v == "" || utf8.RuneCountInString(v) > 200 {
			return nil, nil, fmt.Errorf("%w: subject is required, at most 200 characters", ErrInvalid)
		}
		add("subject", v)
	}
	if c.AssigneeID != nil {
		add("assignee_id", blank(c.AssigneeID))
	}
	if c.GroupID != nil {
		add("group_id", blank(c.GroupID))
	}
	if c.DueAt != nil {
		var due any
		if *c.DueAt != "" {
			t, err := time.Parse(time.RFC3339, *c.DueAt)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: due_at must be an RFC 3339 time", ErrInvalid)
			}
			due = t.UTC()
		}
		add("due_at", due)
	}
	return sets, args, nil
}

// statusColumns adds the status change: the one asked for, or new → open
// when the change assigns the ticket; with the solved/closed stamps.
func statusColumns(cur Status, c Change, sets []string, args []any, now time.Time) ([]string, []any) {
	to := cur
	if c.Status != nil {
		to = *c.Status
	} else if cur == StatusNew && c.AssigneeID != nil && *c.AssigneeID != "" {
		to = Open
	}
	if to == cur {
		return sets, args
	}
	sets, args = append(sets, "status = ?"), append(args, to)
	switch to {
	case Solved:
		sets, args = append(sets, "solved_at = ?"), append(args, now)
	case Closed:
		sets, args = append(sets, "closed_at = ?"), append(args, now)
	case Open:
		sets = append(sets, "solved_at = NULL", "closed_at = NULL")
	}
	return sets, args
}

// keepSolve records the solve of a ticket about to be reopened (its
// solved_at, else closed_at) in ticket_solves, for the tickets report.
func keepSolve(ctx context.Context, tx *store.Tx, id string) error {
	const q = `INSERT INTO ticket_solves (tenant_id, ticket_id, solved_at, reopened_at)
		SELECT tenant_id, id, COALESCE(solved_at, closed_at), ? FROM tickets
		WHERE id = ? AND COALESCE(solved_at, closed_at) IS NOT NULL ON CONFLICT DO NOTHING`
	if _, err := tx.Exec(ctx, q, tx.Now(), id); err != nil {
		return fmt.Errorf("keep ticket solve: %w", err)
	}
	return nil
}
