package ledger

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// history is what happened to one message, in milliseconds after t0; a
// negative time means "never".
type history struct {
	status       int   // the answer; 0 = none
	seen         []int // agent frames carrying it
	stored       []int // store rows carrying it (their created_at)
	wantOnTime   bool
	wantLate     bool
	wantLost     bool
	wantDup      bool
	wantSeenLate bool // late, and reached an agent socket
}

// The drain ends at 10 s in every case below.
const drainEndMS = 10_000

func TestVerdictClassifiesEachMessage(t *testing.T) {
	cases := map[string]history{
		"on time":                    {status: 200, seen: []int{50}, stored: []int{20}, wantOnTime: true},
		"on time, audit never read":  {status: 200, seen: []int{50}, wantOnTime: true},
		"seen exactly at the cutoff": {status: 200, seen: []int{drainEndMS}, wantOnTime: true},
		"seen after the drain":       {status: 200, seen: []int{12_000}, stored: []int{11_500}, wantLate: true, wantSeenLate: true},
		"stored late, never pushed":  {status: 200, stored: []int{14_000}, wantLate: true},
		"stored early, never pushed": {status: 200, stored: []int{30}, wantLate: true},
		"never stored":               {status: 200, wantLost: true},
		"refused, never stored":      {status: 429},
		"no answer, never stored":    {},
		"no answer, stored":          {stored: []int{40}, seen: []int{60}},
		"shown twice":                {status: 200, seen: []int{50, 60}, stored: []int{20}, wantOnTime: true, wantDup: true},
		"stored twice":               {status: 200, seen: []int{50}, stored: []int{20, 25}, wantOnTime: true, wantDup: true},
		"late and shown twice":       {status: 200, seen: []int{11_000, 11_100}, wantLate: true, wantSeenLate: true, wantDup: true},
		"refused yet shown twice":    {status: 503, seen: []int{50, 70}, wantDup: true},
		"stored twice, never pushed": {status: 200, stored: []int{20, 30}, wantLate: true, wantDup: true},
		"shown just after the drain": {status: 200, seen: []int{10_500}, wantLate: true, wantSeenLate: true},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			v := replay(map[string]history{"m": h}).Verdict()
			got := [5]bool{v.OnTime == 1, v.Late == 1, v.LateSeen == 1, v.Lost == 1, v.Duplicated == 1}
			want := [5]bool{h.wantOnTime, h.wantLate, h.wantSeenLate, h.wantLost, h.wantDup}
			if got != want {
				t.Fatalf("verdict %+v; want on time %v, late %v (seen %v), lost %v, duplicated %v", v,
					h.wantOnTime, h.wantLate, h.wantSeenLate, h.wantLost, h.wantDup)
			}
			if (v.Err() != nil) != (h.wantLost || h.wantDup) {
				t.Fatalf("Err() = %v; want an error only for lost or duplicated", v.Err())
			}
			if v.OnTime+v.Late+v.Lost > 1 || v.LateSeen+v.LateStoredOnly != v.Late {
				t.Fatalf("classes overlap: %+v", v)
			}
		})
	}
}

func TestVerdictTimesAndText(t *testing.T) {
	msgs := map[string]history{
		"a": {status: 200, seen: []int{100}, stored: []int{50}},
		// Backlogged on the bus: stored 2.5 s and 12.3 s after the drain,
		// shown to the agent a little later.
		"b": {status: 200, seen: []int{12_600}, stored: []int{12_500}},
		"c": {status: 200, seen: []int{22_400}, stored: []int{22_300}},
		// Stored in time, the push never came.
		"d": {status: 200, stored: []int{9_000}},
	}
	l := replay(msgs)
	if n := l.Unresolved(); n != 0 {
		t.Fatalf("unresolved %d, want 0: every accepted message was seen or stored", n)
	}
	v := l.Verdict()
	if v.OnTime != 1 || v.Late != 3 || v.LateSeen != 2 || v.LateStoredOnly != 1 || v.Lost != 0 || v.Duplicated != 0 {
		t.Fatalf("verdict %+v", v)
	}
	if v.LateStoredBeforeDrain != 1 || v.LateStoredWithinS != 12.3 || v.LateSeenWithinS != 12.4 {
		t.Fatalf("late times %+v: want 1 stored before the drain, last stored 12.3 s and seen 12.4 s after it", v)
	}
	if v.Audit.Accepted != 4 || v.Audit.AcceptedStored != 4 {
		t.Fatalf("audit counts %+v", v.Audit)
	}
	s := v.Summary()
	for _, want := range []string{"lost 0, late 3", "all stored within 12.3 s after the drain, 1 of them before it ended",
		"2 reached an agent socket, the last 12.4 s after the drain", "1 stored but never pushed", "duplicated 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
	if v.Err() != nil || !strings.HasPrefix(v.Line(), "OK") {
		t.Fatalf("late messages failed the run: %v / %s", v.Err(), v.Line())
	}

	// One more accepted message nobody saw or stored turns the run into a failure.
	msgs["e"] = history{status: 200}
	v = replay(msgs).Verdict()
	if v.Lost != 1 || v.Err() == nil || !strings.HasPrefix(v.Line(), "FAIL") ||
		!strings.Contains(v.Summary(), "lost 1, late 3") {
		t.Fatalf("a lost message: %+v, %q, %v", v, v.Summary(), v.Err())
	}
}

// Before MarkDrained there is no cutoff: a sighting is never late.
func TestVerdictWithoutDrain(t *testing.T) {
	l := New(time.Unix(0, 0))
	l.Sent("x", time.Unix(0, 0), time.Unix(0, 0), false)
	l.Answered("x", 200, time.Unix(1, 0))
	l.Seen("x", time.Unix(3600, 0))
	if v := l.Verdict(); v.OnTime != 1 || v.Late != 0 {
		t.Fatalf("verdict %+v", v)
	}
}

func TestLedgerStored(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := New(t0)
	l.SentAs("first", true, t0, t0, false)
	l.SentAs("next", false, t0, t0.Add(time.Second), false)
	if n := l.Unanswered(); n != 2 {
		t.Fatalf("unanswered %d, want 2", n)
	}
	l.Answered("first", 200, t0.Add(5*time.Millisecond))
	l.Answered("first", 503, t0.Add(6*time.Millisecond)) // a second answer does not count
	l.Answered("next", 200, t0.Add(time.Second+3*time.Millisecond))
	if n := l.Unanswered(); n != 0 {
		t.Fatalf("unanswered %d, want 0", n)
	}
	if l.Stored("someone-else", t0) {
		t.Fatal("Stored accepted an id the ledger never sent")
	}
	if !l.Stored("first", t0.Add(40*time.Millisecond)) || !l.Stored("next", t0.Add(time.Second+10*time.Millisecond)) {
		t.Fatal("Stored refused a sent id")
	}
	if n := l.Unresolved(); n != 0 {
		t.Fatalf("unresolved %d: stored messages are resolved", n)
	}
	l.SeenEvent("first", t0.Add(100*time.Millisecond), t0.Add(70*time.Millisecond), true)
	l.SeenEvent("next", t0.Add(time.Second+12*time.Millisecond), t0.Add(time.Second+11*time.Millisecond), false)
	tl := l.Tally()
	if tl.First.Sent != 1 || tl.Run.Sent != 1 || tl.First.InAssignment != 1 || tl.Run.InAssignment != 0 {
		t.Fatalf("classes: %d first (%d in an assignment), %d others (%d)", tl.First.Sent, tl.First.InAssignment,
			tl.Run.Sent, tl.Run.InAssignment)
	}
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	if !slices.Equal(tl.First.Stored, ms(40)) || !slices.Equal(tl.First.Emitted, ms(30)) || !slices.Equal(tl.First.Pushed, ms(30)) {
		t.Fatalf("first message: path %v / %v / %v, want 40ms / 30ms / 30ms", tl.First.Stored, tl.First.Emitted, tl.First.Pushed)
	}
	if !slices.Equal(tl.Run.Stored, ms(10)) || !slices.Equal(tl.Run.Emitted, ms(1)) || !slices.Equal(tl.Run.Pushed, ms(1)) {
		t.Fatalf("follow-up: path %v / %v / %v, want 10ms / 1ms / 1ms", tl.Run.Stored, tl.Run.Emitted, tl.Run.Pushed)
	}

	// A frame without an event time leaves the split after the store out.
	l.SentAs("third", false, t0, t0, false)
	l.Answered("third", 200, t0)
	l.Stored("third", t0.Add(5*time.Millisecond))
	l.Seen("third", t0.Add(9*time.Millisecond))
	tl = l.Tally()
	if len(tl.Run.Stored) != 2 || len(tl.Run.Emitted) != 1 || len(tl.Run.Pushed) != 1 {
		t.Fatalf("path without event time: %v / %v / %v", tl.Run.Stored, tl.Run.Emitted, tl.Run.Pushed)
	}
}

// replay writes the histories into a ledger whose drain ended at drainEndMS.
func replay(msgs map[string]history) *Ledger {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	l := New(t0)
	for id, h := range msgs {
		l.Sent(id, at(0), at(0), false)
		if h.status != 0 {
			l.Answered(id, h.status, at(10))
		}
		for _, ms := range h.seen {
			l.Seen(id, at(ms))
		}
		for _, ms := range h.stored {
			l.Stored(id, at(ms))
		}
	}
	l.MarkDrained(at(drainEndMS))
	return l
}
