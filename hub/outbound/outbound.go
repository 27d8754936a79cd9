// Package outbound owns what leaves the hub: deliveries (an agent's reply,
// an automatic reply, a conversation event) pushed through a channel's
// connector with retries and a log, and the tenants' webhook subscriptions.
// A delivery is queued in the transaction that produced it (Queue, or the
// event hook for events) and attempted after commit; the sweeper retries
// what a lost nudge or a crash left behind.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Status is where a delivery stands.
type Status string

// Delivery statuses.
const (
	Pending   Status = "pending"
	Delivered Status = "delivered"
	Failed    Status = "failed"
)

// Delivery is one outbound push through a connector, retried with
// exponential backoff until the platform acknowledges it. Its id is stable
// across retries.
type Delivery struct {
	ID            string           `db:"id" json:"id"`
	TenantID      string           `db:"tenant_id" json:"-"`
	ChannelID     string           `db:"channel_id" json:"channel_id"`
	Kind          hub.OutboundKind `db:"kind" json:"kind"`
	MessageID     string           `db:"message_id" json:"message_id,omitempty"`
	EventType     string           `db:"event_type" json:"event_type"`
	Payload       hub.RawJSON      `db:"payload" json:"payload"`
	Status        Status           `db:"status" json:"status"`
	Attempts      int              `db:"attempts" json:"attempts"`
	NextAttemptAt time.Time        `db:"next_attempt_at" json:"next_attempt_at"`
	LastError     string           `db:"last_error" json:"last_error"`
	CreatedAt     time.Time        `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time        `db:"updated_at" json:"updated_at"`
	// SubscriptionID names the webhook subscription the delivery goes to;
	// ChannelID is then the channel the event came from.
	SubscriptionID string `db:"subscription_id" json:"subscription_id,omitempty"`
}

// Attempt is one try in a delivery's log.
type Attempt struct {
	ID         string    `db:"id" json:"id"`
	TenantID   string    `db:"tenant_id" json:"-"`
	DeliveryID string    `db:"delivery_id" json:"delivery_id"`
	Attempt    int       `db:"attempt" json:"attempt"`
	StatusCode int       `db:"status_code" json:"status_code"`
	Error      string    `db:"error" json:"error"`
	DurationMS int64     `db:"duration_ms" json:"duration_ms"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// Sender delivers through the connector of the channel's type (the
// connector registry).
type Sender interface {
	Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult
}

// MessageResult records the outcome of a message's delivery on the message
// (sent or failed, with the platform's reason), inside the transaction that
// logs the attempt. The conversations package provides it.
type MessageResult func(ctx context.Context, tx *store.Tx, messageID, status, errText string) error

// Retry policy: exponential from 1 s, capped at 1 h, for up to 3 days.
const (
	retryBase   = time.Second
	retryCap    = time.Hour
	retryWindow = 72 * time.Hour
	leaseTime   = 2 * time.Minute
)

const deliveryCols = `id, tenant_id, channel_id, kind, message_id, event_type, payload, status, attempts,
	next_attempt_at, last_error, created_at, updated_at, subscription_id`

// deliverySel reads deliveryCols; a tenant-wide event's delivery (to
// subscriptions only) has no channel.
const deliverySel = `id, tenant_id, COALESCE(channel_id, '') AS channel_id, kind, message_id, event_type, payload, status,
	attempts, next_attempt_at, last_error, created_at, updated_at, subscription_id`

// Backoff is the wait before attempt n+1 after n failures, with ±20% jitter.
func Backoff(n int) time.Duration {
	d := retryBase << min(n-1, 20)
	if d > retryCap || d <= 0 {
		d = retryCap
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Queue stores a pending delivery of out through the channel's connector in
// the caller's transaction, and has it attempted once that commits.
func Queue(ctx context.Context, tx *store.Tx, channelID string, out *hub.Outbound) error {
	return queue(ctx, tx, channelID, "", out)
}

func queue(ctx context.Context, tx *store.Tx, channelID, subID string, out *hub.Outbound) error {
	out.ID = hub.NewID("msg")
	kind, msgID, typ := out.Kind, "", ""
	switch {
	case out.Event != nil:
		typ = string(out.Event.Type)
	case kind == hub.OutboundReply:
		typ = "contact.reply"
	case out.Message != nil:
		msgID, typ = out.Message.ID, string(hub.EvMessageCreated)
	}
	now := tx.Now()
	q := `INSERT INTO deliveries (` + deliveryCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '', ?, ?, ?)`
	var channel *string // none: a tenant-wide event for subscriptions
	if channelID != "" {
		channel = &channelID
	}
	if _, err := tx.Exec(ctx, q, out.ID, out.TenantID, channel, kind, msgID, typ, string(encode(out)),
		now, now, now, subID); err != nil {
		return fmt.Errorf("queue delivery: %w", err)
	}
	tx.Deliver(out.ID)
	return nil
}

// Store attempts deliveries and keeps their log and the subscriptions.
type Store struct {
	k         *store.Store
	hook      *Hook
	channel   func(ctx context.Context, id string) (*hub.Channel, error)
	onMessage MessageResult
}

// New returns the outbound store. hook is the event hook the kernel runs
// (its subscription cache is refreshed when subscriptions change), channel
// looks channels up, onMessage records message outcomes.
func New(k *store.Store, hook *Hook, channel func(ctx context.Context, id string) (*hub.Channel, error), onMessage MessageResult) *Store {
	return &Store{k: k, hook: hook, channel: channel, onMessage: onMessage}
}

var errNotDue = errors.New("delivery not due")

// Deliver makes one attempt at a due delivery. The claim (a lease on
// next_attempt_at) keeps two processes from sending it at the same time.
func (s *Store) Deliver(ctx context.Context, id string, sender Sender) error {
	d, err := s.claim(ctx, id)
	if errors.Is(err, errNotDue) {
		return nil // not due yet, done, or another process is sending it
	}
	if err != nil {
		return err
	}
	out, err := decode(d)
	if err != nil {
		return s.record(ctx, d, hub.SendResult{Err: err, Permanent: true}, 0)
	}
	var ch *hub.Channel
	if d.SubscriptionID != "" {
		ch, err = s.subscriptionTarget(ctx, d)
		if errors.Is(err, hub.ErrNotFound) || errors.Is(err, hub.ErrConflict) {
			return s.record(ctx, d, hub.SendResult{Err: err, Permanent: true}, 0)
		}
	} else {
		ch, err = s.channel(ctx, d.ChannelID)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	res := sender.Send(ctx, ch, out)
	return s.record(ctx, d, res, time.Since(start))
}

func (s *Store) claim(ctx context.Context, id string) (*Delivery, error) {
	var d []Delivery
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		q := `UPDATE deliveries SET next_attempt_at = ?, attempts = attempts + 1, updated_at = ?
			WHERE id = ? AND status = 'pending' AND next_attempt_at <= ? RETURNING ` + deliverySel
		return tx.Select(ctx, &d, q, now.Add(leaseTime), now, id, now)
	})
	if err != nil {
		return nil, fmt.Errorf("claim delivery: %w", err)
	}
	if len(d) == 0 {
		return nil, errNotDue
	}
	return &d[0], nil
}

func (s *Store) record(ctx context.Context, d *Delivery, res hub.SendResult, took time.Duration) error {
	now := s.k.Now()
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	status, next := Delivered, now
	switch {
	case res.Err == nil:
	case res.Permanent || now.Sub(d.CreatedAt) > retryWindow:
		status = Failed
	default:
		status, next = Pending, now.Add(Backoff(d.Attempts))
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		const a = `INSERT INTO delivery_attempts (id, tenant_id, delivery_id, attempt, status_code, error, duration_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.Exec(ctx, a, hub.NewID("da"), d.TenantID, d.ID, d.Attempts, res.StatusCode, errText,
			took.Milliseconds(), now); err != nil {
			return fmt.Errorf("log attempt: %w", err)
		}
		const u = `UPDATE deliveries SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.Exec(ctx, u, status, next, errText, now, d.ID); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if d.Kind != hub.OutboundMessage || status == Pending || s.onMessage == nil {
			return nil
		}
		return s.onMessage(ctx, tx, d.MessageID, map[Status]string{Delivered: "sent", Failed: "failed"}[status], errText)
	})
}

// Due lists pending deliveries whose next attempt is due (sweeper).
func (s *Store) Due(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	q := `SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`
	if err := s.k.Select(ctx, &ids, q, s.k.Now(), limit); err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return ids, nil
}

// List is a channel's delivery log, newest first.
func (s *Store) List(ctx context.Context, tenantID, channelID string, limit int) ([]Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	out := []Delivery{}
	q := `SELECT ` + deliverySel + ` FROM deliveries WHERE tenant_id = ? AND channel_id = ? AND subscription_id = ''
		ORDER BY created_at DESC, id LIMIT ?`
	if err := s.k.Select(ctx, &out, q, tenantID, channelID, min(limit, 500)); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// Get returns one delivery of a tenant with its attempts.
func (s *Store) Get(ctx context.Context, tenantID, id string) (*Delivery, []Attempt, error) {
	var d Delivery
	q := `SELECT ` + deliverySel + ` FROM deliveries WHERE tenant_id = ? AND id = ?`
	if err := s.k.Get(ctx, &d, q, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, nil, fmt.Errorf("delivery %s: %w", id, hub.ErrNotFound)
		}
		return nil, nil, fmt.Errorf("get delivery: %w", err)
	}
	attempts := []Attempt{}
	aq := `SELECT id, tenant_id, delivery_id, attempt, status_code, error, duration_ms, created_at FROM delivery_attempts
		WHERE delivery_id = ? ORDER BY attempt`
	if err := s.k.Select(ctx, &attempts, aq, id); err != nil {
		return nil, nil, fmt.Errorf("list attempts: %w", err)
	}
	return &d, attempts, nil
}

// Redeliver makes a delivery due again now (after a failure, or to resend).
func (s *Store) Redeliver(ctx context.Context, tenantID, id string) error {
	now := s.k.Now()
	q := `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, created_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	n, err := s.k.Exec(ctx, q, now, now, now, tenantID, id)
	if err != nil {
		return fmt.Errorf("redeliver: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("delivery %s: %w", id, hub.ErrNotFound)
	}
	s.k.Nudge(id)
	return nil
}

// Health is a channel's delivery record, for its health page.
type Health struct {
	LastError   string     `json:"last_delivery_error"`
	LastErrorAt *time.Time `json:"last_delivery_error_at"`
	Pending     int        `json:"pending_deliveries"`
	Failed      int        `json:"failed_deliveries"`
	Failed24h   int        `json:"deliveries_failed_24h"`
}

// Health summarises a channel's deliveries.
func (s *Store) Health(ctx context.Context, channelID string) (*Health, error) {
	h := &Health{}
	var errs []struct {
		Error string    `db:"last_error"`
		At    time.Time `db:"updated_at"`
	}
	eq := `SELECT last_error, updated_at FROM deliveries WHERE channel_id = ? AND subscription_id = '' AND last_error <> ''
		ORDER BY updated_at DESC LIMIT 1`
	if err := s.k.Select(ctx, &errs, eq, channelID); err != nil {
		return nil, fmt.Errorf("last error: %w", err)
	}
	if len(errs) == 1 {
		h.LastError, h.LastErrorAt = errs[0].Error, &errs[0].At
	}
	cq := `SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' AND updated_at >= ? THEN 1 ELSE 0 END), 0)
		FROM deliveries WHERE channel_id = ? AND subscription_id = ''`
	row := s.k.R.QueryRowxContext(ctx, s.k.R.Rebind(cq), s.k.Now().Add(-24*time.Hour), channelID)
	if err := row.Scan(&h.Pending, &h.Failed, &h.Failed24h); err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	return h, nil
}
