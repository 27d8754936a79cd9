package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// A sleep ends with its context: a stopping worker does not wait it out.
func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := hub.Sleep(ctx, time.Hour); err == nil {
		t.Fatal("a stopping consumer waited for its next batch")
	}
	if err := hub.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("a sleep with its context alive: %v", err)
	}
}
