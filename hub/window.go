package hub

import (
	"encoding/json"
	"time"
)

// ReplyPolicy is a platform's rule for how long, and how often, agents may
// write to a customer after the customer last wrote. WeChat's customer-service
// messages: 5 within 48 hours of a user message; 3 within a minute of a menu
// click. Each new customer message opens a fresh window.
//
// Weibo's: any number of replies within 48 hours of a message, a follow or
// a menu click, one reply to an @mention.
type ReplyPolicy struct {
	Within time.Duration // after a customer message
	Max    int           // replies allowed in that time; 0: no count (only the time)
	// EventWithin and EventMax apply when the customer's last message was an
	// event (a menu click that opened the conversation).
	EventWithin time.Duration
	EventMax    int
	// Types replace Within and Max when the customer's last message is of
	// that type (Weibo: "mention" allows one reply).
	Types map[string]ReplyRule
	// Opens are contact events that open a fresh Within window like a
	// message does, when they come after the customer's last message
	// (Weibo: following, a menu click, a scan).
	Opens []ContactEvent
	// ByContact, when set, gives some contacts a rule of their own (QQ
	// group members: 5 minutes instead of 60); ok false keeps Within/Max.
	ByContact func(contactExternalID string) (within time.Duration, max int, ok bool)
	// TicketWhenClosed opens a ticket when the window closes on a customer
	// message nobody answered: the platform takes no later message (QQ), so
	// the agent must follow up another way.
	TicketWhenClosed bool
	// Explain is the platform's rule in words, added to the reason a closed
	// window gives.
	Explain string
}

// ReplyRule is a window for one type of customer message.
type ReplyRule struct {
	Within time.Duration
	Max    int // 0: no count
}

// For is the rule for one contact: Within/Max, or ByContact's.
func (p ReplyPolicy) For(contactExternalID string) (within time.Duration, max int) {
	if p.ByContact != nil {
		if w, m, ok := p.ByContact(contactExternalID); ok {
			return w, m
		}
	}
	return p.Within, p.Max
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
	// Unlimited marks a window that counts no replies (only the time):
	// remaining and max are then left out of the JSON.
	Unlimited bool `json:"unlimited,omitempty"`
	// Message says it in words an agent can act on.
	Message string `json:"message,omitempty"`
}

// MarshalJSON leaves remaining and max out of an unlimited window, so no
// client reads "0 replies left" into it.
func (w ReplyWindow) MarshalJSON() ([]byte, error) {
	type plain ReplyWindow
	if !w.Unlimited {
		return json.Marshal(plain(w))
	}
	return json.Marshal(struct {
		plain
		Remaining *int `json:"remaining,omitempty"`
		Max       *int `json:"max,omitempty"`
	}{plain: plain(w)})
}

// WindowClosedError is a reply refused because the platform would refuse it.
type WindowClosedError struct{ Window *ReplyWindow }

func (e *WindowClosedError) Error() string { return e.Window.Message }
