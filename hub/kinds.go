package hub

// Role is what an agent may do. Admins and supervisors see the whole tenant.
type Role string

// Roles.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
)

// AgentStatus is whether an agent takes conversations.
type AgentStatus string

// Agent statuses: online agents are routed to; busy ones keep their chats
// but get no new ones; offline ones are signed out.
const (
	StatusOnline  AgentStatus = "online"
	StatusBusy    AgentStatus = "busy"
	StatusOffline AgentStatus = "offline"
)

// ConvStatus is where a conversation stands. Everything but closed is
// active: at most one active conversation per contact per channel (a
// partial unique index holds it).
type ConvStatus string

// Conversation statuses.
const (
	ConvQueued  ConvStatus = "queued"  // waiting for an agent
	ConvOpen    ConvStatus = "open"    // assigned to an agent
	ConvOffline ConvStatus = "offline" // nobody was online: a ticket holds it
	ConvClosed  ConvStatus = "closed"
)

// Direction is which way a message went.
type Direction string

// Directions.
const (
	DirectionIn  Direction = "in"  // from the customer
	DirectionOut Direction = "out" // to the customer (an agent or an automatic reply)
	// DirectionInternal marks a message only agents see: an internal note.
	// It takes the conversation's next seq like any message, but it has no
	// delivery, no connector sends it, and nothing that pushes to customers
	// (callbacks, the web visitor socket) carries it.
	DirectionInternal Direction = "internal"
)

// SenderType is who wrote a message.
type SenderType string

// Sender types.
const (
	SenderContact SenderType = "contact"
	SenderAgent   SenderType = "agent"
	SenderSystem  SenderType = "system" // automatic messages (greeting, queue notices …)
	SenderRobot   SenderType = "robot"  // the robot's answers (hub/robot)
)

// MessageStatus is what became of a message.
type MessageStatus string

// Message statuses.
const (
	MessageReceived MessageStatus = "received" // a customer's message, stored
	MessagePending  MessageStatus = "pending"  // an outgoing message waiting for its delivery
	MessageSent     MessageStatus = "sent"     // the platform accepted it
	MessageFailed   MessageStatus = "failed"   // the platform refused it (Error says why)
	MessageStored   MessageStatus = "stored"   // an internal note
)

// ContactEvent is something a customer did that is not a message
// (Inbound.Event). It changes the contact, never opens a conversation.
type ContactEvent string

// Contact events a connector may publish.
const (
	ContactSubscribed   ContactEvent = "subscribe"   // followed the account (Text: the QR scene, if any)
	ContactUnsubscribed ContactEvent = "unsubscribe" // unfollowed: the platform refuses replies from now on
	ContactScanned      ContactEvent = "scan"        // a follower scanned a QR code (Text: the scene)
	ContactClicked      ContactEvent = "click"       // clicked a menu item (Text: its key)
	// ContactMuted and ContactUnmuted: the customer turned the account's
	// messages off or on again (QQ's C2C_MSG_REJECT / C2C_MSG_RECEIVE); they
	// concern messages the account starts, not replies, and are recorded.
	ContactMuted   ContactEvent = "mute"
	ContactUnmuted ContactEvent = "unmute"
	// ContactEntered: the customer opened a chat with the account (WeCom
	// 微信客服's enter_session; Text: the link's scene, if any).
	ContactEntered ContactEvent = "enter"
)
