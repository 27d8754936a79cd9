package core

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Customers is what customer-facing channels (web, app) ask of the hub.
type Customers struct{ s *Store }

// Customers returns the customer-facing view of the store.
func (s *Store) Customers() Customers { return Customers{s} }

// GroupExists reports whether a tenant has a group by that id.
func (c Customers) GroupExists(ctx context.Context, tenantID, id string) bool {
	_, err := c.s.id.Groups.Get(ctx, tenantID, id)
	return err == nil
}

// AgentName is an agent's display name.
func (c Customers) AgentName(ctx context.Context, tenantID, id string) (string, error) {
	a, err := c.s.id.Agents.Get(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	return a.Name, nil
}

// Available reports whether someone can answer the channel's customers.
func (c Customers) Available(ctx context.Context, ch *hub.Channel) (bool, error) {
	return c.s.ChannelAvailable(ctx, ch)
}

// Conversation is the contact's active (else latest) conversation.
func (c Customers) Conversation(ctx context.Context, channelID, ext string) (*hub.Conversation, error) {
	return c.s.ContactConversation(ctx, channelID, ext)
}

// Messages are what the customer sees of a conversation.
func (c Customers) Messages(ctx context.Context, convID string, after int64, limit int) ([]hub.Message, error) {
	return c.s.CustomerMessages(ctx, convID, after, limit)
}

// Rate stores the customer's rating, once.
func (c Customers) Rate(ctx context.Context, ch *hub.Channel, ext, convID string, score int, comment string) error {
	return c.s.RateConversation(ctx, ch, ext, convID, score, comment)
}

// Typing tells the agent the customer is typing.
func (c Customers) Typing(ctx context.Context, ch *hub.Channel, ext string, typing bool, preview string) error {
	return c.s.ContactTyping(ctx, ch, ext, typing, preview)
}

// Active maps contacts with an active conversation on the channel to it.
func (c Customers) Active(ctx context.Context, channelID string, exts []string) (map[string]hub.Conversation, error) {
	out := map[string]hub.Conversation{}
	if len(exts) == 0 {
		return out, nil
	}
	var rows []struct {
		Ext    string         `db:"external_id"`
		ID     string         `db:"id"`
		Status hub.ConvStatus `db:"status"`
	}
	q := `SELECT ct.external_id, cv.id, cv.status FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id
		WHERE cv.channel_id = ? AND cv.status <> 'closed' AND ct.channel_id = ? AND ct.external_id IN (?)`
	if err := c.s.db.SelectIn(ctx, &rows, q, channelID, channelID, exts); err != nil {
		return nil, fmt.Errorf("active conversations: %w", err)
	}
	for _, r := range rows {
		out[r.Ext] = hub.Conversation{ID: r.ID, Status: r.Status}
	}
	return out, nil
}

// Start opens a conversation with a customer from an agent's side
// (proactive chat): assigned to the agent, with the agent's first message,
// which the customer's widget shows at once.
func (c Customers) Start(ctx context.Context, a *hub.Agent, ch *hub.Channel, contact hub.ContactInfo, text string) (*hub.Conversation, error) {
	s := c.s
	var conv *hub.Conversation
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		ct, err := s.upsertContact(ctx, tx, ch, &hub.Inbound{Contact: contact})
		if err != nil {
			return err
		}
		cv, isNew, err := s.activeConversation(ctx, tx, fx, ch, ct, "")
		if err != nil {
			return err
		}
		switch {
		case !isNew && cv.Status == hub.ConvOpen && deref(cv.AssigneeID) != a.ID:
			return fmt.Errorf("%w: the visitor is chatting with another agent", hub.ErrConflict)
		case isNew || cv.Status != hub.ConvOpen:
			if err := s.transferToAgent(ctx, tx, cv, a.ID); err != nil {
				return err
			}
			if err := s.emitAssigned(ctx, tx, fx, cv, map[string]any{"proactive": true}); err != nil {
				return err
			}
		}
		conv = cv
		_, err = s.outgoing(ctx, tx, fx, cv, hub.SenderAgent, a.ID, Reply{Content: text, Type: "text"})
		return err
	})
	return conv, err
}
