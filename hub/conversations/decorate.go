package conversations

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Decorate fills in what a list of conversations shows: each one's
// contact, channel type, last message (of the customer or an agent) and
// the customer's rating, in three queries for the page.
func (s *Store) Decorate(ctx context.Context, cs []hub.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(cs))
	var convIDs []string
	for i := range cs {
		ids = append(ids, cs[i].ContactID)
		if ch, err := s.channels.Get(ctx, cs[i].ChannelID); err == nil {
			cs[i].ChannelType = ch.Type
		}
		if cs[i].LastSeq > 0 {
			convIDs = append(convIDs, cs[i].ID)
		}
	}
	byID, err := s.contacts.ByIDs(ctx, ids)
	if err != nil {
		return err
	}
	var last []hub.MessagePreview
	if len(convIDs) > 0 {
		// What the customer or an agent last wrote: automatic notices and
		// internal notes are not what a list should show.
		q := `SELECT m.conversation_id, m.seq, m.direction, m.type, m.text FROM messages m
			WHERE m.conversation_id IN (?) AND m.seq = (SELECT MAX(x.seq) FROM messages x
			WHERE x.conversation_id = m.conversation_id AND x.sender_type <> 'system' AND x.direction <> 'internal')`
		if err := s.k.SelectIn(ctx, &last, q, convIDs); err != nil {
			return fmt.Errorf("last messages: %w", err)
		}
	}
	if err := withRatings(ctx, s.k, cs); err != nil {
		return err
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

// withRatings fills in the customers' ratings of conversations, in one
// query.
func withRatings(ctx context.Context, k *store.Store, cs []hub.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	var rated []struct {
		ConversationID string `db:"conversation_id"`
		hub.Rating
	}
	allIDs := make([]string, len(cs))
	for i := range cs {
		allIDs[i] = cs[i].ID
	}
	q := `SELECT conversation_id, score, comment, reasons, created_at FROM ratings WHERE conversation_id IN (?)`
	if err := k.SelectIn(ctx, &rated, q, allIDs); err != nil {
		return fmt.Errorf("ratings: %w", err)
	}
	ratings := make(map[string]*hub.Rating, len(rated))
	for i := range rated {
		ratings[rated[i].ConversationID] = &rated[i].Rating
	}
	for i := range cs {
		cs[i].Rating = ratings[cs[i].ID]
	}
	return nil
}
