package outbound

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/store"
)

// callbackEvents are the event types a channel that wants events (the API
// channel's callback_url) receives.
var callbackEvents = map[hub.EventType]bool{
	hub.EvConversationAssigned: true, hub.EvConversationTransferred: true, hub.EvConversationClosed: true,
	hub.EvConversationQueued: true, hub.EvConversationOffline: true, hub.EvQueuePosition: true, hub.EvRatingRequested: true,
}

// tenantEvents are the subscribable event types no channel sends.
var tenantEvents = map[hub.EventType]bool{hub.EvAgentLocked: true, hub.EvTicketSLA: true}

// Hook queues the webhook deliveries of each event the kernel stores, in the
// transaction that stores it: to the event's channel when that channel takes
// events, and to every active subscription of the tenant that asked for the
// event's type. Each committed event is emitted once, so it is delivered
// once per target. It is built before the kernel (whose option it is) and
// reads what it needs through the transaction.
type Hook struct {
	mu   sync.Mutex
	subs map[string]cachedSubs
}

type cachedSubs struct {
	subs []Subscription
	exp  time.Time
}

// subCacheTTL is how long a tenant's active subscriptions are cached: a
// change made through this process is seen at once (Forget); other
// processes of a cluster see it within this time.
const subCacheTTL = 5 * time.Second

// NewHook returns the event hook.
func NewHook() *Hook { return &Hook{subs: map[string]cachedSubs{}} }

// Deliveries is the kernel's event hook. An event of no channel is
// tenant-wide (tenantEvents): only subscriptions take it.
func (h *Hook) Deliveries(ctx context.Context, tx *store.Tx, e *hub.Event) error {
	if e.ChannelID == "" {
		if !tenantEvents[e.Type] {
			return nil
		}
		return h.subscriptions(ctx, tx, e)
	}
	if err := h.callback(ctx, tx, e); err != nil {
		return err
	}
	return h.subscriptions(ctx, tx, e)
}

func (h *Hook) callback(ctx context.Context, tx *store.Tx, e *hub.Event) error {
	if !callbackEvents[e.Type] {
		return nil
	}
	wants, err := channels.WantsEvents(ctx, tx, e.ChannelID)
	if err != nil || !wants {
		return err
	}
	// The channel's callback is the customer's side: no internal notes.
	return queue(ctx, tx, e.ChannelID, "", &hub.Outbound{TenantID: e.TenantID, Kind: hub.OutboundEvent, Event: e.ForCustomer()})
}

func (h *Hook) subscriptions(ctx context.Context, tx *store.Tx, e *hub.Event) error {
	if !slices.Contains(SubscribableEvents, e.Type) || repeated(tx, e) {
		return nil
	}
	subs, err := h.active(ctx, tx, e.TenantID)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if !slices.Contains(sub.Events, e.Type) {
			continue
		}
		out := &hub.Outbound{TenantID: e.TenantID, Kind: hub.OutboundEvent, Event: e, Staff: true}
		if err := queue(ctx, tx, e.ChannelID, sub.ID, out); err != nil {
			return err
		}
	}
	return nil
}

// repeated reports an event the transaction already delivered to the
// subscriptions under another audience: a ticket's SLA warning is emitted
// once for its assignee and once for each follower, but integrators want
// it once.
func repeated(tx *store.Tx, e *hub.Event) bool {
	if e.Type != hub.EvTicketSLA {
		return false
	}
	var p struct {
		TicketID string `json:"ticket_id"`
		Clock    string `json:"clock"`
		Level    string `json:"level"`
	}
	_ = json.Unmarshal(e.Payload, &p) // written by us
	key := "outbound.sla:" + p.TicketID + "/" + p.Clock + "/" + p.Level
	if _, ok := tx.Memo(key); ok {
		return true
	}
	tx.SetMemo(key, true)
	return false
}

// Forget drops a tenant's cached subscriptions (they changed).
func (h *Hook) Forget(tenantID string) {
	h.mu.Lock()
	delete(h.subs, tenantID)
	h.mu.Unlock()
}

func (h *Hook) active(ctx context.Context, tx *store.Tx, tenantID string) ([]Subscription, error) {
	h.mu.Lock()
	c, ok := h.subs[tenantID]
	h.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.subs, nil
	}
	var all []Subscription
	q := `SELECT ` + subCols + ` FROM webhook_subscriptions WHERE tenant_id = ? AND active`
	if err := tx.Select(ctx, &all, q, tenantID); err != nil {
		return nil, fmt.Errorf("active subscriptions: %w", err)
	}
	for i := range all {
		all[i].Events = []hub.EventType{}
		_ = json.Unmarshal([]byte(all[i].EventsRaw), &all[i].Events) // written by us
		all[i].Secret = ""                                           // only the events matter here; the sender reads the secret
	}
	h.mu.Lock()
	h.subs[tenantID] = cachedSubs{subs: all, exp: time.Now().Add(subCacheTTL)}
	h.mu.Unlock()
	return all, nil
}
