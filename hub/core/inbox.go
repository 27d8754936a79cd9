package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// Hot inbox queries, prepared once on SQLite (see stmts.go).
const (
	qDedup         = `SELECT id FROM messages WHERE channel_id = ? AND external_id = ?`
	qNextSeq       = `UPDATE conversations SET last_seq = last_seq + 1, last_message_at = ?, updated_at = ? WHERE id = ? RETURNING last_seq`
	qInsertMessage = `INSERT INTO messages (id, tenant_id, conversation_id, channel_id, seq, direction, sender_type, sender_id,
		type, text, attachments, external_id, client_id, status, error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT DO NOTHING RETURNING id`
	qFindContact = `SELECT id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at,
		unsubscribed_at, source FROM contacts WHERE channel_id = ? AND external_id = ?`
	qFindActive = `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ? AND contact_id = ? AND status <> 'closed'`
)

// IngestResult is what storing one inbound message did.
type IngestResult struct {
	MessageID      string
	ConversationID string
	TenantID       string
	Status         hub.ConvStatus // the conversation's status after the insert
	New            bool           // a conversation was opened
	Duplicate      bool           // the message was already stored
	Blocked        bool           // the sender is blacklisted: dropped, stored nowhere
	Ticketed       bool           // a left message went straight into a ticket
	Err            error
}

// Ingest stores a batch of inbound messages in one transaction: contact
// upsert, conversation find-or-open, message insert deduplicated by
// (channel, external id) with the next gap-free seq, and their events. When
// the batch fails as a whole, each message is retried alone so one bad
// message cannot hold the others back.
func (s *Store) Ingest(ctx context.Context, batch []hub.Inbound) []IngestResult {
	order := make([]int, len(batch))
	for i := range batch {
		batch[i].Sanitize()
		order[i] = i
	}
	// A fixed lock order across processes: by channel, then contact.
	sort.SliceStable(order, func(a, b int) bool {
		x, y := &batch[order[a]], &batch[order[b]]
		if x.ChannelID != y.ChannelID {
			return x.ChannelID < y.ChannelID
		}
		return x.Contact.ExternalID < y.Contact.ExternalID
	})
	results := make([]IngestResult, len(batch))
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		for _, i := range order {
			r, err := s.ingestOne(ctx, tx, fx, &batch[i])
			if err != nil {
				return err
			}
			results[i] = r
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		if err != nil {
			results[0] = IngestResult{Err: err}
		}
		return results
	}
	for i := range batch {
		results[i] = s.Ingest(ctx, batch[i:i+1])[0]
	}
	return results
}

func (s *Store) ingestOne(ctx context.Context, tx *store.Tx, fx *effects, in *hub.Inbound) (IngestResult, error) {
	ch, err := s.ch.Get(ctx, in.ChannelID)
	if err != nil {
		return IngestResult{}, err
	}
	if ch.TenantID != in.TenantID {
		return IngestResult{}, hub.Invalid("channel %s does not belong to tenant %s", in.ChannelID, in.TenantID)
	}
	if in.ExternalID == "" || in.Contact.ExternalID == "" {
		return IngestResult{}, hub.Invalid("message id and contact id are required")
	}
	if in.Event != "" {
		return s.ingestContactEvent(ctx, tx, fx, ch, in) // contactevents.go
	}
	// A replay is recognised before anything else happens, so that a message
	// whose conversation has since closed cannot open an empty new one.
	var existing []string
	if err := tx.Select(ctx, &existing, qDedup, ch.ID, in.ExternalID); err != nil {
		return IngestResult{}, fmt.Errorf("dedup check: %w", err)
	}
	if len(existing) > 0 {
		return IngestResult{MessageID: existing[0], TenantID: ch.TenantID, Duplicate: true}, nil
	}
	if blocked, err := s.blocked(ctx, tx, ch, in); err != nil || blocked { // blacklist.go
		return IngestResult{TenantID: ch.TenantID, Blocked: blocked}, err
	}
	contact, err := s.upsertContact(ctx, tx, ch, in)
	if err != nil {
		return IngestResult{}, err
	}
	in.Text = s.mask(ctx, ch, in.Text) // sensitive data never reaches the store (automations.go)
	conv, isNew, err := s.activeConversation(ctx, tx, fx, ch, contact, in.Group)
	if err != nil {
		return IngestResult{}, err
	}
	r := IngestResult{ConversationID: conv.ID, TenantID: ch.TenantID, Status: conv.Status, New: isNew}
	atts, _ := json.Marshal(orEmpty(in.Attachments))
	m := &hub.Message{ID: hub.NewID("ms"), TenantID: ch.TenantID, ConversationID: conv.ID, ChannelID: ch.ID, Direction: "in",
		SenderType: "contact", SenderID: contact.ID, Type: in.Type, Text: in.Text, AttachmentsRaw: string(atts),
		Attachments: orEmpty(in.Attachments), ExternalID: &in.ExternalID, Status: "received", CreatedAt: s.now()}
	inserted, err := s.insertMessage(ctx, tx, m)
	if err != nil {
		return r, err
	}
	if !inserted {
		r.MessageID, r.Duplicate = "", true
		return r, nil
	}
	r.MessageID = m.ID
	fx.emit(ch, hub.EvMessageCreated, conv.ID, deref(conv.AssigneeID), messagePayload(m, contact))
	if in.Reply != "" {
		if _, err := s.outgoing(ctx, tx, fx, conv, "system", "", Reply{Content: in.Reply, Type: "text"}); err != nil {
			return r, err
		}
	}
	if err := s.afterInbound(ctx, tx, ch, conv, isNew, m, in); err != nil { // routing state and timers (automations.go)
		return r, err
	}
	if in.LeaveMessage && conv.Status == hub.ConvQueued {
		// A left message is a ticket now; nobody routes it.
		if _, err := s.toTicket(ctx, tx, fx, conv, ch, "", "left_message", "the customer left a message"); err != nil {
			return r, err
		}
		r.Status, r.Ticketed = conv.Status, true
	}
	return r, nil
}

func orEmpty(a []hub.Attachment) []hub.Attachment {
	if a == nil {
		return []hub.Attachment{}
	}
	return a
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func messagePayload(m *hub.Message, c *hub.Contact) map[string]any {
	p := map[string]any{"message": m}
	if c != nil {
		p["contact"] = c
	}
	return p
}

// insertMessage takes the conversation's next seq and inserts the message.
// The caller holds the conversation row lock; when the insert hits the
// dedup key after all (a concurrent duplicate), the seq is given back so the
// sequence stays gap-free.
func (s *Store) insertMessage(ctx context.Context, tx *store.Tx, m *hub.Message) (bool, error) {
	if err := tx.Get(ctx, &m.Seq, qNextSeq, m.CreatedAt, m.CreatedAt, m.ConversationID); err != nil {
		return false, fmt.Errorf("next seq: %w", err)
	}
	var ids []string
	err := tx.Select(ctx, &ids, qInsertMessage, m.ID, m.TenantID, m.ConversationID, m.ChannelID, m.Seq, m.Direction,
		m.SenderType, m.SenderID, m.Type, m.Text, m.AttachmentsRaw, m.ExternalID, m.ClientID, m.Status, m.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("insert message: %w", err)
	}
	if len(ids) == 1 {
		return true, nil
	}
	const back = `UPDATE conversations SET last_seq = last_seq - 1 WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(back), m.ConversationID); err != nil {
		return false, fmt.Errorf("give back seq: %w", err)
	}
	return false, nil
}

func (s *Store) upsertContact(ctx context.Context, tx *store.Tx, ch *hub.Channel, in *hub.Inbound) (*hub.Contact, error) {
	var cs []hub.Contact
	const sel = qFindContact
	if err := tx.Select(ctx, &cs, sel, ch.ID, in.Contact.ExternalID); err != nil {
		return nil, fmt.Errorf("find contact: %w", err)
	}
	now := s.now()
	if len(cs) == 0 {
		c := hub.Contact{ID: hub.NewID("ct"), TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: in.Contact.ExternalID,
			Name: in.Contact.Name, Email: in.Contact.Email, Phone: in.Contact.Phone, CreatedAt: now, UpdatedAt: now}
		const ins = `INSERT INTO contacts (id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, external_id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, tx.Rebind(ins), c.ID, c.TenantID, c.ChannelID, c.ExternalID, c.Name, c.Email,
			c.Phone, now, now); err != nil {
			return nil, fmt.Errorf("insert contact: %w", err)
		}
		if err := tx.SelectContext(ctx, &cs, tx.Rebind(sel), ch.ID, in.Contact.ExternalID); err != nil || len(cs) == 0 {
			return nil, fmt.Errorf("reread contact: %w", errors.Join(err, store.ErrUnavailable))
		}
		return &cs[0], nil
	}
	c := &cs[0]
	changed := false
	for _, f := range []struct {
		dst *string
		v   string
	}{{&c.Name, in.Contact.Name}, {&c.Email, in.Contact.Email}, {&c.Phone, in.Contact.Phone}} {
		if f.v != "" && *f.dst != f.v {
			*f.dst, changed = f.v, true
		}
	}
	if changed {
		const up = `UPDATE contacts SET name = ?, email = ?, phone = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(up), c.Name, c.Email, c.Phone, now, c.ID); err != nil {
			return nil, fmt.Errorf("update contact: %w", err)
		}
	}
	return c, nil
}

const convCols = `id, tenant_id, channel_id, contact_id, group_id, assignee_id, status, last_seq, close_reason,
	created_at, updated_at, queued_at, assigned_at, closed_at, last_message_at, category_id`

// activeConversation finds the contact's active conversation on the channel
// and locks it, or opens one (queued, for routing after commit). The partial
// unique index decides when two processes open one at once.
func (s *Store) activeConversation(ctx context.Context, tx *store.Tx, fx *effects, ch *hub.Channel, c *hub.Contact, group string) (*hub.Conversation, bool, error) {
	sel := qFindActive + s.db.ForUpdate()
	var convs []hub.Conversation
	if err := tx.Select(ctx, &convs, sel, ch.ID, c.ID); err != nil {
		return nil, false, fmt.Errorf("find conversation: %w", err)
	}
	if len(convs) == 1 {
		return &convs[0], false, nil
	}
	gid, err := identity.Resolve(ctx, tx, ch.TenantID, group)
	if err != nil {
		return nil, false, err
	}
	if gid == nil {
		gid = ch.DefaultGroupID
	}
	now := s.now()
	conv := hub.Conversation{ID: hub.NewID("cv"), TenantID: ch.TenantID, ChannelID: ch.ID, ContactID: c.ID, GroupID: gid,
		Status: hub.ConvQueued, CreatedAt: now, UpdatedAt: now, QueuedAt: &now}
	const ins = `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, group_id, status, last_seq, created_at,
		updated_at, queued_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
		ON CONFLICT (channel_id, contact_id) WHERE status <> 'closed' DO NOTHING RETURNING id`
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(ins), conv.ID, conv.TenantID, conv.ChannelID, conv.ContactID,
		conv.GroupID, conv.Status, now, now, now); err != nil {
		return nil, false, fmt.Errorf("open conversation: %w", err)
	}
	if len(ids) == 0 {
		if err := tx.Select(ctx, &convs, sel, ch.ID, c.ID); err != nil || len(convs) == 0 {
			return nil, false, fmt.Errorf("reread conversation: %w", errors.Join(err, store.ErrUnavailable))
		}
		return &convs[0], false, nil
	}
	conv.Contact = c
	fx.emit(ch, hub.EvConversationCreated, conv.ID, "", map[string]any{"conversation": conv})
	return &conv, true, nil
}
