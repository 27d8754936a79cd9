package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// FailedMessage is a bus message a handler could not process after its
// retries (the poison queue), kept for admins instead of being dropped.
type FailedMessage struct {
	ID        string     `db:"id" json:"id"`
	TenantID  string     `db:"tenant_id" json:"-"`
	Topic     string     `db:"topic" json:"topic"`
	Payload   string     `db:"payload" json:"payload"`
	Error     string     `db:"error" json:"error"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	RetriedAt *time.Time `db:"retried_at" json:"retried_at,omitempty"`
}

// Record stores a poisoned message. The tenant is read from the
// payload when it is an inbound message.
func (s *Failed) Record(ctx context.Context, id, topic string, payload []byte, reason string) error {
	var probe struct {
		TenantID string `json:"tenant_id"`
	}
	_ = json.Unmarshal(payload, &probe) // unreadable payloads are kept for the platform admin
	return s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO failed_messages (id, tenant_id, topic, payload, error, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET error = excluded.error, retried_at = NULL`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), id, hub.Clean(probe.TenantID), topic, hub.Clean(string(payload)), hub.Clean(reason), s.k.Now())
		if err != nil {
			return fmt.Errorf("record failed message: %w", err)
		}
		return nil
	})
}

// List lists a tenant's failed messages, newest first.
func (s *Failed) List(ctx context.Context, tenantID string) ([]FailedMessage, error) {
	out := []FailedMessage{}
	q := `SELECT id, tenant_id, topic, payload, error, created_at, retried_at FROM failed_messages WHERE tenant_id = ?
		ORDER BY created_at DESC LIMIT 200`
	if err := s.k.Select(ctx, &out, q, tenantID); err != nil {
		return nil, fmt.Errorf("list failed messages: %w", err)
	}
	return out, nil
}

// Get returns one failed message of a tenant and marks it retried
// when retry is set; the caller republishes the payload.
func (s *Failed) Get(ctx context.Context, tenantID, id string, retry bool) (*FailedMessage, error) {
	var f FailedMessage
	q := `SELECT id, tenant_id, topic, payload, error, created_at, retried_at FROM failed_messages WHERE tenant_id = ? AND id = ?`
	if err := s.k.Get(ctx, &f, q, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("failed message %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get failed message: %w", err)
	}
	if !retry {
		return &f, nil
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE failed_messages SET retried_at = ? WHERE id = ?`), s.k.Now(), id)
		return err
	})
	return &f, err
}

// Failed keeps bus messages that failed after their retries (the poison
// queue) for admins to read and retry.
type Failed struct{ k *store.Store }

// NewFailed returns the failed-message store.
func NewFailed(k *store.Store) *Failed { return &Failed{k: k} }
