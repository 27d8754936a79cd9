package core

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Timer kinds. Each conversation has at most one pending timer per kind;
// arming again moves it.
const (
	TimerGreeting      = "greeting"
	TimerStillChecking = "still_checking"
	TimerIdleReminder  = "idle_reminder"
	TimerIdleClose     = "idle_close"
	TimerUnanswered    = "unanswered"
	TimerOverflow      = "overflow"
	TimerMaxWait       = "max_wait"
)

// arm schedules (or reschedules) a conversation's timer of a kind. ref is
// the state it was armed in; firing checks the state still holds.
func (s *Store) arm(ctx context.Context, tx *store.Tx, c *hub.Conversation, kind, ref string, due time.Time) error {
	const q = `INSERT INTO timers (id, tenant_id, conversation_id, kind, ref, due_at, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (conversation_id, kind)
		DO UPDATE SET ref = excluded.ref, due_at = excluded.due_at, status = 'pending', fired_at = NULL`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), hub.NewID("tm"), c.TenantID, c.ID, kind, ref, due.UTC(), s.now()); err != nil {
		return fmt.Errorf("arm %s timer: %w", kind, err)
	}
	return nil
}

// FireDueTimers fires the timers that are due and returns the tenants whose
// queues may have changed. Each timer fires once across processes and
// restarts: the transaction that acts also marks it done, conditionally on
// it still being pending and due, so a second process (or a retry after a
// crash) finds nothing to do.
func (s *Store) FireDueTimers(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	q := `SELECT id FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?`
	if err := s.db.R.SelectContext(ctx, &ids, s.db.R.Rebind(q), s.now(), limit); err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	kick := map[string]bool{}
	var reroute []string
	for _, id := range ids {
		t, err := s.fire(ctx, id)
		if err != nil {
			s.log.Warn("fire timer; retried on the next sweep", "timer", id, "err", err)
			continue
		}
		if t != nil && t.kick {
			kick[t.TenantID] = true
		}
		if t != nil && t.reroute {
			reroute = append(reroute, t.ConversationID)
		}
	}
	for _, id := range reroute {
		if _, err := s.Route(ctx, id, false); err != nil {
			s.log.Warn("route after overflow", "conversation", id, "err", err)
		}
	}
	out := make([]string, 0, len(kick))
	for t := range kick {
		out = append(out, t)
	}
	return out, nil
}

type firedTimer struct {
	TenantID       string `db:"tenant_id"`
	ConversationID string `db:"conversation_id"`
	Kind           string `db:"kind"`
	Ref            string `db:"ref"`
	kick, reroute  bool
}

func (s *Store) fire(ctx context.Context, id string) (*firedTimer, error) {
	var fired *firedTimer
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		fired = nil
		now := s.now()
		var ts []firedTimer
		q := `UPDATE timers SET status = 'done', fired_at = ? WHERE id = ? AND status = 'pending' AND due_at <= ?
			RETURNING tenant_id, conversation_id, kind, ref`
		if err := tx.SelectContext(ctx, &ts, tx.Rebind(q), now, id, now); err != nil {
			return fmt.Errorf("claim timer: %w", err)
		}
		if len(ts) == 0 {
			return nil // fired elsewhere, or moved later
		}
		fired = &ts[0]
		return s.act(ctx, tx, fx, fired)
	})
	return fired, err
}

// act does what a timer is for, if the conversation is still in the state
// the timer was armed for.
func (s *Store) act(ctx context.Context, tx *store.Tx, fx *effects, t *firedTimer) error {
	var cs []hub.Conversation
	q := tx.Rebind(`SELECT ` + convCols + ` FROM conversations WHERE id = ?` + s.db.ForUpdate())
	if err := tx.SelectContext(ctx, &cs, q, t.ConversationID); err != nil {
		return fmt.Errorf("lock conversation: %w", err)
	}
	if len(cs) == 0 {
		return nil
	}
	c := &cs[0]
	ch, err := s.ch.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	a := s.automations(ctx, ch)
	say := func(text string) error {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		_, err := s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: text, Type: "text"})
		return err
	}
	ref, _ := strconv.ParseInt(t.Ref, 10, 64)
	switch t.Kind {
	case TimerGreeting:
		if c.Status == hub.ConvClosed || c.Status == hub.ConvOffline || !a.Greeting.Enabled {
			return nil
		}
		if n, err := s.countMessages(ctx, tx, c.ID, 0, "out", "agent"); err != nil || n > 0 {
			return err
		}
		return say(a.Greeting.Text)
	case TimerStillChecking:
		if c.Status != hub.ConvOpen || !a.StillChecking.Enabled {
			return nil
		}
		if n, err := s.countMessages(ctx, tx, c.ID, ref, "", ""); err != nil || n > 0 {
			return err // the agent answered, or the customer wrote again (re-armed)
		}
		return say(a.StillChecking.Text)
	case TimerIdleReminder, TimerIdleClose:
		if c.Status != hub.ConvOpen || !a.Idle.Enabled {
			return nil
		}
		if n, err := s.countMessages(ctx, tx, c.ID, ref, "in", ""); err != nil || n > 0 {
			return err // the customer answered
		}
		if t.Kind == TimerIdleReminder {
			if err := say(a.Idle.ReminderText); err != nil {
				return err
			}
			return s.arm(ctx, tx, c, TimerIdleClose, t.Ref, s.now().Add(secs(a.Idle.CloseAfterSeconds)))
		}
		if err := say(a.Idle.CloseText); err != nil {
			return err
		}
		t.kick = true
		return s.closeIdle(ctx, tx, fx, c)
	case TimerUnanswered:
		return s.flagUnanswered(ctx, tx, fx, c, ch, t.Ref)
	case TimerOverflow:
		return s.overflowNow(ctx, tx, c, t, int(ref))
	case TimerMaxWait:
		if c.Status != hub.ConvQueued || c.QueuedAt == nil || c.QueuedAt.UTC().Format(time.RFC3339Nano) != t.Ref {
			return nil
		}
		t.kick = true
		_, err := s.toTicket(ctx, tx, fx, c, ch, a.Queue.MaxWaitText, "max_wait", "waited longer than the group's maximum wait")
		return err
	}
	return nil
}

// countMessages counts a conversation's messages after seq, of a direction
// and sender type ("" for any).
func (s *Store) countMessages(ctx context.Context, tx *store.Tx, convID string, after int64, dir, sender string) (int, error) {
	q := `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ?`
	args := []any{convID, after}
	if dir != "" {
		q += ` AND direction = ?`
		args = append(args, dir)
	}
	if sender != "" {
		q += ` AND sender_type = ?`
		args = append(args, sender)
	} else if dir == "" {
		q += ` AND NOT (direction = 'out' AND sender_type = 'system') AND direction <> 'internal'` // notes answer nobody
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(q), args...); err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	return n, nil
}

// closeIdle closes a conversation the customer left, freeing the seat.
func (s *Store) closeIdle(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation) error {
	now := s.now()
	const q = `UPDATE conversations SET status = 'closed', closed_at = ?, close_reason = 'idle', updated_at = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), now, now, c.ID); err != nil {
		return fmt.Errorf("close idle conversation: %w", err)
	}
	if err := s.release(ctx, tx, c); err != nil {
		return err
	}
	c.Status, c.ClosedAt, c.CloseReason = hub.ConvClosed, &now, "idle"
	fx.emit(&hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}, hub.EvConversationClosed, c.ID, deref(c.AssigneeID),
		map[string]any{"conversation": c, "by": "automation"})
	return nil
}

// flagUnanswered tells the agent and supervisors that an assigned
// conversation has waited too long for its first answer.
func (s *Store) flagUnanswered(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, ch *hub.Channel, ref string) error {
	agent, seqStr, _ := strings.Cut(ref, "|")
	seq, _ := strconv.ParseInt(seqStr, 10, 64)
	if c.Status != hub.ConvOpen || deref(c.AssigneeID) != agent {
		return nil
	}
	if n, err := s.countMessages(ctx, tx, c.ID, seq, "out", "agent"); err != nil || n > 0 {
		return err
	}
	now := s.now()
	const q = `UPDATE conversation_routing SET unanswered_at = ? WHERE conversation_id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), now, c.ID); err != nil {
		return fmt.Errorf("flag unanswered: %w", err)
	}
	var waited time.Duration
	if c.AssignedAt != nil {
		waited = now.Sub(*c.AssignedAt)
	}
	fx.emit(ch, hub.EvConversationUnanswered, c.ID, agent, map[string]any{"conversation_id": c.ID, "agent_id": agent,
		"waiting_seconds": int(waited.Seconds())})
	return nil
}

// overflowNow moves a conversation still waiting at step `stage` to the
// next step of its plan; the caller routes it after commit.
func (s *Store) overflowNow(ctx context.Context, tx *store.Tx, c *hub.Conversation, t *firedTimer, stage int) error {
	if c.Status != hub.ConvQueued {
		return nil
	}
	const q = `UPDATE conversation_routing SET stage = stage + 1, stage_at = ? WHERE conversation_id = ? AND stage = ?`
	res, err := tx.ExecContext(ctx, tx.Rebind(q), s.now(), c.ID, stage)
	if err != nil {
		return fmt.Errorf("overflow: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		t.reroute = true
		return s.logRouting(ctx, tx, c, logEntry{Outcome: "overflow", Reason: fmt.Sprintf("waited the step's overflow time at step %d; trying the next target", stage+1)})
	}
	return nil
}
