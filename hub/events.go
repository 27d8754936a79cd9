package hub

import (
	"encoding/json"
	"time"
)

// EventType names an event.
type EventType string

// Event types. Stored events have gap-free ids per tenant and are replayed
// to a reconnecting client; ephemeral ones (id 0) are pushed once.
const (
	EvConversationCreated     EventType = "conversation.created"
	EvConversationQueued      EventType = "conversation.queued"
	EvConversationAssigned    EventType = "conversation.assigned"
	EvConversationTransferred EventType = "conversation.transferred"
	EvConversationClosed      EventType = "conversation.closed"
	EvConversationOffline     EventType = "conversation.offline"
	EvMessageCreated          EventType = "message.created"
	EvMessageUpdated          EventType = "message.updated"
	EvAgentStatus             EventType = "agent.status"
	EvTicketCreated           EventType = "ticket.created"
	EvContactUpdated          EventType = "contact.updated"
	// EvRatingRequested asks the customer to rate the conversation (the web
	// visitor socket shows the rating form on it).
	EvRatingRequested EventType = "conversation.rating_requested"
	// EvConversationRated tells the agent a customer rated the conversation.
	EvConversationRated EventType = "conversation.rated"
	// EvQueuePosition tells a waiting customer (through the channel's
	// connector) and the workbench their place in the queue.
	EvQueuePosition EventType = "conversation.queue_position"
	// EvConversationUnanswered flags an assigned conversation the agent has
	// not answered in time, to the agent and supervisors.
	EvConversationUnanswered EventType = "conversation.unanswered"
	// EvAgentLocked tells a tenant's admins and supervisors that an agent's
	// sign-ins (wrong passwords) or TOTP codes were locked after too many
	// failures.
	EvAgentLocked EventType = "agent.locked"
	// EvSensitiveWord tells a tenant's admins and supervisors that an agent
	// sent a message with words of the tenant's sensitive-word list (质检
	// 敏感词); the message was sent all the same.
	EvSensitiveWord EventType = "qa.sensitive_word"
	// EvTicketSLA is a ticket's first-response or resolution clock nearing
	// or passing its due time (the tickets package's sweeper raises it, once
	// per member of its audience); webhook subscriptions get it once.
	EvTicketSLA EventType = "ticket.sla"
	// EvFollowUpDue reminds an agent that a customer's next follow-up
	// (跟进记录) is due.
	EvFollowUpDue EventType = "contact.followup_due"

	// Ephemeral events.

	// EvTyping: the customer or an agent is typing (with the web visitor's
	// preview, 消息预知).
	EvTyping EventType = "typing"
	// EvAgentRead: the assigned agent has read the customer's messages up to
	// a seq (announced, never stored; the app shows 已读).
	EvAgentRead EventType = "conversation.agent_read"
	// EvVisitorUpdated is what agents' visitor lists follow: a web visitor
	// arrived, moved to another page, was invited or left.
	EvVisitorUpdated EventType = "visitor.updated"
	// EvVisitorInvite asks a visitor's sockets (any process) to show an invite.
	EvVisitorInvite EventType = "visitor.invite"
	// EvQueueChanged tells every agent of a tenant that its queue changed (a
	// conversation joined or left it), so those who may pick up refresh the
	// queue; it carries no customer data.
	EvQueueChanged EventType = "queue.changed"
)

// Event is one realtime event. ID is gap-free per tenant so clients resume
// from the last one they saw. AgentID is the audience: an agent sees events
// addressed to them; admins and supervisors see all of their tenant.
type Event struct {
	TenantID       string    `db:"tenant_id" json:"-"`
	ID             int64     `db:"id" json:"id"`
	Type           EventType `db:"type" json:"type"`
	ConversationID string    `db:"conversation_id" json:"conversation_id,omitempty"`
	AgentID        string    `db:"agent_id" json:"-"`
	Payload        RawJSON   `db:"payload" json:"data"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
	// ChannelID is the channel the event is about, when there is one (not
	// stored: the outbound hook reads it to find the callbacks to send).
	ChannelID string `db:"-" json:"-"`
}

// VisibleTo reports whether an agent may see the event.
func (e *Event) VisibleTo(a *Agent) bool {
	switch e.Type {
	case EvVisitorUpdated, EvQueueChanged, EvTicketCreated:
		// Every agent may invite a visitor, pick up from the queue, take an
		// unassigned ticket; these carry no customer text.
		return e.TenantID == a.TenantID
	}
	return e.TenantID == a.TenantID && (a.SeesAll() || (e.AgentID != "" && e.AgentID == a.ID))
}

// QueueChanges derives the ephemeral queue.changed events of a batch of
// committed events: one per tenant whose queue a conversation joined or left.
func QueueChanges(evs []Event) []Event {
	var out []Event
	seen := map[string]bool{}
	for _, e := range evs {
		switch e.Type {
		case EvConversationQueued, EvConversationAssigned, EvConversationOffline, EvConversationClosed,
			EvConversationTransferred:
			if !seen[e.TenantID] {
				seen[e.TenantID] = true
				out = append(out, Event{TenantID: e.TenantID, Type: EvQueueChanged, Payload: RawJSON(`{}`)})
			}
		}
	}
	return out
}

// ForCustomer is the event as it may leave for a customer's side: internal
// notes dropped from the history it carries (conversation.assigned has the
// recent messages). Agents see notes; customers never do.
func (e Event) ForCustomer() *Event {
	var p map[string]json.RawMessage
	if json.Unmarshal(e.Payload, &p) != nil || p["messages"] == nil {
		return &e
	}
	var msgs []map[string]any
	if json.Unmarshal(p["messages"], &msgs) != nil {
		return &e
	}
	kept := msgs[:0]
	for _, m := range msgs {
		if m["direction"] != string(DirectionInternal) {
			kept = append(kept, m)
		}
	}
	p["messages"], _ = json.Marshal(kept)
	e.Payload, _ = json.Marshal(p)
	return &e
}
