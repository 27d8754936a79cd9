package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// Notifier receives what a committed transaction produced: realtime events
// to broadcast and outbound deliveries to attempt. Both are best-effort
// nudges; the database already holds the truth and sweepers catch up.
type Notifier interface {
	Events(evs []Event)
	Deliveries(ids []string)
}

type nopNotifier struct{}

func (nopNotifier) Events([]Event)      {}
func (nopNotifier) Deliveries([]string) {}

// Store is the hub's storage: one struct, one file per noun, raw SQL next
// to the method that runs it.
type Store struct {
	db       *db.DB
	log      *slog.Logger
	notify   Notifier
	now      func() time.Time
	cache    stmtCache
	chMu     sync.Mutex
	channels map[string]cachedChannel
	policies map[string]ReplyPolicy // reply windows by channel type (window.go)
	auto     autoState              // automations cache and IP database (automations.go)
	subs     subCache               // active webhook subscriptions (webhooks.go)
	guesses  totpGuard              // wrong TOTP codes per agent (totp.go)
}

type cachedChannel struct {
	ch  *Channel
	exp time.Time
}

// NewStore wraps an open database.
func NewStore(d *db.DB, log *slog.Logger) *Store {
	s := &Store{db: d, log: log, notify: nopNotifier{}, now: func() time.Time { return time.Now().UTC() },
		channels: map[string]cachedChannel{}, cache: stmtCache{stmts: map[string]*sqlx.Stmt{}}}
	for _, q := range []string{qDedup, qNextSeq, qInsertMessage, qFindContact, qFindActive, qReserveEvents, qInsertEvent, qBlocked} {
		s.prepare(q)
	}
	return s
}

// SetNotifier installs where committed events and deliveries are announced.
func (s *Store) SetNotifier(n Notifier) { s.notify = n }

// DB exposes the database for packages that keep their own tables (tickets).
func (s *Store) DB() *db.DB { return s.db }

// effects collects what a write transaction emits; flushed before commit.
type effects struct {
	events     []Event
	deliveries []string
}

func (fx *effects) emit(ch *Channel, typ, convID, agentID string, payload any) {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("marshal %s payload: %v", typ, err)) // our own structs always marshal
	}
	e := Event{TenantID: ch.TenantID, Type: typ, ConversationID: convID, AgentID: agentID, Payload: b}
	e.channelID = ch.ID
	fx.events = append(fx.events, e)
}

// write runs fn in a transaction, numbers and stores the events it emitted
// (the per-tenant counter is the last lock taken, so no lock cycles), commits,
// then announces events and deliveries.
func (s *Store) write(ctx context.Context, fn func(tx *sqlx.Tx, fx *effects) error) error {
	var fx effects
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		fx = effects{}
		if err := fn(tx, &fx); err != nil {
			return err
		}
		return s.flushEvents(ctx, tx, &fx)
	})
	if err != nil {
		return err
	}
	if len(fx.events) > 0 {
		s.notify.Events(append(fx.events, queueChanges(fx.events)...))
	}
	if len(fx.deliveries) > 0 {
		s.notify.Deliveries(fx.deliveries)
	}
	return nil
}

// callbackEvents are the event types a channel that wants events (the API
// channel's callback_url) receives.
var callbackEvents = map[string]bool{
	EvConversationAssigned: true, EvConversationTransferred: true, EvConversationClosed: true,
	EvConversationQueued: true, EvConversationOffline: true, EvQueuePosition: true, EvRatingRequested: true,
}

const (
	qReserveEvents = `UPDATE tenants SET last_event_id = last_event_id + ? WHERE id = ? RETURNING last_event_id`
	qInsertEvent   = `INSERT INTO events (tenant_id, id, type, conversation_id, agent_id, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
)

func (s *Store) flushEvents(ctx context.Context, tx *sqlx.Tx, fx *effects) error {
	if len(fx.events) == 0 {
		return nil
	}
	byTenant := map[string][]int{}
	var tenants []string
	for i, e := range fx.events {
		if _, ok := byTenant[e.TenantID]; !ok {
			tenants = append(tenants, e.TenantID)
		}
		byTenant[e.TenantID] = append(byTenant[e.TenantID], i)
	}
	sort.Strings(tenants)
	now := s.now()
	for _, t := range tenants {
		idx := byTenant[t]
		var last int64
		if err := s.txGet(ctx, tx, &last, qReserveEvents, len(idx), t); err != nil {
			return fmt.Errorf("reserve event ids: %w", err)
		}
		first := last - int64(len(idx)) + 1
		for k, i := range idx {
			e := &fx.events[i]
			e.ID, e.CreatedAt = first+int64(k), now
			if _, err := s.txExec(ctx, tx, qInsertEvent, e.TenantID, e.ID, e.Type, e.ConversationID,
				e.AgentID, string(e.Payload), now); err != nil {
				return fmt.Errorf("insert event: %w", err)
			}
			if err := s.eventDelivery(ctx, tx, fx, e); err != nil {
				return err
			}
			if err := s.subscriptionDeliveries(ctx, tx, fx, e); err != nil { // webhooks.go
				return err
			}
		}
	}
	return nil
}

// eventDelivery queues an event for a channel that wants its events (the
// API channel's callback_url). Each event is emitted once, so it is sent once.
func (s *Store) eventDelivery(ctx context.Context, tx *sqlx.Tx, fx *effects, e *Event) error {
	if !callbackEvents[e.Type] || e.channelID == "" {
		return nil
	}
	ch, err := s.Channel(ctx, e.channelID)
	if err != nil || !ch.WantsEvents {
		return nil
	}
	body, _ := json.Marshal(map[string]any{"type": e.Type, "event_id": e.ID, "conversation_id": e.ConversationID,
		"data": withoutNotes(e.Payload), "created_at": e.CreatedAt})
	id, err := s.insertDelivery(ctx, tx, ch, "event", "", e.Type, body)
	if err != nil {
		return err
	}
	fx.deliveries = append(fx.deliveries, id)
	return nil
}

// EventsAfter replays the events an agent may see after id, oldest first.
func (s *Store) EventsAfter(ctx context.Context, a *Agent, after int64, limit int) ([]Event, error) {
	q := `SELECT tenant_id, id, type, conversation_id, agent_id, payload, created_at FROM events
		WHERE tenant_id = ? AND id > ?`
	args := []any{a.TenantID, after}
	if !a.SeesAll() {
		q += ` AND (agent_id = ? OR type = ?)` // as Event.VisibleTo
		args = append(args, a.ID, EvTicketCreated)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	var evs []Event
	if err := s.db.R.SelectContext(ctx, &evs, s.db.R.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("replay events: %w", err)
	}
	return evs, nil
}

// EventsRange returns a tenant's events with from <= id <= to, for filling
// gaps in the realtime stream.
func (s *Store) EventsRange(ctx context.Context, tenantID string, from, to int64) ([]Event, error) {
	const q = `SELECT tenant_id, id, type, conversation_id, agent_id, payload, created_at FROM events
		WHERE tenant_id = ? AND id >= ? AND id <= ? ORDER BY id`
	var evs []Event
	if err := s.db.R.SelectContext(ctx, &evs, s.db.R.Rebind(q), tenantID, from, to); err != nil {
		return nil, fmt.Errorf("event range: %w", err)
	}
	return evs, nil
}

// LastEventID is the newest event id of a tenant.
func (s *Store) LastEventID(ctx context.Context, tenantID string) (int64, error) {
	var id int64
	err := s.db.R.GetContext(ctx, &id, s.db.R.Rebind(`SELECT last_event_id FROM tenants WHERE id = ?`), tenantID)
	if err != nil {
		return 0, fmt.Errorf("last event id: %w", err)
	}
	return id, nil
}

// withoutNotes drops internal notes from the history an event carries
// (conversation.assigned has the recent messages) before it leaves for a
// customer's side: agents see notes, customers never do.
func withoutNotes(payload RawJSON) RawJSON {
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil || p["messages"] == nil {
		return payload
	}
	var msgs []map[string]any
	if json.Unmarshal(p["messages"], &msgs) != nil {
		return payload
	}
	kept := msgs[:0]
	for _, m := range msgs {
		if m["direction"] != DirectionInternal {
			kept = append(kept, m)
		}
	}
	p["messages"], _ = json.Marshal(kept)
	b, _ := json.Marshal(p)
	return b
}

// EvQueueChanged tells every agent of a tenant that its queue changed (a
// conversation joined or left it), so those who may pick up refresh the
// queue; it carries no customer data.
const EvQueueChanged = "queue.changed"

// queueChanges derives the ephemeral queue.changed events of a write.
func queueChanges(evs []Event) []Event {
	var out []Event
	seen := map[string]bool{}
	for _, e := range evs {
		switch e.Type {
		case EvConversationQueued, EvConversationAssigned, EvConversationOffline, EvConversationClosed,
			EvConversationTransferred:
			if !seen[e.TenantID] {
				seen[e.TenantID] = true
				out = append(out, Event{TenantID: e.TenantID, Type: EvQueueChanged, Payload: RawJSON(`{}`)})
			}
		}
	}
	return out
}
