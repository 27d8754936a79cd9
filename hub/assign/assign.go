// Package assign routes conversations to agents: it builds each
// conversation's plan (rules, groups, overflow), asks the pure decision
// core (hub/routing) who should take it, claims the agent's seat and the
// conversation atomically, and otherwise keeps it waiting in a FIFO queue
// with positions told to the customer — or turns it into a ticket when
// nobody can answer. Transfers, pick-ups, closing and agents signing off
// go through here too, because each changes who waits and who is free.
//
// It owns the routing tables: conversation_routing (waiting is true exactly
// while queued; hub/assign/claims writes an assignment's), assignments and
// routing_log; the rules are hub/assign/rules.
package assign

import (
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign/rules"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// Router routes conversations: to an agent, into the queue, or to a ticket.
type Router struct {
	k        *store.Store
	convs    *conversations.Store
	ids      *identity.Identity
	chans    *channels.Store
	contacts *contacts.Store
	autos    *automations.Store
	rules    *rules.Store
	region   func(ip string) string
	log      *slog.Logger
}

// Assign is the package's stores, built together on one kernel.
type Assign struct {
	Router   *Router
	Handoffs *Handoffs
	Rules    *rules.Store
}

// Handoffs are the changes of hands: transfers, pick-ups, closing, an agent
// signing off, an agent starting a chat.
type Handoffs struct{ r *Router }

// Deps are the stores routing works with.
type Deps struct {
	Conversations *conversations.Store
	Identity      *identity.Identity
	Channels      *channels.Store
	Contacts      *contacts.Store
	Automations   *automations.Store
	// Region looks an IP address up in the IP database ("" when unknown).
	Region func(ip string) string
	Log    *slog.Logger
}

// New returns the routing stores.
func New(k *store.Store, d Deps) *Assign {
	if d.Region == nil {
		d.Region = func(string) string { return "" }
	}
	if d.Log == nil {
		d.Log = k.Log()
	}
	rs := rules.New(k, d.Identity)
	r := &Router{k: k, convs: d.Conversations, ids: d.Identity, chans: d.Channels, contacts: d.Contacts,
		autos: d.Automations, rules: rs, region: d.Region, log: d.Log}
	return &Assign{Router: r, Handoffs: &Handoffs{r: r}, Rules: rs}
}

// Outcome is what routing did with a conversation.
type Outcome string

// Outcomes.
const (
	Assigned Outcome = "assigned" // an agent has it
	Queued   Outcome = "queued"   // it waits for a seat
	Offline  Outcome = "offline"  // nobody can answer: a ticket holds it
	Skipped  Outcome = "skipped"  // nothing to do (already routed, not waiting)
)

// Decision is the outcome of routing one conversation.
type Decision struct {
	ConversationID string  `json:"conversation_id"`
	Outcome        Outcome `json:"outcome"`
	AgentID        string  `json:"agent_id,omitempty"`
	TicketID       string  `json:"ticket_id,omitempty"`
	Reason         string  `json:"reason,omitempty"`
	// Again: another process held rows this routing needed; route it
	// again soon.
	Again bool `json:"-"`
	// tried are the queues that had nobody free for this conversation.
	tried []string
}

func (s *Router) now() time.Time { return s.k.Now() }

// emit records an event about a conversation of a channel.
func emit(tx *store.Tx, ch *hub.Channel, typ hub.EventType, convID, agentID string, payload any) {
	tx.Emit(hub.Event{TenantID: ch.TenantID, ChannelID: ch.ID, Type: typ, ConversationID: convID, AgentID: agentID}, payload)
}

// channelOf is the channel a conversation is on, for events.
func channelOf(c *hub.Conversation) *hub.Channel {
	return &hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}
}

var deref = conversations.Deref
