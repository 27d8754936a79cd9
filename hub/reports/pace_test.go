package reports

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// After a batch that took d while other writes waited or ran, the next
// waits 7·d: the reports take at most an eighth of the writer.
func TestReportsYieldTheWriter(t *testing.T) {
	r := New(storetest.Open(t, "sqlite", store.Options{}).Store, Options{})
	start := time.Now()
	if err := r.pace(context.Background(), 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 700*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("the next batch waited %v, want 700 ms (7 × its 100 ms)", waited)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.pace(ctx, time.Second); err == nil {
		t.Fatal("a stopping consumer waited for its next batch")
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
