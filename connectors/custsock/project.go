package custsock

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/richtext"
)

// Projector turns hub messages and events into the customer protocol's
// frames (connectors/web/doc.go): what a customer may see, with the
// channel's own file links and its own way of keeping client ids.
type Projector struct {
	// Names gives agents' display names; Avatars their avatars' URLs
	// (nil: none).
	Names, Avatars *Names
	// FileURL is where the customer's client loads a file of the channel.
	FileURL func(ch *hub.Channel, fileID string) string
	// Rating reports whether the channel offers the rating form on close.
	Rating func(ch *hub.Channel) bool
	// ClientID is the client id a customer message's external id carries.
	ClientID func(externalID string) (string, bool)
}

// Message is a message as the customer's client shows it: no internal ids
// beyond the message's own, files at the channel's customer URLs.
func (p Projector) Message(ch *hub.Channel, m *hub.Message) map[string]any {
	name := ""
	if m.SenderType == hub.SenderAgent {
		name = p.Names.Get(ch.TenantID, m.SenderID)
	}
	atts := make([]map[string]any, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		u := a.URL
		if id, ok := strings.CutPrefix(u, files.FileURL("")); ok {
			u = p.FileURL(ch, id)
		}
		atts = append(atts, map[string]any{"url": u, "name": a.Name, "type": a.Type, "size": a.Size})
	}
	out := map[string]any{"id": m.ID, "conversation_id": m.ConversationID, "seq": m.Seq, "direction": m.Direction,
		"sender_type": m.SenderType, "sender_name": name, "type": m.Type, "text": m.Text, "attachments": atts,
		"created_at": m.CreatedAt}
	if m.Rich != "" {
		out["rich"] = p.rich(ch, richtext.Nodes(m.Rich))
	}
	if m.SenderType == hub.SenderAgent && p.Avatars != nil {
		out["sender_avatar"] = p.Avatars.Get(ch.TenantID, m.SenderID)
	}
	if m.ClientID != nil {
		out["client_id"] = *m.ClientID
	}
	if m.ExternalID != nil {
		if cid, ok := p.ClientID(*m.ExternalID); ok {
			out["client_id"] = cid
		}
	}
	return out
}

// rich gives a rich answer's images from the hub's files the channel's
// customer URLs (as attachments get theirs).
func (p Projector) rich(ch *hub.Channel, ns []richtext.Node) []richtext.Node {
	for i := range ns {
		if id, ok := strings.CutPrefix(ns[i].Src, files.FileURL("")); ok && ns[i].T == "img" {
			ns[i].Src = p.FileURL(ch, id)
		}
		ns[i].C = p.rich(ch, ns[i].C)
	}
	return ns
}

// EventPayload is the part of an event's payload the projection reads.
type EventPayload struct {
	Message      *hub.Message `json:"message"`
	Conversation *struct {
		ID         string  `json:"id"`
		Status     string  `json:"status"`
		AssigneeID *string `json:"assignee_id"`
	} `json:"conversation"`
	By       string `json:"by"`
	Typing   bool   `json:"typing"`
	Position int    `json:"position"`
}

// Event turns a hub event into what the customer may see (nil: nothing).
func (p Projector) Event(ch *hub.Channel, e *hub.Event) map[string]any {
	var pl EventPayload
	if json.Unmarshal(e.Payload, &pl) != nil {
		return nil
	}
	return p.EventOf(ch, e, &pl)
}

// EventOf is Event with the payload already decoded.
func (p Projector) EventOf(ch *hub.Channel, e *hub.Event, pl *EventPayload) map[string]any {
	switch e.Type {
	case hub.EvMessageCreated:
		if pl.Message == nil || (pl.Message.Direction != hub.DirectionIn && pl.Message.Direction != hub.DirectionOut) {
			return nil // internal notes never reach the customer
		}
		return map[string]any{"type": "message", "message": p.Message(ch, pl.Message)}
	case hub.EvTyping:
		if pl.By != "agent" {
			return nil
		}
		return map[string]any{"type": "typing", "typing": pl.Typing}
	case hub.EvConversationQueued, hub.EvQueuePosition:
		if pl.Position <= 0 {
			return nil
		}
		return map[string]any{"type": "queue", "conversation_id": e.ConversationID, "position": pl.Position}
	case hub.EvConversationAssigned:
		// A transfer to an agent is also told as conversation.transferred,
		// with the same conversation: only the assignment names the agent,
		// so the customer sees "… 为您服务" once.
		if pl.Conversation == nil || pl.Conversation.AssigneeID == nil {
			return nil
		}
		f := map[string]any{"type": "agent", "conversation_id": e.ConversationID,
			"name": p.Names.Get(ch.TenantID, *pl.Conversation.AssigneeID)}
		if p.Avatars != nil {
			f["avatar"] = p.Avatars.Get(ch.TenantID, *pl.Conversation.AssigneeID)
		}
		return f
	case hub.EvConversationClosed:
		return map[string]any{"type": "closed", "conversation_id": e.ConversationID, "rate": p.Rating(ch)}
	case hub.EvConversationOffline:
		return map[string]any{"type": "offline", "conversation_id": e.ConversationID}
	case hub.EvConversationCreated:
		status := ""
		if pl.Conversation != nil {
			status = pl.Conversation.Status
		}
		return map[string]any{"type": "conversation", "conversation": map[string]any{"id": e.ConversationID, "status": status}}
	case hub.EvRatingRequested:
		return map[string]any{"type": "rate", "conversation_id": e.ConversationID}
	}
	return nil
}

// Names caches agents' display names for a few minutes (names rarely
// change, and every pushed agent message shows one).
type Names struct {
	lookup func(ctx context.Context, tenantID, id string) (string, error)
	m      sync.Map // agent id → cachedName
}

// AvatarOf is where an agent's avatar is (*avatars.Store): its URL, ""
// when the agent has none.
type AvatarOf interface {
	Of(ctx context.Context, agentID string) (string, error)
}

// NewAvatars caches the agents' avatar URLs of (nil when of is nil: none).
func NewAvatars(of AvatarOf) *Names {
	if of == nil {
		return nil
	}
	return NewNames(func(ctx context.Context, _, id string) (string, error) { return of.Of(ctx, id) })
}

// NewNames caches what lookup answers.
func NewNames(lookup func(ctx context.Context, tenantID, id string) (string, error)) *Names {
	return &Names{lookup: lookup}
}

const nameTTL = 5 * time.Minute

type cachedName struct {
	name string
	at   time.Time
}

// Get is an agent's display name ("" when it cannot be read).
func (n *Names) Get(tenantID, id string) string {
	if c, ok := n.m.Load(id); ok && time.Since(c.(cachedName).at) < nameTTL {
		return c.(cachedName).name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	name, err := n.lookup(ctx, tenantID, id)
	if err != nil {
		return ""
	}
	n.m.Store(id, cachedName{name, time.Now()})
	return name
}

// Created reads a conversation.created event: the conversation, its channel
// and its customer's external id, so a channel can map the conversation to
// the customer's sockets (ok false when the payload names no customer).
func Created(e *hub.Event) (convID, channelID, ext string, ok bool) {
	var p struct {
		Conversation struct {
			ID        string `json:"id"`
			ChannelID string `json:"channel_id"`
			Contact   *struct {
				ExternalID string `json:"external_id"`
			} `json:"contact"`
		} `json:"conversation"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Conversation.Contact == nil {
		return "", "", "", false
	}
	return p.Conversation.ID, p.Conversation.ChannelID, p.Conversation.Contact.ExternalID, true
}

// DecodeConfig reads a channel's type-specific config strictly (unknown
// fields are refused, as 400); empty or null leaves v as it is.
func DecodeConfig(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return hub.Invalid("config: %v", err)
	}
	return nil
}
