package hub

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Contact events a connector may publish (Inbound.Event). They change the
// contact, never open a conversation.
const (
	ContactSubscribed   = "subscribe"   // followed the account (Text: the QR scene, if any)
	ContactUnsubscribed = "unsubscribe" // unfollowed: the platform refuses replies from now on
	ContactScanned      = "scan"        // a follower scanned a QR code (Text: the scene)
	ContactClicked      = "click"       // clicked a menu item (Text: its key)
)

// DeliveryReply is the delivery kind of an automatic answer to a contact
// outside any conversation (a welcome message, a menu's keyword reply). Its
// payload has the shape of a message.created delivery, so a connector reads
// data.message and data.contact the same way for both.
const DeliveryReply = "reply"

const qContact = `SELECT id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at,
	unsubscribed_at, source FROM contacts WHERE id = ?`

// contactTx reads a contact inside a write transaction (which may have
// created it).
func (s *Store) contactTx(ctx context.Context, tx *sqlx.Tx, id string) (*Contact, error) {
	var c Contact
	if err := tx.GetContext(ctx, &c, tx.Rebind(qContact), id); err != nil {
		return nil, fmt.Errorf("get contact: %w", err)
	}
	return &c, nil
}

// ingestContactEvent stores a contact event once (deduplicated by its
// external id like a message), applies it to the contact, queues the
// automatic reply it asks for and tells whoever works the contact's active
// conversation (admins otherwise).
func (s *Store) ingestContactEvent(ctx context.Context, tx *sqlx.Tx, fx *effects, ch *Channel, in *Inbound) (IngestResult, error) {
	contact, err := s.upsertContact(ctx, tx, ch, in)
	if err != nil {
		return IngestResult{}, err
	}
	id := NewID("ce")
	const ins = `INSERT INTO contact_events (id, tenant_id, channel_id, contact_id, external_id, event, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id`
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(ins), id, ch.TenantID, ch.ID, contact.ID, in.ExternalID, in.Event,
		in.Text, s.now()); err != nil {
		return IngestResult{}, fmt.Errorf("record contact event: %w", err)
	}
	if len(ids) == 0 {
		return IngestResult{Duplicate: true}, nil
	}
	if err := s.applyContactEvent(ctx, tx, contact, in); err != nil {
		return IngestResult{}, err
	}
	if in.Reply != "" && in.Event != ContactUnsubscribed {
		if err := s.queueContactReply(ctx, tx, fx, ch, contact, in.Reply); err != nil {
			return IngestResult{}, err
		}
	}
	var assignee []string
	q := `SELECT COALESCE(assignee_id, '') FROM conversations WHERE channel_id = ? AND contact_id = ? AND status <> 'closed'`
	if err := tx.SelectContext(ctx, &assignee, tx.Rebind(q), ch.ID, contact.ID); err != nil {
		return IngestResult{}, fmt.Errorf("contact conversation: %w", err)
	}
	to := ""
	if len(assignee) == 1 {
		to = assignee[0]
	}
	fx.emit(ch, EvContactUpdated, "", to, map[string]any{"contact": contact, "event": in.Event, "detail": in.Text})
	return IngestResult{MessageID: ids[0]}, nil
}

// applyContactEvent records following and unfollowing on the contact.
func (s *Store) applyContactEvent(ctx context.Context, tx *sqlx.Tx, c *Contact, in *Inbound) error {
	now := s.now()
	switch in.Event {
	case ContactSubscribed:
		if in.Text != "" {
			c.Source = in.Text
		}
		c.UnsubscribedAt = nil
	case ContactUnsubscribed:
		c.UnsubscribedAt = &now
	default:
		return nil
	}
	const q = `UPDATE contacts SET unsubscribed_at = ?, source = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), c.UnsubscribedAt, c.Source, now, c.ID); err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	c.UpdatedAt = now
	return nil
}

// queueContactReply queues an automatic text to a contact that is not
// part of a conversation, through the channel's connector.
func (s *Store) queueContactReply(ctx context.Context, tx *sqlx.Tx, fx *effects, ch *Channel, c *Contact, text string) error {
	m := map[string]any{"type": "text", "text": text, "attachments": []Attachment{}, "sender_type": "system"}
	body, _ := json.Marshal(map[string]any{"type": "contact.reply", "data": map[string]any{"message": m, "contact": c}})
	id, err := s.insertDelivery(ctx, tx, ch, DeliveryReply, "", "contact.reply", body)
	if err != nil {
		return err
	}
	fx.deliveries = append(fx.deliveries, id)
	return nil
}
