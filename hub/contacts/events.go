package contacts

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// RecordEvent stores a contact event once (deduplicated by its external id
// like a message) and applies it to the contact: following sets where they
// came from, unfollowing when. It returns the event's id, or dup when it was
// recorded before.
func RecordEvent(ctx context.Context, tx *store.Tx, ch *hub.Channel, c *hub.Contact, in *hub.Inbound) (id string, dup bool, err error) {
	const ins = `INSERT INTO contact_events (id, tenant_id, channel_id, contact_id, external_id, event, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id`
	var ids []string
	if err := tx.Select(ctx, &ids, ins, hub.NewID("ce"), ch.TenantID, ch.ID, c.ID, in.ExternalID, in.Event,
		in.Text, tx.Now()); err != nil {
		return "", false, fmt.Errorf("record contact event: %w", err)
	}
	if len(ids) == 0 {
		return "", true, nil
	}
	return ids[0], false, apply(ctx, tx, c, in)
}

// apply records following and unfollowing on the contact.
func apply(ctx context.Context, tx *store.Tx, c *hub.Contact, in *hub.Inbound) error {
	now := tx.Now()
	switch in.Event {
	case hub.ContactSubscribed:
		if in.Text != "" {
			c.Source = in.Text
		}
		c.UnsubscribedAt = nil
	case hub.ContactUnsubscribed:
		c.UnsubscribedAt = &now
	default:
		return nil
	}
	const q = `UPDATE contacts SET unsubscribed_at = ?, source = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, q, c.UnsubscribedAt, c.Source, now, c.ID); err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	c.UpdatedAt = now
	return nil
}
