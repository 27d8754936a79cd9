package automations

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Kind names a conversation timer. Each conversation has at most one
// pending timer per kind; arming again moves it.
type Kind string

// Timer kinds.
const (
	TimerGreeting      Kind = "greeting"       // the greeting after a conversation opens
	TimerStillChecking Kind = "still_checking" // "正在为您查询" when the agent is slow to answer
	TimerIdleReminder  Kind = "idle_reminder"  // the customer went quiet: remind them
	TimerIdleClose     Kind = "idle_close"     // … then close the conversation
	TimerUnanswered    Kind = "unanswered"     // flag an assignment the agent has not answered
	TimerOverflow      Kind = "overflow"       // move a waiting conversation to its next target
	TimerMaxWait       Kind = "max_wait"       // offer a waiting customer to leave a message
	TimerWindowClosed  Kind = "window_closed"  // the platform's reply window closed: ticket it if unanswered
	TimerAgentGreeting Kind = "agent_greeting" // the assigned agent's own greeting (their profile)
)

// Arm schedules (or reschedules) a conversation's timer of a kind, in the
// caller's transaction. ref is the state it was armed in; firing checks the
// state still holds.
func Arm(ctx context.Context, tx *store.Tx, c *hub.Conversation, kind Kind, ref string, due time.Time) error {
	const q = `INSERT INTO timers (id, tenant_id, conversation_id, kind, ref, due_at, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (conversation_id, kind)
		DO UPDATE SET ref = excluded.ref, due_at = excluded.due_at, status = 'pending', fired_at = NULL`
	if _, err := tx.Exec(ctx, q, hub.NewID("tm"), c.TenantID, c.ID, kind, ref, due.UTC(), tx.Now()); err != nil {
		return fmt.Errorf("arm %s timer: %w", kind, err)
	}
	return nil
}

// Arming is one timer to arm (see ArmAll).
type Arming struct {
	Conversation *hub.Conversation
	Kind         Kind
	Ref          string
	Due          time.Time
}

// ArmAll arms several timers with one statement, as Arm arms one; a
// conversation may have one timer of each kind in the list.
func ArmAll(ctx context.Context, tx *store.Tx, as []Arming) error {
	if len(as) == 0 {
		return nil
	}
	rows := make([]string, len(as))
	args := make([]any, 0, 7*len(as))
	for i, a := range as {
		rows[i] = "(?, ?, ?, ?, ?, ?, 'pending', ?)"
		args = append(args, hub.NewID("tm"), a.Conversation.TenantID, a.Conversation.ID, a.Kind, a.Ref, a.Due.UTC(), tx.Now())
	}
	q := `INSERT INTO timers (id, tenant_id, conversation_id, kind, ref, due_at, status, created_at) VALUES ` +
		strings.Join(rows, ", ") + ` ON CONFLICT (conversation_id, kind)
		DO UPDATE SET ref = excluded.ref, due_at = excluded.due_at, status = 'pending', fired_at = NULL`
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("arm timers: %w", err)
	}
	return nil
}

// Timer is a timer that came due.
type Timer struct {
	TenantID       string `db:"tenant_id"`
	ConversationID string `db:"conversation_id"`
	Kind           Kind   `db:"kind"`
	Ref            string `db:"ref"`
}

// Result is what firing a timer changed: Kick when seats freed or the
// queue changed (drain the tenant's queue), Reroute when the conversation
// should be routed again.
type Result struct{ Kick, Reroute bool }

// Handler does what a timer is for, in the transaction that marks it
// fired, if the conversation is still in the state the timer was armed for.
type Handler func(ctx context.Context, tx *store.Tx, t Timer) (Result, error)

// Timers fires due timers through the handlers of their kinds. Each timer
// fires once across processes and restarts: the transaction that acts also
// marks it done, conditionally on it still being pending and due, so a
// second process (or a retry after a crash) finds nothing to do.
type Timers struct {
	k        *store.Store
	handlers map[Kind]Handler
	log      *slog.Logger
}

// NewTimers returns the timer runner with the handlers of every kind.
func NewTimers(k *store.Store, handlers map[Kind]Handler, log *slog.Logger) *Timers {
	return &Timers{k: k, handlers: handlers, log: log}
}

// FireDue fires up to limit due timers. It returns the tenants whose queues
// may have changed and the conversations to route again.
func (t *Timers) FireDue(ctx context.Context, limit int) (kick, reroute []string, err error) {
	var ids []string
	q := `SELECT id FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?`
	if err := t.k.Select(ctx, &ids, q, t.k.Now(), limit); err != nil {
		return nil, nil, fmt.Errorf("due timers: %w", err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		fired, res, err := t.fire(ctx, id)
		if err != nil {
			t.log.Warn("fire timer; retried on the next sweep", "timer", id, "err", err)
			continue
		}
		if fired == nil {
			continue
		}
		if res.Kick && !seen[fired.TenantID] {
			seen[fired.TenantID] = true
			kick = append(kick, fired.TenantID)
		}
		if res.Reroute {
			reroute = append(reroute, fired.ConversationID)
		}
	}
	return kick, reroute, nil
}

func (t *Timers) fire(ctx context.Context, id string) (*Timer, Result, error) {
	var fired *Timer
	var res Result
	err := t.k.Write(ctx, func(tx *store.Tx) error {
		fired, res = nil, Result{}
		now := tx.Now()
		var ts []Timer
		q := `UPDATE timers SET status = 'done', fired_at = ? WHERE id = ? AND status = 'pending' AND due_at <= ?
			RETURNING tenant_id, conversation_id, kind, ref`
		if err := tx.Select(ctx, &ts, q, now, id, now); err != nil {
			return fmt.Errorf("claim timer: %w", err)
		}
		if len(ts) == 0 {
			return nil // fired elsewhere, or moved later
		}
		fired = &ts[0]
		h, ok := t.handlers[fired.Kind]
		if !ok {
			return nil // a kind from a later version: done, like an obsolete timer
		}
		var err error
		res, err = h(ctx, tx, *fired)
		return err
	})
	return fired, res, err
}
