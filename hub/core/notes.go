package core

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// AddNote stores an internal note (内部备注) on a conversation the agent may
// see, open or closed, and tells the agents working it.
func (s *Store) AddNote(ctx context.Context, a *hub.Agent, convID, text string) (*hub.Message, error) {
	text = hub.Clean(text)
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > 5000 {
		return nil, hub.Invalid("text is required, at most 5000 characters")
	}
	var m *hub.Message
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		c, err := s.lockConversation(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		m = &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID,
			Direction: hub.DirectionInternal, SenderType: "agent", SenderID: a.ID, Type: "note", Text: text,
			AttachmentsRaw: "[]", Attachments: []hub.Attachment{}, Status: "stored", CreatedAt: s.now()}
		if ok, err := s.insertMessage(ctx, tx, m); err != nil || !ok {
			return fmt.Errorf("store note: %w", errorsOr(err, hub.ErrConflict))
		}
		fx.emit(&hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}, hub.EvMessageCreated, c.ID, deref(c.AssigneeID), messagePayload(m, nil))
		return nil
	})
	return m, err
}

// RequestRating asks the customer to rate a conversation the agent may see:
// the request is recorded as an event of the tenant's stream, which the web
// visitor socket turns into the rating form and API channels receive as a
// callback event.
func (s *Store) RequestRating(ctx context.Context, a *hub.Agent, convID string) error {
	return s.write(ctx, func(tx *store.Tx, fx *effects) error {
		c, err := s.lockConversation(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		fx.emit(&hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}, hub.EvRatingRequested, c.ID, deref(c.AssigneeID),
			map[string]any{"conversation_id": c.ID, "requested_by": a.ID})
		return nil
	})
}
