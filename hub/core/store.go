package core

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/geoip"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// Store is the hub's storage: one struct, one file per noun, raw SQL next
// to the method that runs it.
type Store struct {
	db       *store.Store
	id       *identity.Identity
	ch       *channels.Store
	geo      *geoip.DB
	log      *slog.Logger
	now      func() time.Time
	policies map[string]hub.ReplyPolicy // reply windows by channel type (window.go)
	pushes   map[string]bool            // channel types that deliver over their own sockets
	auto     autoState                  // automations cache and IP database (automations.go)
}

// NewStore wraps an open database.
func NewStore(d *store.Store, id *identity.Identity, ch *channels.Store, geo *geoip.DB, policies map[string]hub.ReplyPolicy, pushes map[string]bool, log *slog.Logger) *Store {
	s := &Store{db: d, id: id, ch: ch, geo: geo, policies: policies, pushes: pushes, log: log, now: d.Now}
	d.Prepare(qDedup, qNextSeq, qInsertMessage, qFindContact, qFindActive, qBlocked)
	return s
}

// DB exposes the database for packages that keep their own tables (tickets).
func (s *Store) DB() *store.Store { return s.db }

// effects is what a write transaction emits.
type effects struct{ tx *store.Tx }

func (fx *effects) emit(ch *hub.Channel, typ hub.EventType, convID, agentID string, payload any) {
	fx.tx.Emit(hub.Event{TenantID: ch.TenantID, ChannelID: ch.ID, Type: typ, ConversationID: convID, AgentID: agentID}, payload)
}

// write runs fn in a kernel write transaction.
func (s *Store) write(ctx context.Context, fn func(tx *store.Tx, fx *effects) error) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return fn(tx, &effects{tx: tx}) })
}

// set copies *src to *dst when src is given (a patch field).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// week bounds the delays settings may ask for, in seconds.
const week = 7 * 24 * 3600
