// Package channels owns the channels admins bind (an API channel, a WeChat
// account, a website widget …): their settings, a short cache every inbound
// message reads through, and the platform access tokens shared by every hub
// process.
package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// DefaultOfflineMessage is the auto-reply customers get when nobody can answer.
const DefaultOfflineMessage = "您好，客服暂时不在线。您的留言已记录，我们会尽快回复您。"

// cacheTTL is how long a channel read is reused. A change made through
// this process is seen at once; other processes see it within this time.
const cacheTTL = 5 * time.Second

// Store keeps the channels.
type Store struct {
	k     *store.Store
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	ch  *hub.Channel
	exp time.Time
}

// New returns the channel store.
func New(k *store.Store) *Store { return &Store{k: k, cache: map[string]cached{}} }

// table keeps the channels; its secret column (the API channel's signing
// secret, a WeChat account's AppSecret, Token and EncodingAESKey, the web
// channel's identity secret) is sealed with the hub's secret key.
const table = "channels"

// ResealSecrets seals the channel secrets stored in clear or under an old
// key (at start-up and by `kefu rotate-secrets`).
func ResealSecrets(ctx context.Context, k *store.Store) (int, error) {
	return k.Reseal(ctx, table, "secret")
}

const cols = `id, tenant_id, type, name, secret, config, default_group_id, wants_events, offline_message,
	created_at, last_inbound_at, last_error, disabled`

// Create stores a channel whose type-specific config the connector has
// already validated. DefaultGroupID may be a group id or name.
func (s *Store) Create(ctx context.Context, ch *hub.Channel) error {
	if strings.TrimSpace(ch.Name) == "" {
		return hub.Invalid("name is required")
	}
	ch.ID, ch.CreatedAt = hub.NewID("ch"), s.k.Now()
	if ch.OfflineMessage == "" {
		ch.OfflineMessage = DefaultOfflineMessage
	}
	if len(ch.Config) == 0 {
		ch.Config = json.RawMessage("{}")
	}
	sealed, err := s.k.Seal(ch.Secret, store.Bind(table, ch.ID))
	if err != nil {
		return err
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		if err := defaultGroup(ctx, tx, ch); err != nil {
			return err
		}
		q := `INSERT INTO channels (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', FALSE)`
		if _, err := tx.Exec(ctx, q, ch.ID, ch.TenantID, ch.Type, ch.Name, sealed, string(ch.Config),
			ch.DefaultGroupID, ch.WantsEvents, ch.OfflineMessage, ch.CreatedAt); err != nil {
			return fmt.Errorf("insert channel: %w", err)
		}
		return nil
	})
}

func defaultGroup(ctx context.Context, tx *store.Tx, ch *hub.Channel) error {
	if ch.DefaultGroupID == nil {
		return nil
	}
	g, err := identity.Resolve(ctx, tx, ch.TenantID, *ch.DefaultGroupID)
	if err != nil {
		return err
	}
	if g == nil {
		return hub.Invalid("default group %q does not exist", *ch.DefaultGroupID)
	}
	ch.DefaultGroupID = g
	return nil
}

// Update saves name, config, secret, default group and offline message.
func (s *Store) Update(ctx context.Context, ch *hub.Channel) error {
	sealed, err := s.k.Seal(ch.Secret, store.Bind(table, ch.ID))
	if err != nil {
		return err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		if err := defaultGroup(ctx, tx, ch); err != nil {
			return err
		}
		const q = `UPDATE channels SET name = ?, config = ?, secret = ?, default_group_id = ?, wants_events = ?,
			offline_message = ? WHERE tenant_id = ? AND id = ?`
		_, err := tx.Exec(ctx, q, ch.Name, string(ch.Config), sealed, ch.DefaultGroupID,
			ch.WantsEvents, ch.OfflineMessage, ch.TenantID, ch.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("update channel: %w", err)
	}
	s.mu.Lock()
	delete(s.cache, ch.ID)
	s.mu.Unlock()
	return nil
}

// SetDisabled deactivates a channel (disabled) or activates it again: a
// deactivated channel's webhooks and widget take no new messages and its
// mailbox is no longer polled; its conversations, tickets and reports stay.
// Other processes see the change within cacheTTL.
func (s *Store) SetDisabled(ctx context.Context, tenantID, id string, disabled bool) (*hub.Channel, error) {
	ch, err := s.ForTenant(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if ch.Type == TypeManual {
		return nil, fmt.Errorf("channel %s: %w", id, hub.ErrNotFound)
	}
	if _, err := s.k.Exec(ctx, `UPDATE channels SET disabled = ? WHERE tenant_id = ? AND id = ?`, disabled, tenantID, id); err != nil {
		return nil, fmt.Errorf("set channel disabled: %w", err)
	}
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	return s.Get(ctx, id)
}

// Get returns a channel by id regardless of tenant: connectors look up the
// channel an inbound webhook names, then verify its signature. Cached
// briefly because every inbound message needs it.
func (s *Store) Get(ctx context.Context, id string) (*hub.Channel, error) {
	s.mu.Lock()
	c, ok := s.cache[id]
	s.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.ch, nil
	}
	var ch hub.Channel
	var cfg string
	row := s.k.R.QueryRowxContext(ctx, s.k.R.Rebind(`SELECT `+cols+` FROM channels WHERE id = ?`), id)
	err := row.Scan(&ch.ID, &ch.TenantID, &ch.Type, &ch.Name, &ch.Secret, &cfg, &ch.DefaultGroupID, &ch.WantsEvents,
		&ch.OfflineMessage, &ch.CreatedAt, &ch.LastInboundAt, &ch.LastError, &ch.Disabled)
	if store.NoRows(err) {
		return nil, fmt.Errorf("channel %s: %w", id, hub.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get channel: %w: %w", store.ErrUnavailable, err)
	}
	ch.Config = json.RawMessage(cfg)
	if ch.Secret, err = s.k.Unseal(ch.Secret, store.Bind(table, id)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache[id] = cached{ch: &ch, exp: time.Now().Add(cacheTTL)}
	s.mu.Unlock()
	return &ch, nil
}

// ForTenant returns a channel only if it belongs to the tenant.
func (s *Store) ForTenant(ctx context.Context, tenantID, id string) (*hub.Channel, error) {
	ch, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.TenantID != tenantID {
		return nil, fmt.Errorf("channel %s: %w", id, hub.ErrNotFound)
	}
	return ch, nil
}

// List returns the channels a tenant's admins bound (not the manual one).
func (s *Store) List(ctx context.Context, tenantID string) ([]hub.Channel, error) {
	var ids []string
	if err := s.k.Select(ctx, &ids, `SELECT id FROM channels WHERE tenant_id = ? AND type <> ? ORDER BY created_at, id`, tenantID, TypeManual); err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out := []hub.Channel{}
	for _, id := range ids {
		ch, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *ch)
	}
	return out, nil
}

// WantsEvents reports, inside a transaction, whether a channel takes
// conversation events (the API channel with a callback URL); asked again in
// the same transaction, it answers from memory.
func WantsEvents(ctx context.Context, tx *store.Tx, id string) (bool, error) {
	key := "channel.wants_events:" + id
	if v, ok := tx.Memo(key); ok {
		return v.(bool), nil
	}
	var wants []bool
	if err := tx.Select(ctx, &wants, `SELECT wants_events FROM channels WHERE id = ?`, id); err != nil {
		return false, fmt.Errorf("channel wants events: %w", err)
	}
	w := len(wants) == 1 && wants[0]
	tx.SetMemo(key, w)
	return w, nil
}

// RecordError sets the channel's last error — a problem on the platform's
// side outside any delivery (a WeCom pull that failed), shown in the
// channel's health — or clears it with "".
func RecordError(ctx context.Context, k *store.Store, id, msg string) error {
	msg = hub.Truncate(hub.Clean(msg), 500)
	if _, err := k.Exec(ctx, `UPDATE channels SET last_error = ? WHERE id = ? AND last_error <> ?`, msg, id, msg); err != nil {
		return fmt.Errorf("record channel error: %w", err)
	}
	return nil
}

// OfType lists the ids of the channels of a type, oldest first: of one
// tenant, or of every tenant when tenantID is "" (a connector's background
// work, such as polling every e-mail channel's mailbox).
func OfType(ctx context.Context, q store.Querier, tenantID, typ string) ([]string, error) {
	var ids []string
	query, args := `SELECT id FROM channels WHERE type = ? AND NOT disabled`, []any{typ}
	if tenantID != "" {
		query, args = query+` AND tenant_id = ?`, append(args, tenantID)
	}
	if err := q.Select(ctx, &ids, query+` ORDER BY created_at, id`, args...); err != nil {
		return nil, fmt.Errorf("channels of type %s: %w", typ, err)
	}
	return ids, nil
}
