// Package ledger is the load tool's book of every message it sent: when,
// whether the hub accepted it, each agent socket frame that showed it, and
// the rows of the hub's store that hold it. Its tally gives latencies and
// throughput; its verdict tells on time, late, lost and duplicated apart.
package ledger

import (
	"math"
	"slices"
	"sync"
	"time"
)

// entry is what the ledger knows about one message the bench sent.
type entry struct {
	first     bool      // a customer's first message: it opens, routes and assigns a conversation
	scheduled time.Time // when the open-loop schedule wanted it sent
	sent      time.Time // when the POST (or the visitor's frame) started
	answered  bool      // an answer (2xx, refusal or transport error) was recorded
	acked     time.Time // when a 2xx answer (visitor: the ack frame) arrived (zero otherwise)
	status    int       // HTTP status; 0 for a transport error or none yet
	resent    int       // times it was refused as busy and sent again
	seen      int       // frames on agent sockets that carried it
	firstSeen time.Time
	emitted   time.Time     // created_at of the event in the first frame (zero if unknown)
	inAssign  bool          // first shown in conversation.assigned (stored before the assignment)
	stored    int           // rows of the hub's store carrying it (store audit)
	storedAt  time.Time     // the first such row's created_at (set in the ingest transaction)
	delivered chan struct{} // closed at the first sighting (nil unless awaited)
}

// Ledger records every message by its unique external id: when it was
// sent, whether the hub accepted it, and each time an agent socket showed
// it, and what the store audit found. The verdict (on time, late, lost,
// duplicated) falls out of it. Safe for concurrent use.
type Ledger struct {
	mu         sync.Mutex
	start      time.Time
	cutoff     time.Time // the drain's end: a sighting after it is late
	warmUp     bool      // new entries belong to the warm-up (are first messages)
	entries    map[string]*entry
	foreign    int // frames carrying ids this ledger never sent
	waiting    int // accepted and not seen yet
	unanswered int // sent and not answered yet
}

// New starts an empty ledger; start is time zero of the timelines.
func New(start time.Time) *Ledger {
	return &Ledger{start: start, entries: make(map[string]*entry, 1<<16)}
}

// SetStart moves time zero of the timelines (to when the run begins).
func (l *Ledger) SetStart(t time.Time) {
	l.mu.Lock()
	l.start = t
	l.mu.Unlock()
}

// SetWarmUp marks the messages sent from now on as warm-up (or not): they
// count for the verdict, but their latency is reported apart, as first
// messages.
func (l *Ledger) SetWarmUp(on bool) {
	l.mu.Lock()
	l.warmUp = on
	l.mu.Unlock()
}

// MarkDrained records the drain's end: a message an agent socket first
// shows after it, or that is only found in the store, is late.
func (l *Ledger) MarkDrained(at time.Time) {
	l.mu.Lock()
	l.cutoff = at
	l.mu.Unlock()
}

// Sent records that a POST for id starts now (scheduled is the open-loop
// slot, equal to sent in max-rate mode); it is a first message while the
// warm-up flag is on. With await, the returned channel is closed when an
// agent socket first shows the message; else it is nil.
func (l *Ledger) Sent(id string, scheduled, sent time.Time, await bool) <-chan struct{} {
	l.mu.Lock()
	first := l.warmUp
	l.mu.Unlock()
	return l.SentAs(id, first, scheduled, sent, await)
}

// SentAs is Sent with the message's class given: first opens a
// conversation, the others follow up on it.
func (l *Ledger) SentAs(id string, first bool, scheduled, sent time.Time, await bool) <-chan struct{} {
	e := &entry{first: first, scheduled: scheduled, sent: sent}
	if await {
		e.delivered = make(chan struct{})
	}
	l.mu.Lock()
	l.entries[id] = e
	l.unanswered++
	l.mu.Unlock()
	return e.delivered
}

// Answered records the outcome of sending: an HTTP status (0 = transport
// error); the first answer counts.
func (l *Ledger) Answered(id string, status int, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[id]
	if !ok || e.answered {
		return
	}
	e.answered = true
	l.unanswered--
	e.status = status
	if status < 200 || status > 299 {
		return
	}
	e.acked = at
	if e.seen == 0 {
		l.waiting++
	}
}

// Resent records that a message the hub refused for now (busy, rate
// limited) is being sent again, as the website widget does: it stays
// unanswered, and its latency still runs from the first send. It returns
// how many times id was resent (0 for an id the ledger does not know or
// that was answered already).
func (l *Ledger) Resent(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[id]
	if !ok || e.answered {
		return 0
	}
	e.resent++
	return e.resent
}

// Seen records that an agent socket frame carried id at time at.
func (l *Ledger) Seen(id string, at time.Time) { l.SeenEvent(id, at, time.Time{}, false) }

// SeenEvent is Seen with the created_at of the frame's event (stamped by
// the hub just before it commits the event), and whether the event was the
// conversation's assignment (which carries the messages stored before it).
func (l *Ledger) SeenEvent(id string, at, emitted time.Time, inAssignment bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[id]
	if !ok {
		l.foreign++
		return
	}
	e.seen++
	if e.seen > 1 {
		return
	}
	e.firstSeen, e.emitted, e.inAssign = at, emitted, inAssignment
	if !e.acked.IsZero() {
		l.waiting--
	}
	if e.delivered != nil {
		close(e.delivered)
	}
}

// Outstanding counts accepted messages no agent socket has shown yet.
func (l *Ledger) Outstanding() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiting
}

// Unanswered counts messages sent and not answered yet (a visitor's ack
// frame can come after the send phase).
func (l *Ledger) Unanswered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unanswered
}

// Stored records one row of the hub's store carrying id, created at
// storedAt. The store audit reads each row once, so a second call for an id
// is a message stored twice. It reports whether id is one of the ledger's.
func (l *Ledger) Stored(id string, storedAt time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[id]
	if !ok {
		return false
	}
	e.stored++
	if e.stored == 1 {
		e.storedAt = storedAt
	}
	return true
}

// Unresolved counts accepted messages neither seen on an agent socket nor
// found in the store: the ones a lost verdict would be about.
func (l *Ledger) Unresolved() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if !e.acked.IsZero() && e.seen == 0 && e.stored == 0 {
			n++
		}
	}
	return n
}

// Phase sums up one class of messages: first messages (the warm-up) or the
// others (the timed run, follow-ups).
type Phase struct {
	Sent, Accepted, Delivered int
	// InAssignment were first shown in conversation.assigned: stored
	// before their conversation had an agent.
	InAssignment int
	E2E          []time.Duration // POST start → first agent frame, sorted
	E2ESched     []time.Duration // scheduled slot → first agent frame, sorted
	Ack          []time.Duration // POST start → 2xx answer, sorted
	// Where the time went, for delivered messages the audit read: Stored
	// is POST start → the row's created_at, Emitted that → the created_at
	// of the event that showed it, Pushed that → the agent frame.
	Stored, Emitted, Pushed []time.Duration
	LastAck, LastSeen       time.Time
	AcceptedPerSec          []int // accepted answers per second since start
	DeliveredPerSec         []int // first sightings per second since start
	// E2EMaxPerSec is the worst e2e latency of the messages sent in each
	// second, to tell a steady tail from a stall.
	E2EMaxPerSec []time.Duration
}

// Tally is the ledger summed up: integrity over every message, latency
// and throughput per phase.
type Tally struct {
	Sent            int         // POSTs started
	Accepted        int         // answered 2xx
	Rejected        map[int]int // non-2xx answers by status
	TransportErrors int         // no HTTP answer at all
	Delivered       int         // accepted and seen at least once
	Unseen          int         // accepted, never seen (late or lost: see Verdict)
	Duplicated      int         // seen more than once
	ExtraFrames     int         // frames beyond the first, summed over duplicated messages
	SeenUnaccepted  int         // seen, though the POST was not answered 2xx
	Foreign         int         // frames with ids this run never sent
	Resent          int         // messages sent again after a refusal (see Ledger.Resent)
	// Run is every message but the first ones (the timed run, follow-ups);
	// First is the messages that opened a conversation (the warm-up).
	Run, First Phase
}

// grow returns s long enough to index i.
func grow[T any](s []T, i int) []T {
	for len(s) <= i {
		var zero T
		s = append(s, zero)
	}
	return s
}

// Tally sums the ledger up; call it once the run is over.
func (l *Ledger) Tally() Tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := Tally{Rejected: map[int]int{}, Foreign: l.foreign}
	sec := func(at time.Time) int { return max(0, int(at.Sub(l.start)/time.Second)) }
	for _, e := range l.entries {
		p := &t.Run
		if e.first {
			p = &t.First
		}
		t.Sent++
		p.Sent++
		if e.resent > 0 {
			t.Resent++
		}
		accepted := !e.acked.IsZero()
		switch {
		case accepted:
			t.Accepted++
			p.Accepted++
			p.Ack = append(p.Ack, e.acked.Sub(e.sent))
			i := sec(e.acked)
			p.AcceptedPerSec = grow(p.AcceptedPerSec, i)
			p.AcceptedPerSec[i]++
			if e.acked.After(p.LastAck) {
				p.LastAck = e.acked
			}
		case e.status == 0:
			t.TransportErrors++
		default:
			t.Rejected[e.status]++
		}
		if e.seen > 1 {
			t.Duplicated++
			t.ExtraFrames += e.seen - 1
		}
		switch {
		case e.seen == 0 && accepted:
			t.Unseen++
		case e.seen > 0 && !accepted:
			t.SeenUnaccepted++
		case e.seen > 0:
			t.Delivered++
			p.Delivered++
			if e.inAssign {
				p.InAssignment++
			}
			e2e := e.firstSeen.Sub(e.sent)
			p.E2E = append(p.E2E, e2e)
			p.E2ESched = append(p.E2ESched, e.firstSeen.Sub(e.scheduled))
			if !e.storedAt.IsZero() {
				p.Stored = append(p.Stored, e.storedAt.Sub(e.sent))
			}
			if !e.storedAt.IsZero() && !e.emitted.IsZero() {
				p.Emitted = append(p.Emitted, e.emitted.Sub(e.storedAt))
				p.Pushed = append(p.Pushed, e.firstSeen.Sub(e.emitted))
			}
			i := sec(e.firstSeen)
			p.DeliveredPerSec = grow(p.DeliveredPerSec, i)
			p.DeliveredPerSec[i]++
			if e.firstSeen.After(p.LastSeen) {
				p.LastSeen = e.firstSeen
			}
			j := sec(e.sent)
			p.E2EMaxPerSec = grow(p.E2EMaxPerSec, j)
			p.E2EMaxPerSec[j] = max(p.E2EMaxPerSec[j], e2e)
		}
	}
	for _, p := range []*Phase{&t.Run, &t.First} {
		for _, s := range [][]time.Duration{p.E2E, p.E2ESched, p.Ack, p.Stored, p.Emitted, p.Pushed} {
			slices.Sort(s)
		}
	}
	return t
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted durations; zero for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}
