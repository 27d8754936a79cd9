package reports

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// While another write waits or runs (the inbox storing a burst), the
// reports wait seven times their last batch's time before the next, so
// they take at most an eighth of the writer; with the store free they go
// on at once.
func TestReportsYieldTheWriter(t *testing.T) {
	k := storetest.Open(t, "sqlite", store.Options{}).Store
	r := New(k, Options{})
	ctx := context.Background()

	start := time.Now()
	if err := r.pace(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 300*time.Millisecond {
		t.Fatalf("with the store free the next batch waited %v, want no wait", waited)
	}

	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- k.Write(ctx, func(*store.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	start = time.Now()
	if err := r.pace(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 700*time.Millisecond {
		t.Fatalf("with a write in progress the next batch waited %v, want 700 ms (7 × its 100 ms)", waited)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
