package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// Delivery is one outbound push through a connector (an agent's reply, an
// automatic reply, or an event for a channel's callback), retried with
// exponential backoff until the platform acknowledges it. Its id is stable
// across retries (the API channel sends it as webhook-id).
type Delivery struct {
	ID            string    `db:"id" json:"id"`
	TenantID      string    `db:"tenant_id" json:"-"`
	ChannelID     string    `db:"channel_id" json:"channel_id"`
	Kind          string    `db:"kind" json:"kind"` // message or event
	MessageID     string    `db:"message_id" json:"message_id,omitempty"`
	EventType     string    `db:"event_type" json:"event_type"`
	Payload       RawJSON   `db:"payload" json:"payload"`
	Status        string    `db:"status" json:"status"` // pending, delivered, failed
	Attempts      int       `db:"attempts" json:"attempts"`
	NextAttemptAt time.Time `db:"next_attempt_at" json:"next_attempt_at"`
	LastError     string    `db:"last_error" json:"last_error"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time `db:"updated_at" json:"updated_at"`
	// SubscriptionID names the webhook subscription the delivery goes to
	// (webhooks.go); ChannelID is then the channel the event came from.
	SubscriptionID string `db:"subscription_id" json:"subscription_id,omitempty"`
}

// DeliveryAttempt is one try in a delivery's log.
type DeliveryAttempt struct {
	ID         string    `db:"id" json:"id"`
	TenantID   string    `db:"tenant_id" json:"-"`
	DeliveryID string    `db:"delivery_id" json:"delivery_id"`
	Attempt    int       `db:"attempt" json:"attempt"`
	StatusCode int       `db:"status_code" json:"status_code"`
	Error      string    `db:"error" json:"error"`
	DurationMS int64     `db:"duration_ms" json:"duration_ms"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// SendResult is what a connector reports for one attempt.
type SendResult struct {
	StatusCode int
	Err        error
	// Permanent marks failures a retry cannot fix (WeChat's 45015 outside
	// the reply window, a channel without a connector …). The API channel
	// retries every non-2xx answer, as Standard Webhooks senders do.
	Permanent bool
}

// Sender delivers through the connector of the channel's type.
type Sender interface {
	Send(ctx context.Context, ch *Channel, d *Delivery) SendResult
}

// Retry policy: exponential from 1 s, capped at 1 h, for up to 3 days.
const (
	retryBase   = time.Second
	retryCap    = time.Hour
	retryWindow = 72 * time.Hour
	leaseTime   = 2 * time.Minute
)

const deliveryCols = `id, tenant_id, channel_id, kind, message_id, event_type, payload, status, attempts,
	next_attempt_at, last_error, created_at, updated_at, subscription_id`

func (s *Store) insertDelivery(ctx context.Context, tx *sqlx.Tx, ch *Channel, kind, messageID, eventType string, payload []byte) (string, error) {
	return s.queueDelivery(ctx, tx, ch, "", kind, messageID, eventType, payload)
}

// queueDelivery stores a pending delivery through ch's connector, or to a
// webhook subscription when subID is set.
func (s *Store) queueDelivery(ctx context.Context, tx *sqlx.Tx, ch *Channel, subID, kind, messageID, eventType string, payload []byte) (string, error) {
	id, now := NewID("msg"), s.now()
	q := `INSERT INTO deliveries (` + deliveryCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '', ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), id, ch.TenantID, ch.ID, kind, messageID, eventType, string(payload),
		now, now, now, subID); err != nil {
		return "", fmt.Errorf("queue delivery: %w", err)
	}
	return id, nil
}

// Backoff is the wait before attempt n+1 after n failures, with ±20% jitter.
func Backoff(n int) time.Duration {
	d := retryBase << min(n-1, 20)
	if d > retryCap || d <= 0 {
		d = retryCap
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Deliver makes one attempt at a due delivery. The claim (a lease on
// next_attempt_at) keeps two processes from sending it at the same time.
func (s *Store) Deliver(ctx context.Context, id string, sender Sender) error {
	d, err := s.claimDelivery(ctx, id)
	if errors.Is(err, errNotDue) {
		return nil // not due yet, done, or another process is sending it
	}
	if err != nil {
		return err
	}
	var ch *Channel
	if d.SubscriptionID != "" {
		ch, err = s.subscriptionTarget(ctx, d) // webhooks.go
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return s.recordAttempt(ctx, d, SendResult{Err: err, Permanent: true}, 0)
		}
	} else {
		ch, err = s.Channel(ctx, d.ChannelID)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	res := sender.Send(ctx, ch, d)
	return s.recordAttempt(ctx, d, res, time.Since(start))
}

var errNotDue = errors.New("delivery not due")

func (s *Store) claimDelivery(ctx context.Context, id string) (*Delivery, error) {
	now := s.now()
	var d []Delivery
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		q := `UPDATE deliveries SET next_attempt_at = ?, attempts = attempts + 1, updated_at = ?
			WHERE id = ? AND status = 'pending' AND next_attempt_at <= ? RETURNING ` + deliveryCols
		return tx.SelectContext(ctx, &d, tx.Rebind(q), now.Add(leaseTime), now, id, now)
	})
	if err != nil {
		return nil, fmt.Errorf("claim delivery: %w", err)
	}
	if len(d) == 0 {
		return nil, errNotDue
	}
	return &d[0], nil
}

func (s *Store) recordAttempt(ctx context.Context, d *Delivery, res SendResult, took time.Duration) error {
	now := s.now()
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	status, next := "delivered", now
	switch {
	case res.Err == nil:
	case res.Permanent || now.Sub(d.CreatedAt) > retryWindow:
		status = "failed"
	default:
		status, next = "pending", now.Add(Backoff(d.Attempts))
	}
	return s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		const a = `INSERT INTO delivery_attempts (id, tenant_id, delivery_id, attempt, status_code, error, duration_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, tx.Rebind(a), NewID("da"), d.TenantID, d.ID, d.Attempts, res.StatusCode, errText,
			took.Milliseconds(), now); err != nil {
			return fmt.Errorf("log attempt: %w", err)
		}
		const u = `UPDATE deliveries SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(u), status, next, errText, now, d.ID); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if d.Kind != "message" || status == "pending" {
			return nil
		}
		return s.setMessageStatus(ctx, tx, fx, d.MessageID, map[string]string{"delivered": "sent", "failed": "failed"}[status], errText)
	})
}

func (s *Store) setMessageStatus(ctx context.Context, tx *sqlx.Tx, fx *effects, msgID, status, errText string) error {
	const q = `UPDATE messages SET status = ?, error = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), status, errText, msgID); err != nil {
		return fmt.Errorf("message status: %w", err)
	}
	var m Message
	if err := tx.GetContext(ctx, &m, tx.Rebind(`SELECT `+msgCols+` FROM messages WHERE id = ?`), msgID); err != nil {
		return fmt.Errorf("reread message: %w", err)
	}
	m.decode()
	// COALESCE: an unassigned conversation (an offline auto-reply) has a NULL
	// assignee, which sqlx cannot scan into a []*string element.
	var assignee []string
	if err := tx.SelectContext(ctx, &assignee, tx.Rebind(`SELECT COALESCE(assignee_id, '') FROM conversations WHERE id = ?`), m.ConversationID); err != nil {
		return fmt.Errorf("message conversation: %w", err)
	}
	to := ""
	if len(assignee) == 1 {
		to = assignee[0]
	}
	fx.emit(&Channel{ID: m.ChannelID, TenantID: m.TenantID}, EvMessageUpdated, m.ConversationID, to, messagePayload(&m, nil))
	return nil
}

// DueDeliveries lists pending deliveries whose next attempt is due (sweeper).
func (s *Store) DueDeliveries(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	q := `SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`
	if err := s.db.R.SelectContext(ctx, &ids, s.db.R.Rebind(q), s.now(), limit); err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return ids, nil
}

// Deliveries is a channel's delivery log, newest first.
func (s *Store) Deliveries(ctx context.Context, tenantID, channelID string, limit int) ([]Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	out := []Delivery{}
	q := `SELECT ` + deliveryCols + ` FROM deliveries WHERE tenant_id = ? AND channel_id = ? AND subscription_id = ''
		ORDER BY created_at DESC, id LIMIT ?`
	if err := s.db.R.SelectContext(ctx, &out, s.db.R.Rebind(q), tenantID, channelID, limit); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// Delivery returns one delivery of a tenant with its attempts.
func (s *Store) Delivery(ctx context.Context, tenantID, id string) (*Delivery, []DeliveryAttempt, error) {
	var d Delivery
	q := `SELECT ` + deliveryCols + ` FROM deliveries WHERE tenant_id = ? AND id = ?`
	if err := s.db.R.GetContext(ctx, &d, s.db.R.Rebind(q), tenantID, id); err != nil {
		if db.NoRows(err) {
			return nil, nil, fmt.Errorf("delivery %s: %w", id, ErrNotFound)
		}
		return nil, nil, fmt.Errorf("get delivery: %w", err)
	}
	attempts := []DeliveryAttempt{}
	aq := `SELECT id, tenant_id, delivery_id, attempt, status_code, error, duration_ms, created_at FROM delivery_attempts
		WHERE delivery_id = ? ORDER BY attempt`
	if err := s.db.R.SelectContext(ctx, &attempts, s.db.R.Rebind(aq), id); err != nil {
		return nil, nil, fmt.Errorf("list attempts: %w", err)
	}
	return &d, attempts, nil
}

// Redeliver makes a delivery due again now (after a failure, or to resend).
func (s *Store) Redeliver(ctx context.Context, tenantID, id string) error {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		q := `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, created_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
		now := s.now()
		res, err := tx.ExecContext(ctx, tx.Rebind(q), now, now, now, tenantID, id)
		if err != nil {
			return fmt.Errorf("redeliver: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("delivery %s: %w", id, ErrNotFound)
		}
		return nil
	})
	if err == nil {
		s.notify.Deliveries([]string{id})
	}
	return err
}
