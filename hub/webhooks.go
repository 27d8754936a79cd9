package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// SubscribableEvents are the event types a webhook subscription may ask
// for: what happens to conversations, messages, tickets and contacts.
// (Typing and agent status are realtime chatter for the workbench.)
var SubscribableEvents = []string{
	EvConversationCreated, EvConversationQueued, EvConversationAssigned, EvConversationTransferred,
	EvConversationClosed, EvConversationOffline, "conversation.rated", EvMessageCreated, EvMessageUpdated,
	EvTicketCreated, EvContactUpdated,
}

// Subscription is a tenant's outbound webhook: every committed event of the
// listed types is delivered once to URL, signed the Standard Webhooks way
// with Secret, through the same delivery queue (retries with backoff, log,
// redelivery) as the API channel's callbacks.
type Subscription struct {
	ID          string    `db:"id" json:"id"`
	TenantID    string    `db:"tenant_id" json:"-"`
	URL         string    `db:"url" json:"url"`
	EventsRaw   string    `db:"events" json:"-"`
	Events      []string  `db:"-" json:"events"`
	Description string    `db:"description" json:"description"`
	Secret      string    `db:"secret" json:"-"`
	Active      bool      `db:"active" json:"active"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
	// NewSecret is the signing secret, shown on create and rotation only.
	NewSecret string `db:"-" json:"secret,omitempty"`
}

// SubscriptionPatch creates or changes a subscription; nil fields stay.
type SubscriptionPatch struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
}

func (sub *Subscription) apply(p SubscriptionPatch) error {
	set(&sub.URL, p.URL)
	set(&sub.Description, p.Description)
	set(&sub.Active, p.Active)
	if p.Events != nil {
		sub.Events = slices.Compact(slices.Sorted(slices.Values(*p.Events)))
	}
	sub.URL = strings.TrimSpace(sub.URL)
	if sub.URL == "" || len(sub.URL) > 2000 {
		return Invalid("url is required (at most 2000 characters)")
	}
	if len(sub.Description) > 500 {
		return Invalid("description is longer than 500 characters")
	}
	if len(sub.Events) == 0 {
		return Invalid("events must name at least one of %s", strings.Join(SubscribableEvents, ", "))
	}
	for _, e := range sub.Events {
		if !slices.Contains(SubscribableEvents, e) {
			return Invalid("event %q cannot be subscribed to; use %s", e, strings.Join(SubscribableEvents, ", "))
		}
	}
	b, _ := json.Marshal(sub.Events)
	sub.EventsRaw = string(b)
	return nil
}

func (sub *Subscription) decode() {
	sub.Events = []string{}
	_ = json.Unmarshal([]byte(sub.EventsRaw), &sub.Events) // written by us
}

const subCols = `id, tenant_id, url, events, description, secret, active, created_at, updated_at`

// CreateSubscription stores a subscription whose URL the caller has checked
// (SSRF guard) with its new signing secret.
func (s *Store) CreateSubscription(ctx context.Context, tenantID string, p SubscriptionPatch, secret string) (*Subscription, error) {
	now := s.now()
	sub := &Subscription{ID: NewID("wh"), TenantID: tenantID, Secret: secret, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := sub.apply(p); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		q := `INSERT INTO webhook_subscriptions (` + subCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), sub.ID, tenantID, sub.URL, sub.EventsRaw, sub.Description,
			sub.Secret, sub.Active, now, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create subscription: %w", err)
	}
	s.subs.forget(tenantID)
	sub.NewSecret = secret
	return sub, nil
}

// Subscriptions lists a tenant's webhook subscriptions.
func (s *Store) Subscriptions(ctx context.Context, tenantID string) ([]Subscription, error) {
	out := []Subscription{}
	q := `SELECT ` + subCols + ` FROM webhook_subscriptions WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.db.R.SelectContext(ctx, &out, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	for i := range out {
		out[i].decode()
	}
	return out, nil
}

// Subscription returns one subscription of a tenant.
func (s *Store) Subscription(ctx context.Context, tenantID, id string) (*Subscription, error) {
	var sub Subscription
	q := `SELECT ` + subCols + ` FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?`
	if err := s.db.R.GetContext(ctx, &sub, s.db.R.Rebind(q), tenantID, id); err != nil {
		if db.NoRows(err) {
			return nil, fmt.Errorf("subscription %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("get subscription: %w", err)
	}
	sub.decode()
	return &sub, nil
}

// UpdateSubscription applies a patch (the caller has checked a new URL);
// secret, when not empty, replaces the signing secret (rotation).
func (s *Store) UpdateSubscription(ctx context.Context, tenantID, id string, p SubscriptionPatch, secret string) (*Subscription, error) {
	sub, err := s.Subscription(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := sub.apply(p); err != nil {
		return nil, err
	}
	if secret != "" {
		sub.Secret, sub.NewSecret = secret, secret
	}
	sub.UpdatedAt = s.now()
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `UPDATE webhook_subscriptions SET url = ?, events = ?, description = ?, secret = ?, active = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), sub.URL, sub.EventsRaw, sub.Description, sub.Secret, sub.Active,
			sub.UpdatedAt, tenantID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update subscription: %w", err)
	}
	s.subs.forget(tenantID)
	return sub, nil
}

// DeleteSubscription removes a subscription; its delivery log stays, and
// what was still pending fails ("subscription deleted").
func (s *Store) DeleteSubscription(ctx context.Context, tenantID, id string) error {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return fmt.Errorf("delete subscription: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("subscription %s: %w", id, ErrNotFound)
		}
		const q = `UPDATE deliveries SET status = 'failed', last_error = 'subscription deleted', updated_at = ?
			WHERE tenant_id = ? AND subscription_id = ? AND status = 'pending'`
		_, err = tx.ExecContext(ctx, tx.Rebind(q), s.now(), tenantID, id)
		return err
	})
	s.subs.forget(tenantID)
	return err
}

// SubscriptionDeliveries is a subscription's delivery log, newest first.
func (s *Store) SubscriptionDeliveries(ctx context.Context, tenantID, id string, limit int) ([]Delivery, error) {
	if _, err := s.Subscription(ctx, tenantID, id); err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 500)
	out := []Delivery{}
	q := `SELECT ` + deliveryCols + ` FROM deliveries WHERE tenant_id = ? AND subscription_id = ? ORDER BY created_at DESC, id LIMIT ?`
	if err := s.db.R.SelectContext(ctx, &out, s.db.R.Rebind(q), tenantID, id, limit); err != nil {
		return nil, fmt.Errorf("list subscription deliveries: %w", err)
	}
	return out, nil
}

// subCache holds each tenant's active subscriptions briefly: every event
// consults it inside its write transaction. A change made through this
// process is seen at once; other processes of a cluster see it within
// subCacheTTL.
type subCache struct {
	mu sync.Mutex
	m  map[string]cachedSubs
}

type cachedSubs struct {
	subs []Subscription
	exp  time.Time
}

const subCacheTTL = 5 * time.Second

func (c *subCache) forget(tenantID string) {
	c.mu.Lock()
	delete(c.m, tenantID)
	c.mu.Unlock()
}

func (s *Store) activeSubs(ctx context.Context, tenantID string) ([]Subscription, error) {
	s.subs.mu.Lock()
	c, ok := s.subs.m[tenantID]
	s.subs.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.subs, nil
	}
	all, err := s.Subscriptions(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	active := all[:0]
	for _, sub := range all {
		if sub.Active {
			active = append(active, sub)
		}
	}
	s.subs.mu.Lock()
	if s.subs.m == nil {
		s.subs.m = map[string]cachedSubs{}
	}
	s.subs.m[tenantID] = cachedSubs{subs: active, exp: time.Now().Add(subCacheTTL)}
	s.subs.mu.Unlock()
	return active, nil
}

// subscriptionDeliveries queues an event for every active subscription of
// its tenant that asked for its type, in the transaction that stores the
// event: each committed event is delivered once per subscription.
func (s *Store) subscriptionDeliveries(ctx context.Context, tx *sqlx.Tx, fx *effects, e *Event) error {
	if e.channelID == "" || !slices.Contains(SubscribableEvents, e.Type) {
		return nil
	}
	subs, err := s.activeSubs(ctx, e.TenantID)
	if err != nil || len(subs) == 0 {
		return err
	}
	var body []byte
	for _, sub := range subs {
		if !slices.Contains(sub.Events, e.Type) {
			continue
		}
		if body == nil {
			body, _ = json.Marshal(map[string]any{"type": e.Type, "event_id": e.ID, "conversation_id": e.ConversationID,
				"data": e.Payload, "created_at": e.CreatedAt})
		}
		ch := &Channel{ID: e.channelID, TenantID: e.TenantID}
		id, err := s.queueDelivery(ctx, tx, ch, sub.ID, "event", "", e.Type, body)
		if err != nil {
			return err
		}
		fx.deliveries = append(fx.deliveries, id)
	}
	return nil
}

// subscriptionTarget is the channel-shaped target a subscription's delivery
// is sent to: the API channel's callback, signed with the subscription's
// secret, so both use one sender (signing, SSRF-guarded client, retries).
func (s *Store) subscriptionTarget(ctx context.Context, d *Delivery) (*Channel, error) {
	sub, err := s.Subscription(ctx, d.TenantID, d.SubscriptionID)
	if err != nil {
		return nil, err
	}
	if !sub.Active {
		return nil, fmt.Errorf("subscription %s is paused: %w", sub.ID, ErrConflict)
	}
	cfg, _ := json.Marshal(map[string]string{"callback_url": sub.URL})
	return &Channel{ID: d.ChannelID, TenantID: sub.TenantID, Type: SubscriptionSender, Name: "webhook " + sub.ID,
		Secret: sub.Secret, Config: cfg, WantsEvents: true}, nil
}

// SubscriptionSender is the channel type whose connector sends subscription
// deliveries: the developer API channel posts a JSON body to a callback URL,
// which is exactly what a webhook subscription needs.
const SubscriptionSender = "api"
