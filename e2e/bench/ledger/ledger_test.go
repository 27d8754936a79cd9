package ledger

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond},
		{99.9, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := Percentile(ds, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %v", got)
	}
	if got := Percentile([]time.Duration{7}, 50); got != 7 {
		t.Errorf("p50 of one = %v", got)
	}
}

func TestLedgerTally(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	l := New(t0)
	l.SetWarmUp(true)
	l.Sent("hello", at(0), at(0), false)
	l.Answered("hello", 200, at(1))
	l.Seen("hello", at(250))
	l.SetWarmUp(false)
	l.Sent("ok", at(0), at(0), false)
	l.Answered("ok", 200, at(5))
	l.Seen("ok", at(20))
	l.Sent("early", at(10), at(10), false) // the frame can beat the HTTP answer
	l.Seen("early", at(30))
	l.Answered("early", 200, at(40))
	l.Sent("lost", at(0), at(0), false)
	l.Answered("lost", 200, at(3))
	l.Sent("dup", at(0), at(1), false)
	l.Answered("dup", 200, at(2))
	l.Seen("dup", at(1100))
	l.Seen("dup", at(1200))
	l.Seen("dup", at(1300))
	l.Sent("rejected", at(0), at(0), false)
	l.Answered("rejected", 503, at(1))
	l.Sent("rejected-but-stored", at(0), at(0), false)
	l.Answered("rejected-but-stored", 503, at(1))
	l.Seen("rejected-but-stored", at(9))
	l.Sent("timeout", at(0), at(0), false)
	l.Answered("timeout", 0, at(30000))
	l.Seen("someone-else", at(5))

	ch := l.Sent("awaited", at(0), at(0), true)
	l.Answered("awaited", 200, at(1))
	select {
	case <-ch:
		t.Fatal("awaited message reported delivered before it was seen")
	default:
	}
	l.Seen("awaited", at(2))
	<-ch // closed at the first sighting
	l.Seen("awaited", at(3))
	if n := l.Unresolved(); n != 1 {
		t.Fatalf("unresolved = %d, want 1 (the unseen one)", n)
	}
	if n := l.Outstanding(); n != 1 {
		t.Fatalf("outstanding = %d, want 1 (the unseen one)", n)
	}
	if n := l.Unanswered(); n != 0 {
		t.Fatalf("unanswered = %d, want 0", n)
	}
	tl := l.Tally()
	want := Tally{Sent: 9, Accepted: 6, TransportErrors: 1, Delivered: 5, Unseen: 1, Duplicated: 2, ExtraFrames: 3,
		SeenUnaccepted: 1, Foreign: 1}
	if tl.Sent != want.Sent || tl.Accepted != want.Accepted || tl.TransportErrors != want.TransportErrors ||
		tl.Delivered != want.Delivered || tl.Unseen != want.Unseen || tl.Duplicated != want.Duplicated ||
		tl.ExtraFrames != want.ExtraFrames || tl.SeenUnaccepted != want.SeenUnaccepted || tl.Foreign != want.Foreign {
		t.Fatalf("tally %+v, want %+v", tl, want)
	}
	if tl.Rejected[503] != 2 || len(tl.Rejected) != 1 {
		t.Fatalf("rejected %v, want 503×2", tl.Rejected)
	}
	// E2E runs from POST start to the first sighting: 2ms, 20ms, 20ms, 1099ms.
	wantE2E := []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 1099 * time.Millisecond}
	if !slices.Equal(tl.Run.E2E, wantE2E) {
		t.Fatalf("e2e %v, want %v", tl.Run.E2E, wantE2E)
	}
	if tl.Run.E2ESched[3] != 1100*time.Millisecond {
		t.Fatalf("e2e from schedule %v, want the dup's 1100ms last", tl.Run.E2ESched)
	}
	if !slices.Equal(tl.Run.DeliveredPerSec, []int{3, 1}) {
		t.Fatalf("delivered per second %v, want [3 1]", tl.Run.DeliveredPerSec)
	}
	if !slices.Equal(tl.Run.E2EMaxPerSec, []time.Duration{1099 * time.Millisecond}) {
		t.Fatalf("worst e2e per send second %v", tl.Run.E2EMaxPerSec)
	}
	if tl.Run.Sent != 8 || tl.Run.Delivered != 4 || tl.First.Sent != 1 || tl.First.Delivered != 1 {
		t.Fatalf("phases: run %d sent %d delivered, warm-up %d sent %d delivered", tl.Run.Sent, tl.Run.Delivered,
			tl.First.Sent, tl.First.Delivered)
	}
	if !slices.Equal(tl.First.E2E, []time.Duration{250 * time.Millisecond}) {
		t.Fatalf("warm-up e2e %v, want [250ms] and kept out of the run's", tl.First.E2E)
	}
	if !tl.Run.LastSeen.Equal(at(1100)) {
		t.Fatalf("last seen %v", tl.Run.LastSeen)
	}
}
