package reports

import (
	"encoding/json"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// Kind names a fact.
type Kind string

// The facts an event may leave.
const (
	KindOpened        Kind = "conversation_opened"
	KindTaken         Kind = "conversation_taken"
	KindFirstResponse Kind = "first_response"
	KindMessageIn     Kind = "message_in"
	KindMessageOut    Kind = "message_out"
	KindResolved      Kind = "conversation_resolved"
	KindRated         Kind = "rating"
	KindAbandoned     Kind = "queue_abandoned"
	KindTransfer      Kind = "transfer"
	KindTicket        Kind = "ticket"
	KindQueueWait     Kind = "queue_wait"
	KindRobotTook     Kind = "robot_conversation"
	KindRobotResolved Kind = "robot_resolved"
	KindRobotHandover Kind = "robot_handover"
	// KindFirstResponseBusiness and KindQueueWaitBusiness are a first
	// response's and a queue wait's seconds within the group's business
	// hours.
	KindFirstResponseBusiness Kind = "first_response_business"
	KindQueueWaitBusiness     Kind = "queue_wait_business"
	// KindHeld is the span an agent held a conversation, from being given
	// it to its transfer, requeue or close: At is the end, Value the
	// seconds. It adds to the agent's attendance hours (held_seconds), not
	// to the conversation counts.
	KindHeld Kind = "held"
	// KindReply is an agent's reply that ended a customer's wait after the
	// first response: Value is reply − waiting since; KindReplyBusiness the
	// same span within business hours.
	KindReply         Kind = "reply"
	KindReplyBusiness Kind = "reply_business"
	// KindResolvedBusiness is a resolution's seconds within business hours.
	KindResolvedBusiness Kind = "resolved_business"
	// KindBadRating is a rating at or below the tenant's bad score.
	KindBadRating Kind = "bad_rating"
	// KindRatingInvited is a conversation first offered a rating (asked by
	// an agent, or closed); KindRatingResponse its first rating.
	KindRatingInvited  Kind = "rating_invited"
	KindRatingResponse Kind = "rating_response"
	// KindRatingWithdrawn takes a replaced rating (Value its score) back
	// from where it counted, and KindBadRatingWithdrawn its bad mark: a
	// changed rating counts once, by its latest score.
	KindRatingWithdrawn    Kind = "rating_withdrawn"
	KindBadRatingWithdrawn Kind = "bad_rating_withdrawn"
)

// Fact is one thing that happened, as reports count it: At is the time it
// counts at (the conversation's opening for first responses and
// abandonment, the event's time otherwise), Value its measure (seconds, or
// a rating's score).
type Fact struct {
	EventID        int64     `db:"event_id"`
	Kind           Kind      `db:"kind"`
	ConversationID string    `db:"conversation_id"`
	At             time.Time `db:"at"`
	ChannelID      string    `db:"channel_id"`
	GroupID        string    `db:"group_id"`
	AgentID        string    `db:"agent_id"`
	Value          int64     `db:"value"`
}

// counts is what the fact adds to its hour of the rollup.
func (f *Fact) counts() Counts {
	var c Counts
	switch f.Kind {
	case KindOpened:
		c.Conversations = 1
	case KindTaken:
		c.Taken = 1
	case KindFirstResponse:
		c.Answered, c.FirstResponseSeconds = 1, f.Value
	case KindMessageIn:
		c.MessagesIn = 1
	case KindMessageOut:
		c.MessagesOut = 1
	case KindResolved:
		c.Resolved, c.ResolutionSeconds = 1, f.Value
	case KindRated, KindRatingWithdrawn:
		c.Rated = 1
		if f.Value >= 4 {
			c.Satisfied = 1
		}
		if f.Kind == KindRatingWithdrawn {
			c.Rated, c.Satisfied = -c.Rated, -c.Satisfied
		}
	case KindAbandoned:
		c.Abandoned = 1
	case KindTransfer:
		c.Transfers = 1
	case KindTicket:
		c.Tickets = 1
	case KindQueueWait:
		c.Waited, c.WaitSeconds = 1, f.Value
		*c.WaitHist.fields()[rangeOf(f.Value)] = 1
	case KindRobotTook:
		c.RobotConversations = 1
	case KindRobotResolved:
		c.RobotResolved = 1
	case KindRobotHandover:
		c.RobotHandovers = 1
	case KindFirstResponseBusiness:
		c.FirstResponseBusinessSeconds = f.Value
	case KindQueueWaitBusiness:
		c.WaitBusinessSeconds = f.Value
		*c.WaitBizHist.fields()[rangeOf(f.Value)] = 1
	case KindReply:
		c.Replies, c.ReplySeconds = 1, f.Value
		*c.ReplyHist.fields()[rangeOf(f.Value)] = 1
	case KindReplyBusiness:
		c.ReplyBusinessSeconds = f.Value
		*c.ReplyBizHist.fields()[rangeOf(f.Value)] = 1
	case KindResolvedBusiness:
		c.ResolutionBusinessSeconds = f.Value
	case KindBadRating:
		c.BadRatings = 1
	case KindBadRatingWithdrawn:
		c.BadRatings = -1
	case KindRatingInvited:
		c.RatingInvited = 1
	case KindRatingResponse:
		c.RatingResponses = 1
	}
	return c
}

// convState is what a conversation's later facts need from its earlier
// events (report_conversations).
type convState struct {
	ConversationID string    `db:"conversation_id"`
	TenantID       string    `db:"tenant_id"`
	ChannelID      string    `db:"channel_id"`
	GroupID        string    `db:"group_id"`
	CreatedAt      time.Time `db:"created_at"`
	Queued         bool      `db:"queued"`
	Assigned       bool      `db:"assigned"`
	Answered       bool      `db:"answered"`
	Closed         bool      `db:"closed"`
	// RobotAt is when the robot last spoke before an agent took the
	// conversation: its hand-off, where waits and first responses start.
	RobotAt *time.Time `db:"robot_at"`
	// Handed is set once the conversation went to people: queued, taken
	// by an agent or made a ticket.
	Handed bool `db:"handed"`
	// Holder is the agent who holds the conversation now ("" for none),
	// since HeldSince.
	Holder    string     `db:"holder"`
	HeldSince *time.Time `db:"held_since"`
	// Origin are the visitor's origin keys at the opening (JSON; "" for
	// none), for the agents who take the conversation.
	Origin string `db:"origin"`
	// WaitingSince is the customer's first message the agents have not
	// answered yet, after the first response (nil when none waits).
	WaitingSince *time.Time `db:"waiting_since"`
	// Invited is set once the conversation was offered a rating, Rated
	// once it was rated: at RatingAt for RatingAgent (its first rating),
	// scored RatingScore, bad or not (its latest).
	Invited      bool       `db:"invited"`
	Rated        bool       `db:"rated"`
	RatingAt     *time.Time `db:"rating_at"`
	RatingAgent  string     `db:"rating_agent"`
	RatingScore  int64      `db:"rating_score"`
	RatingBad    bool       `db:"rating_bad"`
	known, dirty bool
}

// payload is the part of an event's data facts read.
type payload struct {
	Conversation *hub.Conversation `json:"conversation"`
	Message      *hub.Message      `json:"message"`
	Score        int               `json:"score"`
	// Bad says the rating is at or below the tenant's bad score (absent:
	// the default, 2).
	Bad *bool `json:"bad"`
	// RatingOffered says whether the close offered the customer a rating
	// (absent from closes logged before it was recorded: taken as offered).
	RatingOffered *bool `json:"rating_offered"`
}

// derive turns one event into its facts, updating the conversation's
// state (st is never nil; st.known says whether it was seen before); clock
// is the working-time clock of a group's business hours.
func derive(e *hub.Event, st *convState, clock func(group string) hub.Clock) []Fact {
	var p payload
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	if c := p.Conversation; c != nil && !st.known && e.Type == hub.EvConversationCreated {
		st.ConversationID, st.TenantID, st.ChannelID, st.CreatedAt = c.ID, e.TenantID, c.ChannelID, c.CreatedAt
		st.GroupID = deref(c.GroupID)
		st.known, st.dirty = true, true
	}
	at := e.CreatedAt
	fact := func(k Kind, at time.Time, agent string, v int64) Fact {
		return Fact{EventID: e.ID, Kind: k, ConversationID: e.ConversationID, At: at, ChannelID: st.ChannelID,
			GroupID: st.GroupID, AgentID: agent, Value: v}
	}
	if !st.known {
		return nil // a conversation whose opening is not in the log: counting its later events alone would skew the rates
	}
	switch e.Type {
	case hub.EvConversationCreated:
		return []Fact{fact(KindOpened, st.CreatedAt, "", 0)}
	case hub.EvConversationQueued:
		st.Queued, st.dirty = true, true
		return append(handed(st, fact), release(st, at, fact)...)
	case hub.EvConversationAssigned:
		agent := assignee(p.Conversation, e)
		out := handed(st, fact)
		if st.Holder != agent {
			out = append(release(st, at, fact), out...)
			st.Holder, st.HeldSince, st.dirty = agent, &at, true
		}
		out = append(out, fact(KindTaken, at, agent, 0))
		if !st.Assigned {
			st.Assigned, st.dirty = true, true
			out = append(out, fact(KindQueueWait, st.CreatedAt, agent, seconds(at.Sub(st.start()))),
				fact(KindQueueWaitBusiness, st.CreatedAt, agent, seconds(clock(st.GroupID).Between(st.start(), at))))
		}
		return out
	case hub.EvConversationTransferred:
		return append(release(st, at, fact), fact(KindTransfer, at, e.AgentID, 0))
	case hub.EvConversationOffline:
		return append(append(handed(st, fact), release(st, at, fact)...), fact(KindTicket, at, "", 0))
	case hub.EvConversationRated:
		return ratedFacts(st, p, fact(KindRated, at, e.AgentID, int64(p.Score)))
	case hub.EvRatingRequested:
		return invited(st, fact(KindRatingInvited, at, e.AgentID, 0))
	case hub.EvConversationClosed:
		out := closedFacts(st, fact(KindResolved, at, e.AgentID, seconds(at.Sub(st.CreatedAt))))
		if len(out) > 0 {
			out = append(out, fact(KindResolvedBusiness, at, e.AgentID, seconds(clock(st.GroupID).Between(st.CreatedAt, at))))
		}
		if len(out) > 0 && st.RobotAt != nil && !st.Handed {
			out = append(out, fact(KindRobotResolved, st.CreatedAt, "", 0))
		}
		if p.RatingOffered == nil || *p.RatingOffered {
			out = append(out, invited(st, fact(KindRatingInvited, at, e.AgentID, 0))...)
		}
		return append(out, release(st, at, fact)...)
	case hub.EvMessageCreated:
		return messageFacts(p.Message, st, at, e.AgentID, clock, fact)
	}
	return nil
}

// ratedFacts are a rating's facts: the rating, a bad one's mark, and, the
// first time, the conversation's response. A changed rating counts where
// the first one did (its hour and agent, as Chatwoot updates a survey
// response in place): the score it replaces, and its bad mark, are
// withdrawn from there and the new score added, so the conversation counts
// once, by its latest score, even when the change falls on another day.
func ratedFacts(st *convState, p payload, rating Fact) []Fact {
	bad := (p.Bad != nil && *p.Bad) || (p.Bad == nil && p.Score <= 2)
	var out []Fact
	if st.Rated && st.RatingAt != nil {
		rating.At, rating.AgentID = *st.RatingAt, st.RatingAgent
		old := rating
		old.Kind, old.Value = KindRatingWithdrawn, st.RatingScore
		out = append(out, old)
		if st.RatingBad {
			old.Kind, old.Value = KindBadRatingWithdrawn, 0
			out = append(out, old)
		}
	}
	out = append(out, rating)
	if bad {
		f := rating
		f.Kind = KindBadRating
		out = append(out, f)
	}
	if !st.Rated {
		f := rating
		f.Kind, f.Value = KindRatingResponse, 0
		out = append(out, f)
		at := rating.At
		st.RatingAt, st.RatingAgent = &at, rating.AgentID
	}
	st.Rated, st.RatingScore, st.RatingBad, st.dirty = true, rating.Value, bad, true
	return out
}

// invited is the conversation's first offer of a rating (none after).
func invited(st *convState, f Fact) []Fact {
	if st.Invited {
		return nil
	}
	st.Invited, st.dirty = true, true
	return []Fact{f}
}

// handed marks the conversation as gone to people; the first time, when
// the robot had answered it, that is the robot's hand-over.
func handed(st *convState, fact func(Kind, time.Time, string, int64) Fact) []Fact {
	if st.Handed {
		return nil
	}
	st.Handed, st.dirty = true, true
	if st.RobotAt == nil {
		return nil
	}
	return []Fact{fact(KindRobotHandover, st.CreatedAt, "", 0)}
}

// release ends the holder's span at at: the fact of the seconds they held
// the conversation (none when nobody held it).
func release(st *convState, at time.Time, fact func(Kind, time.Time, string, int64) Fact) []Fact {
	if st.Holder == "" {
		return nil
	}
	f := fact(KindHeld, at, st.Holder, 0)
	if st.HeldSince != nil {
		f.Value = seconds(at.Sub(*st.HeldSince))
	}
	st.Holder, st.HeldSince, st.dirty = "", nil, true
	return []Fact{f}
}

// start is when a human's turn began: the robot's hand-off, else the
// opening.
func (st *convState) start() time.Time {
	if st.RobotAt != nil && st.RobotAt.After(st.CreatedAt) {
		return *st.RobotAt
	}
	return st.CreatedAt
}

func closedFacts(st *convState, resolved Fact) []Fact {
	if st.Closed {
		return nil
	}
	st.Closed, st.dirty = true, true
	out := []Fact{resolved}
	if st.Queued && !st.Assigned {
		ab := resolved
		ab.Kind, ab.At, ab.AgentID, ab.Value = KindAbandoned, st.CreatedAt, "", 0
		out = append(out, ab)
	}
	return out
}

func messageFacts(m *hub.Message, st *convState, at time.Time, assignee string, clock func(string) hub.Clock,
	fact func(Kind, time.Time, string, int64) Fact) []Fact {
	switch {
	case m == nil:
		return nil
	case m.Direction == hub.DirectionIn:
		if st.Answered && st.WaitingSince == nil {
			st.WaitingSince, st.dirty = &at, true
		}
		return []Fact{fact(KindMessageIn, at, assignee, 0)}
	case m.Direction == hub.DirectionOut && m.SenderType == hub.SenderRobot:
		if st.Assigned || st.Answered {
			return nil
		}
		first := st.RobotAt == nil && !st.Handed
		st.RobotAt, st.dirty = &at, true
		if first {
			return []Fact{fact(KindRobotTook, st.CreatedAt, "", 0)}
		}
		return nil
	case m.Direction != hub.DirectionOut || m.SenderType != hub.SenderAgent:
		return nil // internal notes and automatic messages
	}
	out := []Fact{fact(KindMessageOut, at, m.SenderID, 0)}
	if !st.Answered {
		st.Answered, st.dirty = true, true
		out = append(out, fact(KindFirstResponse, st.CreatedAt, m.SenderID, seconds(at.Sub(st.start()))),
			fact(KindFirstResponseBusiness, st.CreatedAt, m.SenderID,
				seconds(clock(st.GroupID).Between(st.start(), at))))
	} else if w := st.WaitingSince; w != nil {
		st.WaitingSince, st.dirty = nil, true
		out = append(out, fact(KindReply, at, m.SenderID, seconds(at.Sub(*w))),
			fact(KindReplyBusiness, at, m.SenderID, seconds(clock(st.GroupID).Between(*w, at))))
	}
	return out
}

func assignee(c *hub.Conversation, e *hub.Event) string {
	if c != nil && c.AssigneeID != nil {
		return *c.AssigneeID
	}
	return e.AgentID
}

func seconds(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
