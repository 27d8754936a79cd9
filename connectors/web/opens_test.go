package web

import (
	"context"
	"testing"
	"time"
)

// A burst of new visitors reads the channel's count of active
// conversations once a second, not once each: the opens let through
// meanwhile are added to it; a refusal is decided on a fresh read, and so
// is any count once a second has passed.
func TestActiveCountsReadOncePerSecond(t *testing.T) {
	var a activeCounts
	reads, stored := 0, 5
	read := func(context.Context, string) (int, error) { reads++; return stored, nil }
	now := time.Now()
	for i := range 3 {
		n, err := a.count(context.Background(), "ch", 10, now, read)
		if err != nil || n != 5+i {
			t.Fatalf("open %d: count %d (%v), want %d", i, n, err, 5+i)
		}
		a.add("ch")
	}
	if reads != 1 {
		t.Fatalf("%d reads for three opens within a second, want 1", reads)
	}
	// At the limit the count is read again: two conversations closed.
	stored = 6
	for range 2 {
		a.add("ch")
	}
	if n, _ := a.count(context.Background(), "ch", 10, now, read); n != 6 || reads != 2 {
		t.Fatalf("at the limit: count %d after %d reads, want a fresh 6", n, reads)
	}
	if n, _ := a.count(context.Background(), "ch", 10, now.Add(activeCountTTL), read); n != 6 || reads != 3 {
		t.Fatalf("a second later: count %d after %d reads, want a fresh read", n, reads)
	}
}
