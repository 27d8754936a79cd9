package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/assign"
)

func stored(n int, prefix string) []assign.Stored {
	out := make([]assign.Stored, n)
	for i := range out {
		out[i] = assign.Stored{ConversationID: fmt.Sprintf("%s%d", prefix, i)}
	}
	return out
}

func nextTurn(t *testing.T, tr *turns) (string, []assign.Stored, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	id, rs, drain, ok := tr.next(ctx)
	if !ok {
		t.Fatal("no turn was ready")
	}
	return id, rs, drain
}

// A tenant with a flood takes bounded turns; another tenant's work is taken
// in between, not after the whole flood.
func TestTurnsRoundRobinAcrossTenants(t *testing.T) {
	tr := newTurns()
	for _, s := range stored(1000, "a") {
		tr.add("A", s)
	}
	for _, s := range stored(3, "b") {
		tr.add("B", s)
	}
	if n := tr.backlog(); n != 1003 {
		t.Fatalf("backlog %d, want 1003", n)
	}
	id, rs, _ := nextTurn(t, tr)
	if id != "A" || len(rs) != maxRoutesPerTurn || rs[0].ConversationID != "a0" {
		t.Fatalf("first turn: %s with %d routes", id, len(rs))
	}
	// While A's turn runs, a second worker gets B, not more of A.
	id, rs, _ = nextTurn(t, tr)
	if id != "B" || len(rs) != 3 {
		t.Fatalf("second turn: %s with %d routes, want B with 3", id, len(rs))
	}
	tr.add("B", assign.Stored{ConversationID: "b3"}) // arrives during B's turn
	tr.done("A", false)
	tr.done("B", false)
	// A (back of the ring after its turn) and then B's late message.
	id, rs, _ = nextTurn(t, tr)
	if id != "A" || rs[0].ConversationID != fmt.Sprintf("a%d", maxRoutesPerTurn) {
		t.Fatalf("third turn: %s from %s", id, rs[0].ConversationID)
	}
	id, rs, _ = nextTurn(t, tr)
	if id != "B" || len(rs) != 1 || rs[0].ConversationID != "b3" {
		t.Fatalf("fourth turn: %s with %v", id, rs)
	}
	tr.done("B", false)
	tr.done("A", false)
	if n := tr.backlog(); n != 1000-2*maxRoutesPerTurn {
		t.Fatalf("backlog %d", n)
	}
}

// A kick during a tenant's turn, or a turn that left work, brings the
// tenant back for a drain; a finished tenant leaves the ring.
func TestTurnsDrainAgain(t *testing.T) {
	tr := newTurns()
	tr.kick("A")
	id, rs, drain := nextTurn(t, tr)
	if id != "A" || len(rs) != 0 || !drain {
		t.Fatalf("kick: %s %d %v", id, len(rs), drain)
	}
	tr.kick("A") // capacity freed while A drains
	tr.done("A", false)
	if _, _, drain := nextTurn(t, tr); !drain {
		t.Fatal("the kick during the turn was lost")
	}
	tr.done("A", true) // the drain had more to assign
	if _, _, drain := nextTurn(t, tr); !drain {
		t.Fatal("more to drain was not taken again")
	}
	tr.done("A", false)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if id, _, _, ok := tr.next(ctx); ok {
		t.Fatalf("an idle tenant got a turn: %s", id)
	}
}

// A message put back because routing held its conversation is taken again
// when the tenant's turn ends, not after a fixed pause: ended is closed by
// that turn's done, and only that tenant's.
func TestTurnEndedWakesTheTenantsWaiters(t *testing.T) {
	tr := newTurns()
	tr.add("A", assign.Stored{ConversationID: "c1"})
	id, _, _ := nextTurn(t, tr)
	a, b := tr.ended("A"), tr.ended("B")
	if a != tr.ended("A") {
		t.Fatal("two waiters of one turn got different signals")
	}
	select {
	case <-a:
		t.Fatal("ended before the turn was done")
	default:
	}
	tr.done(id, false)
	select {
	case <-a:
	case <-time.After(time.Second):
		t.Fatal("the turn was done but its waiters were not woken")
	}
	select {
	case <-b:
		t.Fatal("another tenant's waiters were woken")
	default:
	}
	if tr.ended("A") == a {
		t.Fatal("the next turn's waiters share the closed signal")
	}
}

// later re-queues a busy message as soon as the tenant's turn ends, long
// before its pause would.
func TestLaterRetriesWhenTheTurnEnds(t *testing.T) {
	p := New(Deps{})
	p.busyPause = time.Hour
	jobs := make(chan *job, 1)
	tr := p.turns
	tr.add("A", assign.Stored{ConversationID: "c1"})
	id, _, _ := nextTurn(t, tr)
	j := &job{}
	j.in.TenantID = "A"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.later(ctx, jobs, j)
	tr.done(id, false)
	start := time.Now()
	select {
	case got := <-jobs:
		if got != j {
			t.Fatal("another job came back")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the message did not come back when the turn ended")
	}
	if j.waits != 1 {
		t.Fatalf("waits = %d, want 1", j.waits)
	}
	t.Logf("back %v after the turn ended", time.Since(start))
}
