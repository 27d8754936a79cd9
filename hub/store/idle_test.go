package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// A WriteIdle waits for the writes in progress and those queued behind
// them — customers' messages go first — and runs anyway once its wait is up.
func TestWriteIdleMakesWay(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		var mu sync.Mutex
		var order []string
		note := func(name string) func(*store.Tx) error {
			return func(tx *store.Tx) error {
				var one int
				if err := tx.Get(ctx, &one, `SELECT 1`); err != nil {
					return err
				}
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				return nil
			}
		}
		release := make(chan struct{})
		held := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Write(ctx, func(tx *store.Tx) error {
				close(held)
				<-release // a long inbox batch
				return note("held")(tx)
			})
			if err != nil {
				t.Error(err)
			}
		}()
		<-held
		for _, name := range []string{"queued1", "queued2", "queued3"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Write(ctx, note(name)); err != nil {
					t.Error(err)
				}
			}()
		}
		time.Sleep(20 * time.Millisecond) // the three wait for the writer (SQLite) or run (PostgreSQL)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.WriteIdle(ctx, 10*time.Second, note("idle")); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(50 * time.Millisecond)
		close(release)
		wg.Wait()
		if len(order) != 5 || order[4] != "idle" {
			t.Fatalf("writes ran in the order %v, want the idle one last", order)
		}

		// With writes that never pause, it runs once its wait is up.
		release = make(chan struct{})
		held = make(chan struct{})
		go func() {
			s.Write(ctx, func(tx *store.Tx) error { close(held); <-release; return nil })
		}()
		<-held
		defer close(release)
		if s.Postgres { // SQLite's one writer is held: nothing else can run
			start := time.Now()
			if err := s.WriteIdle(ctx, 100*time.Millisecond, note("late")); err != nil {
				t.Fatal(err)
			}
			if waited := time.Since(start); waited < 100*time.Millisecond || waited > 5*time.Second {
				t.Fatalf("ran after %v, want after its 100 ms wait", waited)
			}
		}
	})
}
