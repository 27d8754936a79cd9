package core

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/kefu-hub/kefu/hub"
)

// decorate fills in what a list of conversations shows: each one's
// contact, channel type and last message (of the customer or an agent),
// in two queries for the page.
func (s *Store) decorate(ctx context.Context, cs []hub.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(cs))
	var convIDs []string
	for i := range cs {
		ids = append(ids, cs[i].ContactID)
		if ch, err := s.ch.Get(ctx, cs[i].ChannelID); err == nil {
			cs[i].ChannelType = ch.Type
		}
		if cs[i].LastSeq > 0 {
			convIDs = append(convIDs, cs[i].ID)
		}
	}
	q, qargs, err := sqlx.In(`SELECT id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at,
		unsubscribed_at, source FROM contacts WHERE id IN (?)`, ids)
	if err != nil {
		return err
	}
	var contacts []hub.Contact
	if err := s.db.R.SelectContext(ctx, &contacts, s.db.R.Rebind(q), qargs...); err != nil {
		return fmt.Errorf("list contacts: %w", err)
	}
	byID := make(map[string]*hub.Contact, len(contacts))
	for i := range contacts {
		byID[contacts[i].ID] = &contacts[i]
	}
	var last []hub.MessagePreview
	if len(convIDs) > 0 {
		// What the customer or an agent last wrote: automatic notices and
		// internal notes are not what a list should show.
		q, args, err := sqlx.In(`SELECT m.conversation_id, m.seq, m.direction, m.type, m.text FROM messages m
			WHERE m.conversation_id IN (?) AND m.seq = (SELECT MAX(x.seq) FROM messages x
			WHERE x.conversation_id = m.conversation_id AND x.sender_type <> 'system' AND x.direction <> 'internal')`, convIDs)
		if err != nil {
			return err
		}
		if err := s.db.R.SelectContext(ctx, &last, s.db.R.Rebind(q), args...); err != nil {
			return fmt.Errorf("last messages: %w", err)
		}
	}
	byConv := make(map[string]*hub.MessagePreview, len(last))
	for i := range last {
		last[i].Text = hub.Truncate(last[i].Text, 120)
		byConv[last[i].ConversationID] = &last[i]
	}
	for i := range cs {
		cs[i].Contact, cs[i].LastMessage = byID[cs[i].ContactID], byConv[cs[i].ID]
	}
	return nil
}
