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
