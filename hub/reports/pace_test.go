package reports

import (
	"testing"
	"time"
)

// After a batch that took d while other writes waited or ran, the next
// waits 7·d: the reports take at most an eighth of the writer; never more
// than yieldFor.
func TestReportsYieldTheWriter(t *testing.T) {
	if got := pause(100 * time.Millisecond); got != 700*time.Millisecond {
		t.Fatalf("after a batch of 100 ms the next waited %v, want 700 ms (7 × its 100 ms)", got)
	}
	if got := pause(time.Minute); got != yieldFor {
		t.Fatalf("after a batch of a minute the next waited %v, want at most %v", got, yieldFor)
	}
}

// While the store is busy a batch is sized to hold the writer about 2 ms
// (from the last one's time per event), never below 20 events; free, the
// size doubles back to the full batch.
func TestReportBatchesShrinkUnderLoad(t *testing.T) {
	for _, c := range []struct {
		name     string
		limit, n int
		took     time.Duration
		busy     bool
		want     int
	}{
		{"busy: 500 events took 20 ms, 40 µs each", 500, 500, 20 * time.Millisecond, true, 50},
		{"busy: fast events fill the full batch", 50, 50, 50 * time.Microsecond, true, 500},
		{"busy: slow events, at least 20", 50, 50, 100 * time.Millisecond, true, 20},
		{"busy: nothing read keeps the size", 50, 0, 0, true, 50},
		{"free: doubles", 50, 50, 2 * time.Millisecond, false, 100},
		{"free: up to the full batch", 400, 400, 16 * time.Millisecond, false, 500},
	} {
		if got := nextBatch(c.limit, c.n, c.took, c.busy, 500); got != c.want {
			t.Errorf("%s: next batch %d, want %d", c.name, got, c.want)
		}
	}
}
