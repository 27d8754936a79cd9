package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/audit"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func each(t *testing.T, f func(t *testing.T, k *store.Store, log *audit.Store)) {
	clk := &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	storetest.Each(t, store.Options{Now: clk.Now, TxHooks: []store.TxHook{audit.Hook}}, func(t *testing.T, d storetest.Dialect) {
		f(t, d.Store, audit.New(d.Store))
	})
}

func list(t *testing.T, log *audit.Store, tenant string, f audit.Filter) []audit.Entry {
	t.Helper()
	p, err := log.List(context.Background(), tenant, f)
	if err != nil {
		t.Fatal(err)
	}
	return p.Entries
}

// A request's entry is written in the transaction of its change: not when
// that transaction rolls back, once however many transactions follow, and
// afterwards by Finish when none committed.
func TestEntryCommitsWithTheChange(t *testing.T) {
	each(t, func(t *testing.T, k *store.Store, log *audit.Store) {
		base := context.Background()
		e := audit.Entry{TenantID: "t1", ActorID: "ag_1", ActorName: "boss@kefu.test", Action: "channel.update",
			TargetType: "channel", TargetID: "ch_1", Detail: "name"}
		ctx, p := audit.Begin(base, e)
		boom := errors.New("boom")
		if err := k.Write(ctx, func(tx *store.Tx) error { return boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got := list(t, log, "t1", audit.Filter{}); len(got) != 0 {
			t.Fatalf("a rolled-back change left %d entries", len(got))
		}
		for range 2 {
			if err := k.Write(ctx, func(tx *store.Tx) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if err := log.Finish(base, p, ""); err != nil {
			t.Fatal(err)
		}
		got := list(t, log, "t1", audit.Filter{})
		if len(got) != 1 || got[0].Action != "channel.update" || got[0].ActorName != "boss@kefu.test" || got[0].TargetID != "ch_1" {
			t.Fatalf("entries %+v, want the one update", got)
		}

		// No transaction (an export): Finish records it, with the target
		// the request learnt at the end.
		_, p = audit.Begin(base, audit.Entry{TenantID: "t1", Action: "agent.create", TargetType: "agent"})
		if err := log.Finish(base, p, "ag_new"); err != nil {
			t.Fatal(err)
		}
		// A create whose id is known only after its transaction.
		ctx, p = audit.Begin(base, audit.Entry{TenantID: "t1", Action: "group.create", TargetType: "group"})
		if err := k.Write(ctx, func(tx *store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := log.Finish(base, p, "gr_new"); err != nil {
			t.Fatal(err)
		}
		if got := list(t, log, "t1", audit.Filter{Target: "ag_new"}); len(got) != 1 || got[0].Action != "agent.create" {
			t.Errorf("by target ag_new: %+v", got)
		}
		if got := list(t, log, "t1", audit.Filter{Target: "gr_new"}); len(got) != 1 || got[0].Action != "group.create" {
			t.Errorf("by target gr_new: %+v", got)
		}
	})
}

// Filters, paging and tenants.
func TestListFilters(t *testing.T) {
	each(t, func(t *testing.T, k *store.Store, log *audit.Store) {
		ctx := context.Background()
		actions := []audit.Action{"auth.login", "auth.login_failed", "api_token.create", "channel.update", "channel.delete"}
		for i := range 25 {
			e := audit.Entry{TenantID: "t1", ActorID: "ag_a", ActorName: "a@kefu.test", Action: actions[i%len(actions)],
				TargetID: "x" + string(rune('a'+i%3))}
			if i%2 == 1 {
				e.ActorID, e.ActorName = "ag_b", "b@kefu.test"
			}
			if err := log.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := log.Record(ctx, audit.Entry{TenantID: "t2", ActorName: "a@kefu.test", Action: "channel.update"}); err != nil {
			t.Fatal(err)
		}
		all := list(t, log, "t1", audit.Filter{Limit: 100})
		if len(all) != 25 || !all[0].At.After(all[24].At) {
			t.Fatalf("%d entries of t1, want 25 newest first", len(all))
		}
		count := func(f audit.Filter) int { return len(list(t, log, "t1", f)) }
		for name, c := range map[string]struct {
			f    audit.Filter
			want int
		}{
			"actor by email":    {audit.Filter{Actor: "B@kefu.test", Limit: 100}, 12},
			"actor by id":       {audit.Filter{Actor: "ag_a", Limit: 100}, 13},
			"exact action":      {audit.Filter{Action: "auth.login", Limit: 100}, 5},
			"noun":              {audit.Filter{Action: "channel", Limit: 100}, 10},
			"noun with _":       {audit.Filter{Action: "api_token", Limit: 100}, 5},
			"no wildcard":       {audit.Filter{Action: "%", Limit: 100}, 0},
			"target":            {audit.Filter{Target: "xa", Limit: 100}, 9},
			"from":              {audit.Filter{From: all[4].At, Limit: 100}, 5},
			"to":                {audit.Filter{To: all[4].At, Limit: 100}, 20},
			"actor and action":  {audit.Filter{Actor: "a@kefu.test", Action: "auth", Limit: 100}, 5},
			"other tenant's id": {audit.Filter{Target: "", Actor: "nobody"}, 0},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d entries, want %d", name, got, c.want)
			}
		}
		var seen []string
		f := audit.Filter{Limit: 10}
		for {
			p, err := log.List(ctx, "t1", f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				seen = append(seen, e.ID)
			}
			if p.Next == "" {
				break
			}
			f.Cursor = p.Next
		}
		if len(seen) != 25 {
			t.Errorf("paging by 10 saw %d entries, want 25", len(seen))
		}
		for i := range seen {
			if seen[i] != all[i].ID {
				t.Fatalf("page order differs at %d", i)
			}
		}
		if _, err := log.List(ctx, "t1", audit.Filter{Cursor: "not-a-cursor"}); err == nil {
			t.Error("a forged cursor was accepted")
		}
	})
}

func TestDetailShowsNoSecrets(t *testing.T) {
	got := audit.Detail([]byte(`{"password":"hunter2-long","role":"supervisor","config":{"app_secret":"s3cr3t"},"name":"售后","groups":["a"]}`))
	if want := "config, groups, name=售后, password, role=supervisor"; got != want {
		t.Errorf("Detail = %q, want %q", got, want)
	}
	if audit.Detail([]byte(`not json`)) != "" {
		t.Error("a body that is no JSON object has a detail")
	}
}

// Prune deletes the entries older than the cut-off, of every tenant, and
// keeps the newer ones.
func TestPruneKeepsTheRetention(t *testing.T) {
	each(t, func(t *testing.T, k *store.Store, log *audit.Store) {
		ctx := context.Background()
		for _, tenant := range []string{"t1", "t2"} {
			for range 3 { // the clock moves a second per entry
				if err := log.Record(ctx, audit.Entry{TenantID: tenant, Action: audit.Login}); err != nil {
					t.Fatal(err)
				}
			}
		}
		t1, t2 := list(t, log, "t1", audit.Filter{}), list(t, log, "t2", audit.Filter{})
		newest := t2[0].At                                      // newest first
		cut := t1[0].At.Add(t2[len(t2)-1].At.Sub(t1[0].At) / 2) // after t1's entries, before t2's
		n, err := log.Prune(ctx, cut)
		if err != nil || n != 3 {
			t.Fatalf("pruned %d (%v), want t1's 3 entries older than the cut", n, err)
		}
		if got := list(t, log, "t1", audit.Filter{}); len(got) != 0 {
			t.Fatalf("t1 keeps %d entries older than the retention", len(got))
		}
		if got := list(t, log, "t2", audit.Filter{}); len(got) != 3 {
			t.Fatalf("t2 keeps %d entries, want its 3 newer ones", len(got))
		}
		if n, err := log.Prune(ctx, newest.Add(time.Second)); err != nil || n != 3 {
			t.Fatalf("second prune: %d (%v), want 3", n, err)
		}
	})
}
