package reports_test

import (
	"context"
	"sync"
	"testing"

	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// reopen opens a second kernel on the dialect's database, as a restarted
// (or another) hub process would.
func reopen(t *testing.T, d storetest.Dialect, clk *clock) *store.Store {
	t.Helper()
	k, err := store.Open(context.Background(), d.URL, d.Dir, store.Options{Now: clk.Now, Keys: storetest.Keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// The rollup comes out the same when the events are applied a few at a
// time, across a restart, and (PostgreSQL: a cluster) by two processes
// at once while events keep coming: no event is counted twice or missed —
// the agents' attendance neither.
func TestRollupAcrossRestartAndTwoProcesses(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		first := reports.New(d.Store, reports.Options{Batch: 4})
		emit(t, d.Store, clk, history[:15])
		emit(t, d.Store, clk, statuses[:4]) // attendance too
		catchUp(t, first)
		catchUp(t, first) // nothing new: nothing changes

		k2 := reopen(t, d, clk)
		second := reports.New(k2, reports.Options{Batch: 3})
		if d.Name == "postgres" {
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, r := range []*reports.Store{first, second} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						if err := r.CatchUp(ctx); err != nil && ctx.Err() == nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			emit(t, k2, clk, history[15:])
			emit(t, k2, clk, statuses[4:])
			stop()
			wg.Wait()
		} else {
			emit(t, k2, clk, history[15:])
			emit(t, k2, clk, statuses[4:])
		}
		settled(t, second, k2)
		catchUp(t, first)
		for _, c := range []struct {
			day  string
			want reports.Counts
		}{{"2026-11-30", wantNov30}, {"2026-12-01", wantDec1}, {"2026-12-02", wantDec2}} {
			if diff := diff(c.want, totals(t, second, c.day, c.day, reports.Filter{})); diff != "" {
				t.Errorf("%s: %s", c.day, diff)
			}
		}
		att, err := second.Attendance(context.Background(), tenant, period(t, "2026-11-30", "2026-12-01"), "",
			utc("2026-12-01 12:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := wantAttendance()
		// Held time (TestFixtureConcurrency): a1 2060 s; a2 held c2 until
		// its transfer (900 s), c8 is not in this history.
		want[1].HeldSeconds, want[2].HeldSeconds = 2060, 900
		if diff := diff(want, att); diff != "" {
			t.Errorf("attendance (want, got):\n%s", diff)
		}
	})
}
