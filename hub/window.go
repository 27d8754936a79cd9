package hub

import "time"

// ReplyPolicy is a platform's rule for how long, and how often, agents may
// write to a customer after the customer last wrote. WeChat's customer-service
// messages: 5 within 48 hours of a user message; 3 within a minute of a menu
// click. Each new customer message opens a fresh window.
type ReplyPolicy struct {
	Within time.Duration // after a customer message
	Max    int           // replies allowed in that time
	// EventWithin and EventMax apply when the customer's last message was an
	// event (a menu click that opened the conversation).
	EventWithin time.Duration
	EventMax    int
}

// Reasons a reply window is closed.
const (
	WindowExpired      = "expired"      // too long since the customer last wrote
	WindowQuota        = "quota"        // the replies allowed are used up
	WindowUnsubscribed = "unsubscribed" // the customer unfollowed the account
)

// ReplyWindow is what the platform still lets agents send in a conversation,
// so a UI can show it before the agent writes.
type ReplyWindow struct {
	Open      bool       `json:"open"`
	Reason    string     `json:"reason,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Remaining int        `json:"remaining"`
	Max       int        `json:"max"`
	// Message says it in words an agent can act on.
	Message string `json:"message,omitempty"`
}

// WindowClosedError is a reply refused because the platform would refuse it.
type WindowClosedError struct{ Window *ReplyWindow }

func (e *WindowClosedError) Error() string { return e.Window.Message }
