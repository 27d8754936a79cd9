package core

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// ContactConversation is a contact's active conversation on a channel, else
// the most recent one (nil when the contact never wrote).
func (s *Store) ContactConversation(ctx context.Context, channelID, contactExternalID string) (*hub.Conversation, error) {
	var cs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ?
		AND contact_id = (SELECT id FROM contacts WHERE channel_id = ? AND external_id = ?)
		ORDER BY CASE WHEN status <> 'closed' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`
	if err := s.db.R.SelectContext(ctx, &cs, s.db.R.Rebind(q), channelID, channelID, hub.Clean(contactExternalID)); err != nil {
		return nil, fmt.Errorf("contact conversation: %w", err)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	return &cs[0], nil
}

// CustomerMessages are the messages of a conversation the customer sees
// (never internal notes), after seq, oldest first.
func (s *Store) CustomerMessages(ctx context.Context, convID string, after int64, limit int) ([]hub.Message, error) {
	var ms []hub.Message
	q := `SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND seq > ? AND direction IN ('in', 'out')
		ORDER BY seq LIMIT ?`
	if err := s.db.R.SelectContext(ctx, &ms, s.db.R.Rebind(q), convID, after, limit); err != nil {
		return nil, fmt.Errorf("customer messages: %w", err)
	}
	for i := range ms {
		ms[i].DecodeAttachments()
	}
	return ms, nil
}

// ChannelAvailable reports whether someone can answer a channel's customers
// now (identity.Groups.Available, in the tenant's time zone).
func (s *Store) ChannelAvailable(ctx context.Context, ch *hub.Channel) (bool, error) {
	return s.id.Groups.Available(ctx, ch, s.id.Tenants.Timezone(ctx, ch.TenantID))
}

// RateConversation stores a customer's rating (1–5 and a comment) of their
// own conversation on a channel, once; the agent is told.
func (s *Store) RateConversation(ctx context.Context, ch *hub.Channel, contactExternalID, convID string, score int, comment string) error {
	if score < 1 || score > 5 {
		return hub.Invalid("score must be 1 to 5")
	}
	comment = hub.Bounded(comment, 1000)
	return s.write(ctx, func(tx *store.Tx, fx *effects) error {
		var cs []hub.Conversation
		q := `SELECT ` + convCols + ` FROM conversations WHERE id = ? AND channel_id = ?
			AND contact_id = (SELECT id FROM contacts WHERE channel_id = ? AND external_id = ?)`
		if err := tx.SelectContext(ctx, &cs, tx.Rebind(q), convID, ch.ID, ch.ID, contactExternalID); err != nil {
			return fmt.Errorf("rated conversation: %w", err)
		}
		if len(cs) == 0 {
			return fmt.Errorf("conversation %s: %w", convID, hub.ErrNotFound)
		}
		const ins = `INSERT INTO ratings (conversation_id, tenant_id, score, comment, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (conversation_id) DO NOTHING`
		res, err := tx.ExecContext(ctx, tx.Rebind(ins), convID, ch.TenantID, score, comment, s.now())
		if err != nil {
			return fmt.Errorf("store rating: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: the conversation is already rated", hub.ErrConflict)
		}
		c := cs[0]
		fx.emit(ch, hub.EvConversationRated, c.ID, deref(c.AssigneeID), map[string]any{"conversation_id": c.ID,
			"score": score, "comment": comment})
		return nil
	})
}

// ConversationRating returns a conversation's rating (nil when unrated).
func (s *Store) ConversationRating(ctx context.Context, convID string) (*hub.Rating, error) {
	var rs []hub.Rating
	q := s.db.R.Rebind(`SELECT score, comment, created_at FROM ratings WHERE conversation_id = ?`)
	if err := s.db.R.SelectContext(ctx, &rs, q, convID); err != nil {
		return nil, fmt.Errorf("rating: %w", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], nil
}
