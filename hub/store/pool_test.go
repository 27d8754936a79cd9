package store_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// The PostgreSQL pool keeps the connections a burst opened: none is closed
// on its way back to the pool (each new one reads the catalogs again, and a
// pool that kept 8 of 32 opened and closed them all through a burst).
func TestPoolKeepsItsConnections(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s := d.Store
		if !s.Postgres {
			return // SQLite: one writer, and readers that never close
		}
		most := s.W.Stats().MaxOpenConnections
		if want := min(32, max(16, 8*runtime.GOMAXPROCS(0))); most != want {
			t.Fatalf("the pool opens up to %d connections, want %d on %d CPUs", most, want, runtime.GOMAXPROCS(0))
		}
		for round := 0; round < 3; round++ {
			burst(t, s, 2*most)
		}
		st := s.W.Stats()
		if st.MaxIdleClosed != 0 || st.Idle != st.OpenConnections {
			t.Fatalf("after three bursts: %d connections closed on their way back, %d idle of %d open; want none closed, all idle",
				st.MaxIdleClosed, st.Idle, st.OpenConnections)
		}
	})
}

// KEFU_DATABASE_MAX_CONNS (Options.MaxConns) bounds the pool: a burst of
// twice as many queries never holds more connections than that.
func TestPoolHonoursItsBound(t *testing.T) {
	storetest.Each(t, store.Options{MaxConns: 3}, func(t *testing.T, d storetest.Dialect) {
		s := d.Store
		if !s.Postgres {
			return // SQLite: one writer, and readers that never close
		}
		burst(t, s, 12)
		if st := s.W.Stats(); st.MaxOpenConnections != 3 || st.OpenConnections > 3 || st.WaitCount == 0 {
			t.Fatalf("pool of 3: max %d, open %d, waited %d times; want 3, at most 3, some waits",
				st.MaxOpenConnections, st.OpenConnections, st.WaitCount)
		}
	})
}

// burst runs n queries of 20 ms at once and waits for them all.
func burst(t *testing.T, s *store.Store, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var one int
			if err := s.Get(context.Background(), &one, `SELECT 1 FROM pg_sleep(0.02)`); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// Warm opens the pool's connections ahead of the first customers, each one
// having planned a statement over every table (its catalogs read), and a
// connection the pool opens afterwards is warmed the same way before use.
func TestWarmReadiesTheConnections(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		if err := s.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		if !s.Postgres {
			return // SQLite: nothing to warm
		}
		most := s.W.Stats().MaxOpenConnections
		// Each warmed session's last statement is the warm-up, until it is
		// used again (as by this count, on one of them).
		warmed := func() int {
			var n int
			const q = `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()
				AND query LIKE '%SELECT 1 FROM % WHERE false UNION ALL %'`
			if err := s.W.GetContext(ctx, &n, q); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if open, n := s.W.Stats().OpenConnections, warmed(); open < most-2 || n < most-3 {
			t.Fatalf("after Warm: %d connections open, %d warmed; want at least %d open and warmed (the pool's %d but two)",
				open, n, most-2, most)
		}
		before := warmed()
		c, err := store.OpenConn(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if n := warmed(); n != before+1 {
			t.Fatalf("a connection opened after Warm: %d sessions warmed, want %d", n, before+1)
		}
	})
}

// A table locked exclusively (a migration's ALTER TABLE, a LOCK TABLE)
// does not hold the connections the pool opens meanwhile: their warm-up
// gives up on the lock after a moment, and a request that does not touch
// that table is answered.
func TestWarmDoesNotWaitBehindALock(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		if !s.Postgres {
			return // SQLite: nothing to warm
		}
		if err := s.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		lock, err := s.W.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Rollback()
		if _, err := lock.ExecContext(ctx, `LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := store.OpenConn(cctx, s)
		if err != nil {
			t.Fatalf("a connection opened while messages is locked: %v", err)
		}
		defer c.Close()
		var n int
		if err := s.Get(cctx, &n, `SELECT COUNT(*) FROM tenants`); err != nil {
			t.Fatalf("a query on another table while messages is locked: %v", err)
		}
		// The session's own lock_timeout is back to the default.
		var lt string
		q := c.(driver.QueryerContext)
		rows, err := q.QueryContext(cctx, `SHOW lock_timeout`, nil)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]driver.Value, 1)
		if err := rows.Next(v); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if lt = fmt.Sprint(v[0]); lt != "0" {
			t.Fatalf("lock_timeout after a timed-out warm-up = %q, want 0", lt)
		}
	})
}
