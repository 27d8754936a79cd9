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
//   - 满意率 (satisfaction rate): rated conversations whose latest rating
//     is 4 or 5 (满意, 非常满意) ÷ rated conversations (a changed rating
//     replaces the one before, where that one counted, as Chatwoot updates
//     a survey response in place);
//   - robot resolution rate: conversations the robot answered first and
//     that closed without going to people ÷ those the robot answered first;
//   - reply time: an agent's reply − waiting since (the customer's first
//     message not yet answered), for the replies after the first response
//     that end a wait, as Chatwoot's reply_time;
//   - 参评率 (rating response rate): conversations rated ÷ conversations
//     offered a rating (an agent's request, the text invitation or the
//     rating form that came with the close), each once;
//   - queue wait and reply time p90: the bound of the range (WaitBounds)
//     the ⌈0.9·n⌉-th shortest is in, from per-range counts in the rollup
//     (in calendar time and, beside it, in business hours).
//
// Attendance (考勤) comes from the agents' status events, apart from the
// conversation facts (attendance.go); where conversations came from (source,
// region, device) from their openings (origins.go).
package reports

import (
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Store keeps and reads the report tables.
type Store struct {
	k     *store.Store
	log   *slog.Logger
	batch int
	limit atomic.Int64 // events the next batch applies (see nextBatch)
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
	s := &Store{k: k, log: o.Log, batch: o.Batch, every: o.Every}
	s.limit.Store(int64(o.Batch))
	return s
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
	// Rated are the conversations rated, once each at their first rating
	// (with the agent it named) however often the rating was changed;
	// Satisfied of them scored 4 or 5 out of 5, BadRatings at or below the
	// bad score — both by the latest score.
	Rated     int64 `db:"rated" json:"rated"`
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
	// Replies are the agents' replies that ended a customer's wait after
	// the first response (Chatwoot's reply time); ReplySeconds sums reply −
	// waiting since (the customer's first message the agents had not yet
	// answered), counted at the reply.
	Replies      int64 `db:"replies" json:"replies"`
	ReplySeconds int64 `db:"reply_seconds" json:"reply_seconds"`
	// ReplyBusinessSeconds and ResolutionBusinessSeconds are the same
	// spans as ReplySeconds and ResolutionSeconds within business hours.
	ReplyBusinessSeconds      int64 `db:"reply_business_seconds" json:"reply_business_seconds"`
	ResolutionBusinessSeconds int64 `db:"resolution_business_seconds" json:"resolution_business_seconds"`
	// BadRatings are rated conversations whose latest rating is at or
	// below the tenant's bad score (差评, bad_at of the rating settings).
	BadRatings int64 `db:"bad_ratings" json:"bad_ratings"`
	// RatingInvited are conversations offered a rating: asked by an agent,
	// or closed with the channel's rating form or text invitation on (the
	// close event's rating_offered; a close logged before it said so counts
	// as an offer), once per conversation, counted when first offered;
	// RatingResponses the conversations rated, once each, at the first
	// rating (the same as Rated).
	RatingInvited   int64 `db:"rating_invited" json:"rating_invited"`
	RatingResponses int64 `db:"rating_responses" json:"rating_responses"`
	// WaitHist counts the queue waits (Waited) into the ranges of
	// WaitBounds, WaitBizHist the same waits within business hours;
	// ReplyHist and ReplyBizHist the reply times (Replies), in calendar and
	// business time. Each is read from the rollup's columns of its db name
	// as prefix (wait_le_10 … wait_over; histPrefixes).
	WaitHist     Hist `db:"wait" json:"-"`
	WaitBizHist  Hist `db:"wait_biz" json:"-"`
	ReplyHist    Hist `db:"reply" json:"-"`
	ReplyBizHist Hist `db:"reply_biz" json:"-"`
}

// WaitBounds are the upper bounds, in seconds, of the queue waits' ranges
// (the last range, past a day, has none).
var WaitBounds = [15]int64{10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600, 7200, 86400}

// Hist counts spans (queue waits or reply times) per range of
// WaitBounds: W10 those of at most 10 s, W20 of more than 10 and at most
// 20 s, …, Over those past the last bound (a day).
type Hist struct {
	W10   int64 `db:"le_10"`
	W20   int64 `db:"le_20"`
	W30   int64 `db:"le_30"`
	W45   int64 `db:"le_45"`
	W60   int64 `db:"le_60"`
	W90   int64 `db:"le_90"`
	W120  int64 `db:"le_120"`
	W180  int64 `db:"le_180"`
	W300  int64 `db:"le_300"`
	W600  int64 `db:"le_600"`
	W900  int64 `db:"le_900"`
	W1800 int64 `db:"le_1800"`
	W3600 int64 `db:"le_3600"`
	W7200 int64 `db:"le_7200"`
	W1d   int64 `db:"le_86400"`
	Over  int64 `db:"over"`
}

// fields are h's counts in the order of WaitBounds, then Over.
func (h *Hist) fields() []*int64 {
	return []*int64{&h.W10, &h.W20, &h.W30, &h.W45, &h.W60, &h.W90, &h.W120, &h.W180, &h.W300, &h.W600, &h.W900,
		&h.W1800, &h.W3600, &h.W7200, &h.W1d, &h.Over}
}

// rangeOf is the index of the range of WaitBounds a span of s seconds is
// in (len(WaitBounds) past them all).
func rangeOf(s int64) int {
	i := 0
	for i < len(WaitBounds) && s > WaitBounds[i] {
		i++
	}
	return i
}

// P90 is the 90th percentile of the spans, as the upper bound of its
// range: the shortest of WaitBounds that at least 90 % of the spans were
// within (nearest rank: the ⌈0.9·n⌉-th shortest wait is in that range);
// nil without waits, and past the last bound (a day) that bound.
func (h Hist) P90() *float64 {
	fs := h.fields()
	var n int64
	for _, f := range fs {
		n += *f
	}
	if n == 0 {
		return nil
	}
	rank := (9*n + 9) / 10 // ⌈0.9·n⌉
	var seen int64
	for i, f := range fs[:len(WaitBounds)] {
		if seen += *f; seen >= rank {
			v := float64(WaitBounds[i])
			return &v
		}
	}
	v := float64(WaitBounds[len(WaitBounds)-1])
	return &v
}

// histPrefixes name the rollup's histograms' columns, in Counts' order
// (Counts.hists): prefix_le_<bound> for each of WaitBounds, then
// prefix_over.
var histPrefixes = []string{"wait", "wait_biz", "reply", "reply_biz"}

// countCols are the rollup's count columns, in Counts' order (fields), and
// countAs the names they are read as: a histogram's prefix_le_10 as
// "prefix.le_10", its Hist's field in the Counts field of that db name.
var countCols, countAs = rollupColumns()

func rollupColumns() (cols, as []string) {
	cols = []string{"conversations", "taken", "answered", "first_response_seconds", "resolved",
		"resolution_seconds", "messages_in", "messages_out", "rated", "satisfied", "abandoned", "transfers", "tickets",
		"waited", "wait_seconds", "robot_conversations", "robot_resolved", "robot_handovers",
		"first_response_business_seconds", "wait_business_seconds", "replies", "reply_seconds", "reply_business_seconds",
		"resolution_business_seconds", "bad_ratings", "rating_invited", "rating_responses"}
	as = slices.Clone(cols)
	for _, p := range histPrefixes {
		for _, b := range WaitBounds {
			cols, as = append(cols, fmt.Sprintf("%s_le_%d", p, b)), append(as, fmt.Sprintf(`"%s.le_%d"`, p, b))
		}
		cols, as = append(cols, p+"_over"), append(as, `"`+p+`.over"`)
	}
	return cols, as
}

// hists are c's histograms, in the order of histPrefixes.
func (c *Counts) hists() []*Hist {
	return []*Hist{&c.WaitHist, &c.WaitBizHist, &c.ReplyHist, &c.ReplyBizHist}
}

func (c *Counts) fields() []*int64 {
	fs := []*int64{&c.Conversations, &c.Taken, &c.Answered, &c.FirstResponseSeconds, &c.Resolved,
		&c.ResolutionSeconds, &c.MessagesIn, &c.MessagesOut, &c.Rated, &c.Satisfied, &c.Abandoned,
		&c.Transfers, &c.Tickets, &c.Waited, &c.WaitSeconds, &c.RobotConversations, &c.RobotResolved,
		&c.RobotHandovers, &c.FirstResponseBusinessSeconds, &c.WaitBusinessSeconds, &c.Replies, &c.ReplySeconds,
		&c.ReplyBusinessSeconds, &c.ResolutionBusinessSeconds, &c.BadRatings, &c.RatingInvited, &c.RatingResponses}
	for _, h := range c.hists() {
		fs = append(fs, h.fields()...)
	}
	return fs
}

// InBusinessHours is c with its first response, queue wait, reply and
// resolution sums, and the queue waits' and replies' ranges, counted in
// business hours, for Derive to average those and take their 90th
// percentiles.
func (c Counts) InBusinessHours() Counts {
	c.FirstResponseSeconds, c.WaitSeconds = c.FirstResponseBusinessSeconds, c.WaitBusinessSeconds
	c.ReplySeconds, c.ResolutionSeconds = c.ReplyBusinessSeconds, c.ResolutionBusinessSeconds
	c.WaitHist, c.ReplyHist = c.WaitBizHist, c.ReplyBizHist
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
	// ReplyAvg is the mean reply time (ReplySeconds ÷ Replies), in seconds.
	ReplyAvg *float64 `json:"reply_seconds_avg"`
	// QueueWaitP90 is the queue waits' 90th percentile (Hist.P90 of
	// WaitHist), in seconds; ReplyP90 the reply times' (of ReplyHist).
	QueueWaitP90 *float64 `json:"queue_wait_seconds_p90"`
	ReplyP90     *float64 `json:"reply_seconds_p90"`
	// RatingResponseRate is 参评率: Rated ÷ RatingInvited (Rated counts
	// each rated conversation once, as RatingResponses does).
	RatingResponseRate *float64 `json:"rating_response_rate"`
	// MessagesPerConversation is (MessagesIn + MessagesOut) ÷
	// Conversations.
	MessagesPerConversation *float64 `json:"messages_per_conversation"`
}

// Derive computes the figures of c.
func Derive(c Counts) Figures {
	return Figures{Counts: c, AnswerRate: ratio(c.Answered, c.Conversations),
		FirstResponseAvg: ratio(c.FirstResponseSeconds, c.Answered),
		ResolutionAvg:    ratio(c.ResolutionSeconds, c.Resolved), SatisfactionRate: ratio(c.Satisfied, c.Rated),
		QueueWaitAvg: ratio(c.WaitSeconds, c.Waited), RobotResolutionRate: ratio(c.RobotResolved, c.RobotConversations),
		ReplyAvg: ratio(c.ReplySeconds, c.Replies), QueueWaitP90: c.WaitHist.P90(), ReplyP90: c.ReplyHist.P90(),
		RatingResponseRate:      ratio(c.Rated, c.RatingInvited),
		MessagesPerConversation: ratio(c.MessagesIn+c.MessagesOut, c.Conversations)}
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
