package assign

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// The waiting index: conversation_routing.waiting is true exactly while the
// conversation's status is queued, with the same queued_at. Every status
// change into or out of the queue happens in this package (or the inbox,
// through OpenRouting), in the transaction that sets it here too, so queue
// order, positions and the FIFO check read only this table.

// markWaiting records that a conversation waits (again) since its
// queued_at, creating its routing row when it has none.
func markWaiting(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	at := tx.Now()
	if c.QueuedAt != nil {
		at = *c.QueuedAt
	}
	const q = `INSERT INTO conversation_routing (conversation_id, tenant_id, waiting, queued_at) VALUES (?, ?, TRUE, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET waiting = TRUE, queued_at = excluded.queued_at`
	if _, err := tx.Exec(ctx, q, c.ID, c.TenantID, at); err != nil {
		return fmt.Errorf("mark waiting: %w", err)
	}
	return nil
}

// Hold keeps a new conversation out of the queue while the robot answers
// it: its status stays queued, but nobody routes it until Release.
func Hold(ctx context.Context, tx *store.Tx, convID string) error {
	return stopWaiting(ctx, tx, convID)
}

// Release queues a held conversation (the robot handed it over).
func Release(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	return markWaiting(ctx, tx, c)
}

// stopWaiting records that a conversation left the queue.
func stopWaiting(ctx context.Context, tx *store.Tx, convID string) error {
	if _, err := tx.Exec(ctx, `UPDATE conversation_routing SET waiting = FALSE WHERE conversation_id = ? AND waiting`, convID); err != nil {
		return fmt.Errorf("stop waiting: %w", err)
	}
	return nil
}

// ahead counts the conversations waiting in the same queue before c
// (queued earlier, or at the same instant with a smaller id).
func ahead(ctx context.Context, q store.Querier, c *hub.Conversation, key string, now time.Time) (int, error) {
	qa := now
	if c.QueuedAt != nil {
		qa = *c.QueuedAt
	}
	var n int
	sq := `SELECT COUNT(*) FROM conversation_routing WHERE tenant_id = ? AND waiting AND queue_key = ?
		AND (queued_at < ? OR (queued_at = ? AND conversation_id < ?))`
	if err := q.Get(ctx, &n, sq, c.TenantID, key, qa, qa, c.ID); err != nil {
		return 0, fmt.Errorf("queue position: %w", err)
	}
	return n, nil
}

// olderWaiting reports whether a conversation waiting in the same queue has
// been waiting longer than c (one indexed probe, whatever the queue's
// length; in tx, so a routing pass sees the conversations it placed).
func olderWaiting(ctx context.Context, tx *store.Tx, c *hub.Conversation, key string) (bool, error) {
	if c.QueuedAt == nil {
		return false, nil
	}
	var ids []string
	q := `SELECT conversation_id FROM conversation_routing WHERE tenant_id = ? AND waiting AND queue_key = ?
		AND (queued_at < ? OR (queued_at = ? AND conversation_id < ?)) LIMIT 1`
	if err := tx.Select(ctx, &ids, q, c.TenantID, key, *c.QueuedAt, *c.QueuedAt, c.ID); err != nil {
		return false, fmt.Errorf("older queued: %w", err)
	}
	return len(ids) > 0, nil
}

// olderWaiting is olderWaiting through the turn: a pass routes oldest
// first, so once a probe found nobody older in a queue and the pass queued
// nobody there since, the next conversation needs no probe.
func (t *turn) olderWaiting(ctx context.Context, tx *store.Tx, c *hub.Conversation, key string) (bool, error) {
	if t.clear[key] {
		return false, nil
	}
	older, err := olderWaiting(ctx, tx, c, key)
	if err == nil && !older {
		t.clear[key] = true
	}
	return older, err
}

// Waiting is the length of a tenant's waiting line and when its oldest
// conversation began to wait (nil: nobody waits).
func (s *Router) Waiting(ctx context.Context, tenantID string) (int, *time.Time, error) {
	var n int
	if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM conversation_routing WHERE tenant_id = ? AND waiting`, tenantID); err != nil {
		return 0, nil, fmt.Errorf("waiting line: %w", err)
	}
	// (A column, not MIN: SQLite types an aggregate's result by its value.)
	var oldest []time.Time
	q := `SELECT queued_at FROM conversation_routing WHERE tenant_id = ? AND waiting ORDER BY queued_at LIMIT 1`
	if err := s.k.Select(ctx, &oldest, q, tenantID); err != nil || len(oldest) == 0 {
		return n, nil, err
	}
	return n, &oldest[0], nil
}

// waiter is a waiting conversation as the queue index holds it.
type waiter struct {
	ID          string     `db:"conversation_id"`
	Key         string     `db:"queue_key"`
	Reason      string     `db:"last_reason"`
	Announced   int        `db:"announced_position"`
	AnnouncedAt *time.Time `db:"announced_at"`
	QueuedAt    *time.Time `db:"queued_at"`
}

// line lists a tenant's waiting conversations, oldest first.
func (s *Router) line(ctx context.Context, tenantID string, limit int) ([]waiter, error) {
	var ws []waiter
	q := `SELECT conversation_id, queue_key, last_reason, announced_position, announced_at, queued_at
		FROM conversation_routing WHERE tenant_id = ? AND waiting ORDER BY queued_at, conversation_id LIMIT ?`
	if err := s.k.Select(ctx, &ws, q, tenantID, limit); err != nil {
		return nil, fmt.Errorf("queued conversations: %w", err)
	}
	return ws, nil
}

// TenantsWithQueue lists tenants that have waiting conversations (sweeper).
func (s *Router) TenantsWithQueue(ctx context.Context) ([]string, error) {
	var ids []string
	if err := s.k.Select(ctx, &ids, `SELECT DISTINCT tenant_id FROM conversation_routing WHERE waiting`); err != nil {
		return nil, fmt.Errorf("tenants with queue: %w", err)
	}
	return ids, nil
}
