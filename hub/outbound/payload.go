package outbound

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// payload is how a delivery's typed content is stored: a snapshot taken
// when it was queued, so every retry sends the same thing.
type payload struct {
	Message *hub.Message `json:"message,omitempty"`
	Contact *hub.Contact `json:"contact,omitempty"`
	Event   *hub.Event   `json:"event,omitempty"`
	ReplyTo *hub.ReplyTo `json:"reply_to,omitempty"`
}

func encode(out *hub.Outbound) []byte {
	b, err := json.Marshal(payload{Message: out.Message, Contact: out.Contact, Event: out.Event, ReplyTo: out.ReplyTo})
	if err != nil {
		panic(fmt.Sprintf("encode delivery: %v", err)) // our own structs always marshal
	}
	return b
}

// decode turns a stored delivery back into what its connector sends.
// Deliveries queued before payloads were typed hold the API channel's wire
// body ({"type", "data": …}); they are read as well.
func decode(d *Delivery) (*hub.Outbound, error) {
	out := &hub.Outbound{ID: d.ID, TenantID: d.TenantID, Kind: d.Kind, Staff: d.SubscriptionID != ""}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(d.Payload, &probe); err != nil {
		return nil, fmt.Errorf("delivery payload: %w", err)
	}
	if _, legacy := probe["data"]; legacy {
		return decodeWire(d, out, probe)
	}
	var p payload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return nil, fmt.Errorf("delivery payload: %w", err)
	}
	out.Message, out.Contact, out.Event, out.ReplyTo = p.Message, p.Contact, p.Event, p.ReplyTo
	if out.Event != nil {
		out.Event.TenantID = d.TenantID
	}
	return out, nil
}

// decodeWire reads a delivery stored as the API channel's wire body.
func decodeWire(d *Delivery, out *hub.Outbound, probe map[string]json.RawMessage) (*hub.Outbound, error) {
	if d.Kind == hub.OutboundEvent {
		var w struct {
			Type           hub.EventType `json:"type"`
			EventID        int64         `json:"event_id"`
			ConversationID string        `json:"conversation_id"`
			Data           hub.RawJSON   `json:"data"`
			CreatedAt      time.Time     `json:"created_at"`
		}
		if err := json.Unmarshal(d.Payload, &w); err != nil {
			return nil, fmt.Errorf("delivery payload: %w", err)
		}
		out.Event = &hub.Event{TenantID: d.TenantID, ID: w.EventID, Type: w.Type, ConversationID: w.ConversationID,
			Payload: w.Data, CreatedAt: w.CreatedAt}
		return out, nil
	}
	var data struct {
		Message *hub.Message `json:"message"`
		Contact *hub.Contact `json:"contact"`
	}
	if err := json.Unmarshal(probe["data"], &data); err != nil {
		return nil, fmt.Errorf("delivery payload: %w", err)
	}
	out.Message, out.Contact = data.Message, data.Contact
	return out, nil
}

// Decode is what the delivery carries, as its connector receives it.
func (d *Delivery) Decode() (*hub.Outbound, error) { return decode(d) }
