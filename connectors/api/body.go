package api

import (
	"encoding/json"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
)

// Body is the JSON body an outbound push carries to a callback URL (a
// channel's or a webhook subscription's). Only this package encodes it.
//
//	message: {"type":"message.created","conversation_id":…,"data":{"message":…,"contact":…}}
//	reply:   {"type":"contact.reply","data":{"message":{type,text,attachments,sender_type},"contact":…}}
//	event:   {"type":…,"event_id":…,"conversation_id":…,"data":…,"created_at":…}
//
// A customer-facing callback never carries internal notes (the hub stores
// them without, and this checks again); a tenant's own subscription (Staff)
// does.
func Body(out *hub.Outbound) ([]byte, error) {
	var v any
	switch out.Kind {
	case hub.OutboundMessage:
		if out.Message == nil {
			return nil, fmt.Errorf("message delivery %s has no message", out.ID)
		}
		v = map[string]any{"type": hub.EvMessageCreated, "conversation_id": out.Message.ConversationID,
			"data": map[string]any{"message": out.Message, "contact": out.Contact}}
	case hub.OutboundReply:
		if out.Message == nil {
			return nil, fmt.Errorf("reply delivery %s has no message", out.ID)
		}
		m := map[string]any{"type": out.Message.Type, "text": out.Message.Text, "attachments": orEmpty(out.Message.Attachments),
			"sender_type": out.Message.SenderType}
		v = map[string]any{"type": "contact.reply", "data": map[string]any{"message": m, "contact": out.Contact}}
	case hub.OutboundEvent:
		e := out.Event
		if e == nil {
			return nil, fmt.Errorf("event delivery %s has no event", out.ID)
		}
		if !out.Staff {
			e = e.ForCustomer()
		}
		v = map[string]any{"type": e.Type, "event_id": e.ID, "conversation_id": e.ConversationID, "data": e.Payload,
			"created_at": e.CreatedAt}
	default:
		return nil, fmt.Errorf("delivery %s: unknown kind %q", out.ID, out.Kind)
	}
	return json.Marshal(v)
}

func orEmpty(a []hub.Attachment) []hub.Attachment {
	if a == nil {
		return []hub.Attachment{}
	}
	return a
}
