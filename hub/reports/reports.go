// Package reports keeps the figures of the reports (报表): it reads the
// event log in order, tenant by tenant, from a cursor of its own, turns
// each event into facts (report_facts, append-only, unique per event and
// kind) and sums those per UTC hour, channel, group and agent
// (report_hours). The facts, the rollup and the cursor move in one
// transaction that holds the cursor's row lock, so a restart resumes where
// the last commit left off and two processes never count an event twice.
// Reports read only the rollup, never messages.
//
// The definitions follow Chatwoot's where it has one, so figures compare:
//   - first response time: first agent reply − conversation opened, or −
//     the robot's hand-off when the robot spoke first;
//   - resolution time: closed − opened, counted when closed;
//   - 接通率 (answer rate): conversations an agent replied to ÷ conversations
//     opened, both counted in the hour the conversation opened;
//   - 满意率 (satisfaction rate): ratings of 4 or 5 (满意, 非常满意) ÷ ratings;
//   - robot resolution rate: conversations the robot answered first and
//     that closed without going to people ÷ those the robot answered first.
//
// Attendance (考勤) comes from the agents' status events, apart from the
// conversation facts (attendance.go); where conversations came from (source,
// region, device) from their openings (origins.go).
package reports

import (
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Store keeps and reads the report tables.
type Store struct {
	k     *store.Store
	log   *slog.Logger
	batch int
	every time.Duration
}

// Options tune the consumer; zero values take the defaults.
type Options struct {
	// Batch is how many events one transaction applies (default 500).
	Batch int
	// Every is how often Run looks for new events (default 1 s).
	Every time.Duration
	Log   *slog.Logger
}

// New returns the reports store.
func New(k *store.Store, o Options) *Store {
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Store{k: k, log: o.Log, batch: o.Batch, every: o.Every}
}

// Counts are the summed facts of a slice of the rollup. The *Seconds
// fields are sums; divide by Answered and Resolved for averages.
type Counts struct {
	// Conversations opened (counted at no agent: with an agent filter,
	// Taken stands for it).
	Conversations int64 `db:"conversations" json:"conversations"`
	// Taken is how many times an agent was given a conversation (routing,
	// pick-up or a transfer to them).
	Taken int64 `db:"taken" json:"taken"`
	// Answered conversations got an agent's reply (counted at the hour
	// they opened, for the agent who replied first).
	Answered             int64 `db:"answered" json:"answered"`
	FirstResponseSeconds int64 `db:"first_response_seconds" json:"first_response_seconds"`
	Resolved             int64 `db:"resolved" json:"resolved"`
	ResolutionSeconds    int64 `db:"resolution_seconds" json:"resolution_seconds"`
	MessagesIn           int64 `db:"messages_in" json:"messages_in"`
	// MessagesOut are the agents' replies to customers (not automatic
	// messages, not internal notes).
	MessagesOut int64 `db:"messages_out" json:"messages_out"`
	Rated       int64 `db:"rated" json:"rated"`
	// Satisfied ratings scored 4 or 5 out of 5.
	Satisfied int64 `db:"satisfied" json:"satisfied"`
	// Abandoned conversations were closed while waiting in the queue,
	// never taken by an agent (counted at the hour they opened).
	Abandoned int64 `db:"abandoned" json:"abandoned"`
	Transfers int64 `db:"transfers" json:"transfers"`
	// Tickets are conversations nobody could take that became tickets.
	Tickets int64 `db:"tickets" json:"tickets"`
	// Waited conversations were taken by an agent; WaitSeconds sums their
	// waits from opening to the first agent (counted at the hour they
	// opened).
	Waited      int64 `db:"waited" json:"waited"`
	WaitSeconds int64 `db:"wait_seconds" json:"wait_seconds"`
	// RobotConversations are conversations the robot answered before any
	// agent; RobotResolved of them closed without ever going to people,
	// RobotHandovers went to people (queued, taken or a ticket). All three
	// count at the hour the conversation opened.
	RobotConversations int64 `db:"robot_conversations" json:"robot_conversations"`
	RobotResolved      int64 `db:"robot_resolved" json:"robot_resolved"`
	RobotHandovers     int64 `db:"robot_handovers" json:"robot_handovers"`
	// FirstResponseBusinessSeconds and WaitBusinessSeconds are the same
	// spans as FirstResponseSeconds and WaitSeconds counted only while the
	// conversation's group was open (its business hours; calendar time for
	// a group without hours).
	FirstResponseBusinessSeconds int64 `db:"first_response_business_seconds" json:"first_response_business_seconds"`
	WaitBusinessSeconds          int64 `db:"wait_business_seconds" json:"wait_business_seconds"`
}

// countCols are the rollup's count columns, in Counts' order.
var countCols = []string{"conversations", "taken", "answered", "first_response_seconds", "resolved",
	"resolution_seconds", "messages_in", "messages_out", "rated", "satisfied", "abandoned", "transfers", "tickets",
	"waited", "wait_seconds", "robot_conversations", "robot_resolved", "robot_handovers",
	"first_response_business_seconds", "wait_business_seconds"}

func (c *Counts) fields() []*int64 {
	return []*int64{&c.Conversations, &c.Taken, &c.Answered, &c.FirstResponseSeconds, &c.Resolved,
		&c.ResolutionSeconds, &c.MessagesIn, &c.MessagesOut, &c.Rated, &c.Satisfied, &c.Abandoned,
		&c.Transfers, &c.Tickets, &c.Waited, &c.WaitSeconds, &c.RobotConversations, &c.RobotResolved,
		&c.RobotHandovers, &c.FirstResponseBusinessSeconds, &c.WaitBusinessSeconds}
}

// InBusinessHours is c with its first response and queue wait sums counted
// in business hours, for Derive to average those.
func (c Counts) InBusinessHours() Counts {
	c.FirstResponseSeconds, c.WaitSeconds = c.FirstResponseBusinessSeconds, c.WaitBusinessSeconds
	return c
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	dst, src := c.fields(), o.fields()
	for i := range dst {
		*dst[i] += *src[i]
	}
}

// Figures are counts with the rates and averages derived from them; a
// rate or average is nil when it has nothing to divide by.
type Figures struct {
	Counts
	// AnswerRate is 接通率: Answered ÷ Conversations.
	AnswerRate *float64 `json:"answer_rate"`
	// FirstResponseAvg is the mean first response time, in seconds.
	FirstResponseAvg *float64 `json:"first_response_seconds_avg"`
	// ResolutionAvg is the mean resolution time, in seconds.
	ResolutionAvg *float64 `json:"resolution_seconds_avg"`
	// SatisfactionRate is 满意率: Satisfied ÷ Rated.
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	// QueueWaitAvg is the mean wait from opening to the first agent, in
	// seconds.
	QueueWaitAvg *float64 `json:"queue_wait_seconds_avg"`
	// RobotResolutionRate is RobotResolved ÷ RobotConversations.
	RobotResolutionRate *float64 `json:"robot_resolution_rate"`
}

// Derive computes the figures of c.
func Derive(c Counts) Figures {
	return Figures{Counts: c, AnswerRate: ratio(c.Answered, c.Conversations),
		FirstResponseAvg: ratio(c.FirstResponseSeconds, c.Answered),
		ResolutionAvg:    ratio(c.ResolutionSeconds, c.Resolved), SatisfactionRate: ratio(c.Satisfied, c.Rated),
		QueueWaitAvg: ratio(c.WaitSeconds, c.Waited), RobotResolutionRate: ratio(c.RobotResolved, c.RobotConversations)}
}

func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}

// Concurrency is the average number of conversations an agent held at
// once (平均并发会话数): the seconds they held conversations ÷ the seconds
// they were on (online or busy); nil without time on.
func Concurrency(held, on int64) *float64 { return ratio(held, on) }
