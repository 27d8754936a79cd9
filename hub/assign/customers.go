package assign

import (
	"context"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
)

// Customers is what channels whose customers talk over the channel's own
// sockets (web, app) ask of the hub (connectors.Customers): their
// conversation and messages, typing, ratings, availability, and an agent
// starting a chat.
type Customers struct {
	s *Router
	h *Handoffs
}

// Customers returns the customer-facing view.
func (h *Handoffs) Customers() Customers { return Customers{h.r, h} }

// GroupExists reports whether a tenant has a group by that id.
func (c Customers) GroupExists(ctx context.Context, tenantID, id string) bool {
	_, err := c.s.ids.Groups.Get(ctx, tenantID, id)
	return err == nil
}

// AgentName is an agent's display name.
func (c Customers) AgentName(ctx context.Context, tenantID, id string) (string, error) {
	a, err := c.s.ids.Agents.Get(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	return a.Name, nil
}

// Available reports whether someone can answer the channel's customers now:
// an online agent of its default group within business hours (or of the
// groups it overflows to), in the tenant's time zone.
func (c Customers) Available(ctx context.Context, ch *hub.Channel) (bool, error) {
	return c.s.ids.Groups.Available(ctx, ch, c.s.ids.Tenants.Timezone(ctx, ch.TenantID))
}

// Conversation is the contact's active (else latest) conversation, its
// LastSeq that of the last message the customer can see.
func (c Customers) Conversation(ctx context.Context, channelID, ext string) (*hub.Conversation, error) {
	return c.s.convs.CustomerConversation(ctx, channelID, ext)
}

// Conversations are the contact's conversations, newest first.
func (c Customers) Conversations(ctx context.Context, channelID, ext string, limit int) ([]hub.Conversation, error) {
	return conversations.CustomerConversations(ctx, c.s.k, channelID, ext, limit)
}

// MessagesBefore are what the customer sees of a conversation before seq.
func (c Customers) MessagesBefore(ctx context.Context, convID string, before int64, limit int) ([]hub.Message, error) {
	return conversations.CustomerMessagesBefore(ctx, c.s.k, convID, before, limit)
}

// Active maps contacts with an active conversation on the channel to it.
func (c Customers) Active(ctx context.Context, channelID string, exts []string) (map[string]hub.Conversation, error) {
	return c.s.convs.Active(ctx, channelID, exts)
}

// ActiveCount is how many conversations of the channel are active.
func (c Customers) ActiveCount(ctx context.Context, channelID string) (int, error) {
	return conversations.CountActive(ctx, c.s.k, channelID)
}

// Messages are what the customer sees of a conversation.
func (c Customers) Messages(ctx context.Context, convID string, after int64, limit int) ([]hub.Message, error) {
	return c.s.convs.CustomerMessages(ctx, convID, after, limit)
}

// Rate stores the customer's rating, once.
func (c Customers) Rate(ctx context.Context, ch *hub.Channel, ext, convID string, score int, comment string, reasons []string) error {
	return c.s.convs.Rate(ctx, ch, ext, convID, score, comment, reasons)
}

// Typing tells the agent the customer is typing.
func (c Customers) Typing(ctx context.Context, ch *hub.Channel, ext string, typing bool, preview string) error {
	return c.s.convs.Typing(ctx, ch, ext, typing, preview)
}

// Start opens a conversation from the agent's side (proactive chat).
func (c Customers) Start(ctx context.Context, a *hub.Agent, ch *hub.Channel, contact hub.ContactInfo, text string) (*hub.Conversation, error) {
	return c.h.Start(ctx, a, ch, contact, text)
}
