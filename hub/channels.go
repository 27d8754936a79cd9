package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// DefaultOfflineMessage is the auto-reply customers get when nobody can answer.
const DefaultOfflineMessage = "您好，客服暂时不在线。您的留言已记录，我们会尽快回复您。"

const channelCols = `id, tenant_id, type, name, secret, config, default_group_id, wants_events, offline_message,
	created_at, last_inbound_at, last_error`

// CreateChannel stores a channel whose type-specific config the connector
// has already validated. DefaultGroupID may be a group id or name.
func (s *Store) CreateChannel(ctx context.Context, ch *Channel) error {
	if strings.TrimSpace(ch.Name) == "" {
		return Invalid("name is required")
	}
	ch.ID, ch.CreatedAt = NewID("ch"), s.now()
	if ch.OfflineMessage == "" {
		ch.OfflineMessage = DefaultOfflineMessage
	}
	if len(ch.Config) == 0 {
		ch.Config = json.RawMessage("{}")
	}
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if ch.DefaultGroupID != nil {
			g, err := s.resolveGroup(ctx, tx, ch.TenantID, *ch.DefaultGroupID)
			if err != nil {
				return err
			}
			if g == nil {
				return Invalid("default group %q does not exist", *ch.DefaultGroupID)
			}
			ch.DefaultGroupID = g
		}
		q := `INSERT INTO channels (` + channelCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '')`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), ch.ID, ch.TenantID, ch.Type, ch.Name, ch.Secret, string(ch.Config),
			ch.DefaultGroupID, ch.WantsEvents, ch.OfflineMessage, ch.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert channel: %w", err)
		}
		return nil
	})
}

// UpdateChannel saves name, config, secret, default group and offline message.
func (s *Store) UpdateChannel(ctx context.Context, ch *Channel) error {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if ch.DefaultGroupID != nil {
			g, err := s.resolveGroup(ctx, tx, ch.TenantID, *ch.DefaultGroupID)
			if err != nil {
				return err
			}
			if g == nil {
				return Invalid("default group %q does not exist", *ch.DefaultGroupID)
			}
			ch.DefaultGroupID = g
		}
		const q = `UPDATE channels SET name = ?, config = ?, secret = ?, default_group_id = ?, wants_events = ?,
			offline_message = ? WHERE tenant_id = ? AND id = ?`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), ch.Name, string(ch.Config), ch.Secret, ch.DefaultGroupID,
			ch.WantsEvents, ch.OfflineMessage, ch.TenantID, ch.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("update channel: %w", err)
	}
	s.chMu.Lock()
	delete(s.channels, ch.ID)
	s.chMu.Unlock()
	return nil
}

// Channel returns a channel by id regardless of tenant: connectors look up
// the channel an inbound webhook names, then verify its signature. Cached
// briefly because every inbound message needs it.
func (s *Store) Channel(ctx context.Context, id string) (*Channel, error) {
	s.chMu.Lock()
	c, ok := s.channels[id]
	s.chMu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.ch, nil
	}
	var ch Channel
	var cfg string
	row := s.db.R.QueryRowxContext(ctx, s.db.R.Rebind(`SELECT `+channelCols+` FROM channels WHERE id = ?`), id)
	err := row.Scan(&ch.ID, &ch.TenantID, &ch.Type, &ch.Name, &ch.Secret, &cfg, &ch.DefaultGroupID, &ch.WantsEvents,
		&ch.OfflineMessage, &ch.CreatedAt, &ch.LastInboundAt, &ch.LastError)
	if db.NoRows(err) {
		return nil, fmt.Errorf("channel %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get channel: %w: %w", db.ErrUnavailable, err)
	}
	ch.Config = json.RawMessage(cfg)
	s.chMu.Lock()
	s.channels[id] = cachedChannel{ch: &ch, exp: time.Now().Add(5 * time.Second)}
	s.chMu.Unlock()
	return &ch, nil
}

// TenantChannel returns a channel only if it belongs to the tenant.
func (s *Store) TenantChannel(ctx context.Context, tenantID, id string) (*Channel, error) {
	ch, err := s.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.TenantID != tenantID {
		return nil, fmt.Errorf("channel %s: %w", id, ErrNotFound)
	}
	return ch, nil
}

// Channels lists a tenant's channels.
func (s *Store) Channels(ctx context.Context, tenantID string) ([]Channel, error) {
	var ids []string
	q := `SELECT id FROM channels WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.db.R.SelectContext(ctx, &ids, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out := []Channel{}
	for _, id := range ids {
		ch, err := s.Channel(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *ch)
	}
	return out, nil
}

// ChannelHealth is what an admin checks on a channel page.
type ChannelHealth struct {
	LastMessageAt *time.Time `json:"last_message_at"`
	LastError     string     `json:"last_delivery_error"`
	LastErrorAt   *time.Time `json:"last_delivery_error_at"`
	Pending       int        `json:"pending_deliveries"`
	Failed        int        `json:"failed_deliveries"`
	Failed24h     int        `json:"deliveries_failed_24h"`
}

// Health summarises a channel's traffic.
func (s *Store) Health(ctx context.Context, ch *Channel) (*ChannelHealth, error) {
	h := &ChannelHealth{}
	var last []time.Time
	q := `SELECT created_at FROM messages WHERE channel_id = ? AND direction = 'in' ORDER BY created_at DESC LIMIT 1`
	if err := s.db.R.SelectContext(ctx, &last, s.db.R.Rebind(q), ch.ID); err != nil {
		return nil, fmt.Errorf("last message: %w", err)
	}
	if len(last) == 1 {
		h.LastMessageAt = &last[0]
	}
	var errs []struct {
		Error string    `db:"last_error"`
		At    time.Time `db:"updated_at"`
	}
	eq := `SELECT last_error, updated_at FROM deliveries WHERE channel_id = ? AND subscription_id = '' AND last_error <> ''
		ORDER BY updated_at DESC LIMIT 1`
	if err := s.db.R.SelectContext(ctx, &errs, s.db.R.Rebind(eq), ch.ID); err != nil {
		return nil, fmt.Errorf("last error: %w", err)
	}
	if len(errs) == 1 {
		h.LastError, h.LastErrorAt = errs[0].Error, &errs[0].At
	}
	cq := `SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' AND updated_at >= ? THEN 1 ELSE 0 END), 0)
		FROM deliveries WHERE channel_id = ? AND subscription_id = ''`
	row := s.db.R.QueryRowxContext(ctx, s.db.R.Rebind(cq), s.now().Add(-24*time.Hour), ch.ID)
	if err := row.Scan(&h.Pending, &h.Failed, &h.Failed24h); err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	return h, nil
}
