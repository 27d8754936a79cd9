package core

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
)

const qContact = `SELECT id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at,
	unsubscribed_at, source FROM contacts WHERE id = ?`

// contactTx reads a contact inside a write transaction (which may have
// created it).
func (s *Store) contactTx(ctx context.Context, tx *store.Tx, id string) (*hub.Contact, error) {
	var c hub.Contact
	if err := tx.GetContext(ctx, &c, tx.Rebind(qContact), id); err != nil {
		return nil, fmt.Errorf("get contact: %w", err)
	}
	return &c, nil
}

// ingestContactEvent stores a contact event once (deduplicated by its
// external id like a message), applies it to the contact, queues the
// automatic reply it asks for and tells whoever works the contact's active
// conversation (admins otherwise).
func (s *Store) ingestContactEvent(ctx context.Context, tx *store.Tx, fx *effects, ch *hub.Channel, in *hub.Inbound) (IngestResult, error) {
	contact, err := s.upsertContact(ctx, tx, ch, in)
	if err != nil {
		return IngestResult{}, err
	}
	id := hub.NewID("ce")
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
	if in.Reply != "" && in.Event != hub.ContactUnsubscribed {
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
	fx.emit(ch, hub.EvContactUpdated, "", to, map[string]any{"contact": contact, "event": in.Event, "detail": in.Text})
	return IngestResult{MessageID: ids[0]}, nil
}

// applyContactEvent records following and unfollowing on the contact.
func (s *Store) applyContactEvent(ctx context.Context, tx *store.Tx, c *hub.Contact, in *hub.Inbound) error {
	now := s.now()
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
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), c.UnsubscribedAt, c.Source, now, c.ID); err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	c.UpdatedAt = now
	return nil
}

// queueContactReply queues an automatic text to a contact that is not
// part of a conversation, through the channel's connector.
func (s *Store) queueContactReply(ctx context.Context, tx *store.Tx, fx *effects, ch *hub.Channel, c *hub.Contact, text string) error {
	m := &hub.Message{Type: "text", Text: text, Attachments: []hub.Attachment{}, SenderType: hub.SenderSystem}
	return outbound.Queue(ctx, tx, ch.ID, &hub.Outbound{TenantID: ch.TenantID, Kind: hub.OutboundReply, Message: m, Contact: c})
}
