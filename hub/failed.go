package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
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

// RecordFailed stores a poisoned message. The tenant is read from the
// payload when it is an inbound message.
func (s *Store) RecordFailed(ctx context.Context, id, topic string, payload []byte, reason string) error {
	var probe struct {
		TenantID string `json:"tenant_id"`
	}
	_ = json.Unmarshal(payload, &probe) // unreadable payloads are kept for the platform admin
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO failed_messages (id, tenant_id, topic, payload, error, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET error = excluded.error, retried_at = NULL`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), id, Clean(probe.TenantID), topic, Clean(string(payload)), Clean(reason), s.now())
		if err != nil {
			return fmt.Errorf("record failed message: %w", err)
		}
		return nil
	})
}

// FailedMessages lists a tenant's failed messages, newest first.
func (s *Store) FailedMessages(ctx context.Context, tenantID string) ([]FailedMessage, error) {
	out := []FailedMessage{}
	q := `SELECT id, tenant_id, topic, payload, error, created_at, retried_at FROM failed_messages WHERE tenant_id = ?
		ORDER BY created_at DESC LIMIT 200`
	if err := s.db.R.SelectContext(ctx, &out, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("list failed messages: %w", err)
	}
	return out, nil
}

// FailedMessage returns one failed message of a tenant and marks it retried
// when retry is set; the caller republishes the payload.
func (s *Store) FailedMessage(ctx context.Context, tenantID, id string, retry bool) (*FailedMessage, error) {
	var f FailedMessage
	q := `SELECT id, tenant_id, topic, payload, error, created_at, retried_at FROM failed_messages WHERE tenant_id = ? AND id = ?`
	if err := s.db.R.GetContext(ctx, &f, s.db.R.Rebind(q), tenantID, id); err != nil {
		if db.NoRows(err) {
			return nil, fmt.Errorf("failed message %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("get failed message: %w", err)
	}
	if !retry {
		return &f, nil
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE failed_messages SET retried_at = ? WHERE id = ?`), s.now(), id)
		return err
	})
	return &f, err
}
