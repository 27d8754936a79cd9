package hub

// OutboundKind is what an outbound push carries.
type OutboundKind string

// Outbound kinds.
const (
	// OutboundMessage is an agent's or an automatic message in a conversation.
	OutboundMessage OutboundKind = "message"
	// OutboundReply is an automatic answer to a contact outside any
	// conversation (a welcome message, a menu's keyword reply).
	OutboundReply OutboundKind = "reply"
	// OutboundEvent is a conversation event for a channel that takes events
	// (the API channel's callback) or a tenant's webhook subscription.
	OutboundEvent OutboundKind = "event"
)

// Outbound is one push through a channel's connector, as the connector
// receives it: typed values, encoded for the wire by the connector alone.
type Outbound struct {
	// ID is the delivery's id, stable across retries (the API channel sends
	// it as webhook-id).
	ID       string
	TenantID string
	Kind     OutboundKind
	// Message and Contact are set for messages and replies: what to send and
	// to whom (the contact's ExternalID is the platform's user id). A
	// reply's Message carries only Type, Text, Attachments and SenderType.
	Message *Message
	Contact *Contact
	// ReplyTo is the customer message a reply answers, for platforms that
	// take replies only as answers (QQ's msg_id); nil when there is none.
	ReplyTo *ReplyTo
	// Event is set for events.
	Event *Event
	// Staff marks a push to the tenant's own systems (a webhook
	// subscription), which may see internal notes; a customer-facing channel
	// never does.
	Staff bool
}

// ReplyTo is the customer message a reply answers: its platform id, and
// the reply's number among those answering it (1 for the first, failed ones
// included), fixed when the reply is stored so every retry of the delivery
// carries the same number.
type ReplyTo struct {
	ExternalID string `json:"external_id"`
	N          int    `json:"n"`
}

// SendResult is what a connector reports for one attempt.
type SendResult struct {
	StatusCode int
	Err        error
	// Permanent marks failures a retry cannot fix (WeChat's 45015 outside
	// the reply window, a channel without a connector …). The API channel
	// retries every non-2xx answer, as Standard Webhooks senders do.
	Permanent bool
}
