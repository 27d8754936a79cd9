package contacts

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Blocked is a blacklisted contact (黑名单): their messages are dropped at
// ingest (acknowledged to the platform, stored on no conversation).
type Blocked struct {
	ID         string    `db:"id" json:"id"`
	TenantID   string    `db:"tenant_id" json:"-"`
	ChannelID  string    `db:"channel_id" json:"channel_id"`
	ContactID  string    `db:"contact_id" json:"contact_id"`
	Reason     string    `db:"reason" json:"reason"`
	CreatedBy  string    `db:"created_by" json:"created_by"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	Name       string    `db:"name" json:"contact_name"`
	ExternalID string    `db:"external_id" json:"contact_external_id"`
}

const blockedSelect = `SELECT b.id, b.tenant_id, b.channel_id, b.contact_id, b.reason, b.created_by, b.created_at,
	c.name, c.external_id FROM blacklist b JOIN contacts c ON c.id = b.contact_id`

// Block blacklists a contact in the caller's transaction; blocking a
// blocked contact returns its entry.
func Block(ctx context.Context, tx *store.Tx, tenantID, channelID, contactID, reason, by string) (*Blocked, error) {
	reason = hub.Clean(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return nil, hub.Invalid("reason is at most 500 characters")
	}
	const ins = `INSERT INTO blacklist (id, tenant_id, channel_id, contact_id, reason, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING`
	if _, err := tx.Exec(ctx, ins, hub.NewID("bl"), tenantID, channelID, contactID, reason, by, tx.Now()); err != nil {
		return nil, fmt.Errorf("blacklist contact: %w", err)
	}
	var e Blocked
	if err := tx.Get(ctx, &e, blockedSelect+` WHERE b.contact_id = ?`, contactID); err != nil {
		return nil, fmt.Errorf("reread blacklist: %w", err)
	}
	return &e, nil
}

// Blacklist lists a tenant's blocked contacts, newest first.
func (s *Store) Blacklist(ctx context.Context, tenantID string, limit int) ([]Blocked, error) {
	if limit <= 0 {
		limit = 100
	}
	out := []Blocked{}
	q := blockedSelect + ` WHERE b.tenant_id = ? ORDER BY b.created_at DESC, b.id LIMIT ?`
	if err := s.k.Select(ctx, &out, q, tenantID, min(limit, 1000)); err != nil {
		return nil, fmt.Errorf("list blacklist: %w", err)
	}
	return out, nil
}

// Unblock lets a contact write again.
func (s *Store) Unblock(ctx context.Context, tenantID, id string) error {
	n, err := s.k.Exec(ctx, `DELETE FROM blacklist WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete blacklist entry: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("blacklist entry %s: %w", id, hub.ErrNotFound)
	}
	return nil
}
