package outbound

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// SubscribableEvents are the event types a webhook subscription may ask
// for: what happens to conversations, messages, tickets and contacts, and
// the alerts for admins (a locked agent, a sensitive word sent).
// (Typing and agent status are realtime chatter for the workbench.)
var SubscribableEvents = []hub.EventType{
	hub.EvConversationCreated, hub.EvConversationQueued, hub.EvConversationAssigned, hub.EvConversationTransferred,
	hub.EvConversationClosed, hub.EvConversationOffline, hub.EvConversationRated, hub.EvMessageCreated, hub.EvMessageUpdated,
	hub.EvTicketCreated, hub.EvTicketSLA, hub.EvContactUpdated, hub.EvAgentLocked, hub.EvSensitiveWord,
}

// Subscription is a tenant's outbound webhook: every committed event of the
// listed types is delivered once to URL, signed the Standard Webhooks way
// with Secret, through the same delivery queue (retries with backoff, log,
// redelivery) as the API channel's callbacks.
type Subscription struct {
	ID          string          `db:"id" json:"id"`
	TenantID    string          `db:"tenant_id" json:"-"`
	URL         string          `db:"url" json:"url"`
	EventsRaw   string          `db:"events" json:"-"`
	Events      []hub.EventType `db:"-" json:"events"`
	Description string          `db:"description" json:"description"`
	Secret      string          `db:"secret" json:"-"`
	Active      bool            `db:"active" json:"active"`
	CreatedAt   time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time       `db:"updated_at" json:"updated_at"`
	// NewSecret is the signing secret, shown on create and rotation only.
	NewSecret string `db:"-" json:"secret,omitempty"`
}

// SubscriptionPatch creates or changes a subscription; nil fields stay.
type SubscriptionPatch struct {
	URL         *string          `json:"url"`
	Events      *[]hub.EventType `json:"events"`
	Description *string          `json:"description"`
	Active      *bool            `json:"active"`
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
		return hub.BadField("input_length", "url", "url is required (at most 2000 characters)", "max", "2000")
	}
	if len(sub.Description) > 500 {
		return hub.BadField("input_too_long", "description", "description is longer than 500 characters", "max", "500")
	}
	if len(sub.Events) == 0 {
		return hub.BadField("input_required", "events", fmt.Sprintf("events must name at least one of %s", joinTypes(SubscribableEvents)))
	}
	for _, e := range sub.Events {
		if !slices.Contains(SubscribableEvents, e) {
			return hub.Invalid("event %q cannot be subscribed to; use %s", e, joinTypes(SubscribableEvents))
		}
	}
	b, _ := json.Marshal(sub.Events)
	sub.EventsRaw = string(b)
	return nil
}

// decode reads the stored events and opens the sealed signing secret.
func (sub *Subscription) decode(k *store.Store) error {
	sub.Events = []hub.EventType{}
	_ = json.Unmarshal([]byte(sub.EventsRaw), &sub.Events) // written by us
	var err error
	sub.Secret, err = k.Unseal(sub.Secret, store.Bind(subTable, sub.ID))
	return err
}

// subTable keeps the subscriptions; its secret column is sealed.
const subTable = "webhook_subscriptions"

// ResealSecrets seals the subscriptions' signing secrets stored in clear or
// under an old key (at start-up and by `kefu rotate-secrets`).
func ResealSecrets(ctx context.Context, k *store.Store) (int, error) {
	return k.Reseal(ctx, subTable, "secret")
}

const subCols = `id, tenant_id, url, events, description, secret, active, created_at, updated_at`

// CreateSubscription stores a subscription whose URL the caller has checked
// (SSRF guard) with its new signing secret.
func (s *Store) CreateSubscription(ctx context.Context, tenantID string, p SubscriptionPatch, secret string) (*Subscription, error) {
	now := s.k.Now()
	sub := &Subscription{ID: hub.NewID("wh"), TenantID: tenantID, Secret: secret, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := sub.apply(p); err != nil {
		return nil, err
	}
	sealed, err := s.k.Seal(secret, store.Bind(subTable, sub.ID))
	if err != nil {
		return nil, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		q := `INSERT INTO webhook_subscriptions (` + subCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), sub.ID, tenantID, sub.URL, sub.EventsRaw, sub.Description,
			sealed, sub.Active, now, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create subscription: %w", err)
	}
	s.hook.Forget(tenantID)
	sub.NewSecret = secret
	return sub, nil
}

// Subscriptions lists a tenant's webhook subscriptions.
func (s *Store) Subscriptions(ctx context.Context, tenantID string) ([]Subscription, error) {
	out := []Subscription{}
	q := `SELECT ` + subCols + ` FROM webhook_subscriptions WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.k.Select(ctx, &out, q, tenantID); err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	for i := range out {
		if err := out[i].decode(s.k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Subscription returns one subscription of a tenant.
func (s *Store) Subscription(ctx context.Context, tenantID, id string) (*Subscription, error) {
	var sub Subscription
	q := `SELECT ` + subCols + ` FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?`
	if err := s.k.Get(ctx, &sub, q, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("subscription %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get subscription: %w", err)
	}
	if err := sub.decode(s.k); err != nil {
		return nil, err
	}
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
	sub.UpdatedAt = s.k.Now()
	sealed, err := s.k.Seal(sub.Secret, store.Bind(subTable, sub.ID))
	if err != nil {
		return nil, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `UPDATE webhook_subscriptions SET url = ?, events = ?, description = ?, secret = ?, active = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ?`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), sub.URL, sub.EventsRaw, sub.Description, sealed, sub.Active,
			sub.UpdatedAt, tenantID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update subscription: %w", err)
	}
	s.hook.Forget(tenantID)
	return sub, nil
}

// DeleteSubscription removes a subscription; its delivery log stays, and
// what was still pending fails ("subscription deleted").
func (s *Store) DeleteSubscription(ctx context.Context, tenantID, id string) error {
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return fmt.Errorf("delete subscription: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("subscription %s: %w", id, hub.ErrNotFound)
		}
		const q = `UPDATE deliveries SET status = 'failed', last_error = 'subscription deleted', updated_at = ?
			WHERE tenant_id = ? AND subscription_id = ? AND status = 'pending'`
		_, err = tx.ExecContext(ctx, tx.Rebind(q), s.k.Now(), tenantID, id)
		return err
	})
	s.hook.Forget(tenantID)
	return err
}

// SubscriptionDeliveries is a subscription's delivery log, newest first.
func (s *Store) SubscriptionDeliveries(ctx context.Context, tenantID, id string, limit int) ([]Delivery, error) {
	if _, err := s.Subscription(ctx, tenantID, id); err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 500)
	out := []Delivery{}
	q := `SELECT ` + deliverySel + ` FROM deliveries WHERE tenant_id = ? AND subscription_id = ? ORDER BY created_at DESC, id LIMIT ?`
	if err := s.k.Select(ctx, &out, q, tenantID, id, limit); err != nil {
		return nil, fmt.Errorf("list subscription deliveries: %w", err)
	}
	return out, nil
}

// subscriptionTarget is the channel-shaped target a subscription's delivery
// is sent to: the API channel's callback, signed with the subscription's
// secret, so both use one sender (signing, SSRF-guarded client, retries).
func (s *Store) subscriptionTarget(ctx context.Context, d *Delivery) (*hub.Channel, error) {
	sub, err := s.Subscription(ctx, d.TenantID, d.SubscriptionID)
	if err != nil {
		return nil, err
	}
	if !sub.Active {
		return nil, fmt.Errorf("subscription %s is paused: %w", sub.ID, hub.ErrConflict)
	}
	cfg, _ := json.Marshal(map[string]string{"callback_url": sub.URL})
	return &hub.Channel{ID: d.ChannelID, TenantID: sub.TenantID, Type: SubscriptionSender, Name: "webhook " + sub.ID,
		Secret: sub.Secret, Config: cfg, WantsEvents: true}, nil
}

// SubscriptionSender is the channel type whose connector sends subscription
// deliveries: the developer API channel posts a JSON body to a callback URL,
// which is exactly what a webhook subscription needs.
const SubscriptionSender = "api"

// set copies *src to *dst when src is given (a patch field).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func joinTypes(ts []hub.EventType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
