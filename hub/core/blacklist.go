package core

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// BlacklistEntry is a blocked contact (黑名单): their messages are dropped
// at ingest (acknowledged to the platform, stored on no conversation).
type BlacklistEntry struct {
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

// qBlocked tells whether an inbound message's sender is blacklisted; it runs
// for every inbound message, so it is prepared (stmts.go).
const qBlocked = `SELECT COUNT(*) FROM blacklist b JOIN contacts c ON c.id = b.contact_id
	WHERE c.channel_id = ? AND c.external_id = ?`

func (s *Store) blocked(ctx context.Context, tx *store.Tx, ch *hub.Channel, in *hub.Inbound) (bool, error) {
	var n int
	if err := tx.Get(ctx, &n, qBlocked, ch.ID, in.Contact.ExternalID); err != nil {
		return false, fmt.Errorf("blacklist check: %w", err)
	}
	return n > 0, nil
}

// Blacklist blocks the contact of a conversation the agent may see and
// closes the conversation. Blocking a blocked contact returns its entry.
func (s *Store) Blacklist(ctx context.Context, a *hub.Agent, convID, reason string) (*BlacklistEntry, *hub.Conversation, error) {
	reason = hub.Clean(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return nil, nil, hub.Invalid("reason is at most 500 characters")
	}
	var c *hub.Conversation
	e := &BlacklistEntry{ID: hub.NewID("bl"), TenantID: a.TenantID, Reason: reason, CreatedBy: a.ID, CreatedAt: s.now()}
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		var err error
		if c, err = s.lockConversation(ctx, tx, a, convID); err != nil {
			return err
		}
		e.ChannelID, e.ContactID = c.ChannelID, c.ContactID
		const ins = `INSERT INTO blacklist (id, tenant_id, channel_id, contact_id, reason, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, tx.Rebind(ins), e.ID, e.TenantID, e.ChannelID, e.ContactID, e.Reason, e.CreatedBy,
			e.CreatedAt); err != nil {
			return fmt.Errorf("blacklist contact: %w", err)
		}
		if err := tx.GetContext(ctx, e, tx.Rebind(blacklistSelect+` WHERE b.contact_id = ?`), e.ContactID); err != nil {
			return fmt.Errorf("reread blacklist: %w", err)
		}
		return s.closeLocked(ctx, tx, fx, a, c, Closing{Reason: "blacklisted"})
	})
	if err != nil {
		return nil, nil, err
	}
	return e, c, nil
}

const blacklistSelect = `SELECT b.id, b.tenant_id, b.channel_id, b.contact_id, b.reason, b.created_by, b.created_at,
	c.name, c.external_id FROM blacklist b JOIN contacts c ON c.id = b.contact_id`

// BlacklistEntries lists a tenant's blocked contacts, newest first.
func (s *Store) BlacklistEntries(ctx context.Context, tenantID string, limit int) ([]BlacklistEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	out := []BlacklistEntry{}
	q := s.db.R.Rebind(blacklistSelect + ` WHERE b.tenant_id = ? ORDER BY b.created_at DESC, b.id LIMIT ?`)
	if err := s.db.R.SelectContext(ctx, &out, q, tenantID, min(limit, 1000)); err != nil {
		return nil, fmt.Errorf("list blacklist: %w", err)
	}
	return out, nil
}

// Unblacklist lets a contact write again.
func (s *Store) Unblacklist(ctx context.Context, tenantID, id string) error {
	res, err := s.db.W.ExecContext(ctx, s.db.W.Rebind(`DELETE FROM blacklist WHERE tenant_id = ? AND id = ?`), tenantID, id)
	if err != nil {
		return fmt.Errorf("delete blacklist entry: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("blacklist entry %s: %w", id, hub.ErrNotFound)
	}
	return nil
}
