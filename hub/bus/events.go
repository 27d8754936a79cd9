package bus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kefu-hub/kefu/hub"
)

// wireEvent is an event as the broadcast carries it (with its audience).
type wireEvent struct {
	TenantID       string        `json:"tenant_id"`
	ID             int64         `json:"id"`
	Type           hub.EventType `json:"type"`
	ConversationID string        `json:"conversation_id,omitempty"`
	AgentID        string        `json:"agent_id,omitempty"`
	Data           hub.RawJSON   `json:"data"`
	CreatedAt      time.Time     `json:"created_at"`
}

// Events broadcasts committed (or ephemeral) events to every hub process,
// with the queue.changed events they imply. It is the store kernel's
// publisher: best effort, since sockets fill gaps from the database.
func (b *Bus) Events(evs []hub.Event) {
	evs = append(evs, hub.QueueChanges(evs)...)
	wire := make([]wireEvent, len(evs))
	for i, e := range evs {
		wire[i] = wireEvent{e.TenantID, e.ID, e.Type, e.ConversationID, e.AgentID, e.Payload, e.CreatedAt}
	}
	payload, _ := json.Marshal(wire)
	if err := b.Broadcast.Publish(b.Topics.Events, message.NewMessage(hub.NewID("ev"), payload)); err != nil {
		b.log.Warn("broadcast events; sockets will fill the gap from the database", "err", err)
	}
}

// Deliveries nudges the outbound handler; the sweeper sends them anyway.
func (b *Bus) Deliveries(ids []string) {
	for _, id := range ids {
		if err := b.Publish(b.Topics.Outbound, id, []byte(id)); err != nil {
			b.log.Warn("publish delivery; the sweeper will send it", "delivery", id, "err", err)
		}
	}
}

// DecodeEvents reads a broadcast message.
func DecodeEvents(payload []byte) ([]hub.Event, error) {
	var wire []wireEvent
	if err := json.Unmarshal(payload, &wire); err != nil {
		return nil, fmt.Errorf("bad event broadcast: %w", err)
	}
	evs := make([]hub.Event, len(wire))
	for i, w := range wire {
		evs[i] = hub.Event{TenantID: w.TenantID, ID: w.ID, Type: w.Type, ConversationID: w.ConversationID,
			AgentID: w.AgentID, Payload: w.Data, CreatedAt: w.CreatedAt}
	}
	return evs, nil
}

// PublishInbound durably publishes a normalized inbound message on its
// customer's partition; it returns only once JetStream has stored it, so a
// connector may then acknowledge the platform. While the inbox is too far
// behind it refuses at once with a *BackpressureError (retry later).
func (b *Bus) PublishInbound(in hub.Inbound) error {
	if err := b.refuseInbound(); err != nil {
		return err
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode inbound: %w", err)
	}
	return b.Publish(b.Topics.InboundTopic(PartitionKey(&in)), in.BusID(), payload)
}

// PartitionKey is the key that decides an inbound message's partition: its
// channel and customer, so one customer's messages are stored in order.
func PartitionKey(in *hub.Inbound) string { return in.ChannelID + "\x00" + in.Contact.ExternalID }
