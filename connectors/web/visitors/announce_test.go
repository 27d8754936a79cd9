package visitors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/web/visitors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// dig reads a nested field of a decoded JSON object.
func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// told is what visitor.updated events said since mark: each event's
// visitors (id → page_url and state), in order.
func (a *announced) told(t *testing.T, mark int) [][]map[string]any {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var out [][]map[string]any
	for _, e := range a.evs[mark:] {
		if e.Type != hub.EvVisitorUpdated {
			continue
		}
		var p struct {
			Visitors []map[string]any `json:"visitors"`
			Visitor  map[string]any   `json:"visitor"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if (len(p.Visitors) == 1) != (p.Visitor != nil) || (p.Visitor != nil && p.Visitor["id"] != p.Visitors[0]["id"]) {
			t.Fatalf("an event of %d visitors has visitor %v", len(p.Visitors), p.Visitor)
		}
		out = append(out, p.Visitors)
	}
	return out
}

func (a *announced) mark() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.evs)
}

// A flood of changes to one visitor, among many visitors arriving, is told
// in a few events: the visitor once, in its latest state, and at most 100
// visitors an event.
func TestVisitorUpdatesCoalesce(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		x.arrive(t, visitors.Arrival{ID: "v-flood", PageURL: "https://shop.test/0"})
		x.s.Flush(ctx)
		mark := x.pub.mark()
		release := x.s.HoldRounds() // the changes below come within one window (a slow database takes longer)
		for i := 1; i <= 50; i++ {
			if err := x.s.Page(ctx, tid, "v-flood", fmt.Sprintf("https://shop.test/%d", i), "P"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := x.s.Invite(ctx, x.f.Admin, "v-flood", "hi"); err != nil {
			t.Fatal(err)
		}
		for i := range 249 {
			x.arrive(t, visitors.Arrival{ID: fmt.Sprintf("v-%03d", i), PageURL: "https://shop.test/x"})
		}
		release()
		if err := x.s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		evs := x.pub.told(t, mark)
		if len(evs) != 3 {
			t.Fatalf("250 changed visitors told in %d events, want 3 (100 a event)", len(evs))
		}
		seen := map[string]int{}
		for _, vs := range evs {
			if len(vs) > 100 {
				t.Fatalf("an event carries %d visitors", len(vs))
			}
			for _, v := range vs {
				seen[v["id"].(string)]++
				if v["id"] == "v-flood" && (v["page_url"] != "https://shop.test/50" || v["state"] != visitors.VisitorInvited) {
					t.Fatalf("the flooded visitor told as %v %v, want its latest page and invited", v["page_url"], v["state"])
				}
			}
		}
		if len(seen) != 250 || seen["v-flood"] != 1 {
			t.Fatalf("told %d visitors, v-flood %d times", len(seen), seen["v-flood"])
		}
	})
}

// Without a flush, changes are told on their own within a few rounds,
// each visitor once.
func TestVisitorUpdatesToldInRounds(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		mark := x.pub.mark()
		const n = 600 // more than one round tells of a tenant
		for i := range n {
			x.arrive(t, visitors.Arrival{ID: fmt.Sprintf("v-%03d", i)})
		}
		seen := map[string]int{}
		deadline := time.Now().Add(20 * time.Second)
		for len(seen) < n && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			clear(seen)
			for _, vs := range x.pub.told(t, mark) {
				for _, v := range vs {
					seen[v["id"].(string)]++
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("told %d of %d arrivals", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("%s told %d times", id, k)
			}
		}
	})
}

// Visitors connecting at once are written in a few transactions, not one
// each: while the writer is busy they queue, then go in batches.
func TestArrivalsBatched(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		ctx := context.Background()
		held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- x.h.K.Write(ctx, func(tx *store.Tx) error {
				if x.h.K.Postgres { // SQLite's one writer is held by the transaction itself
					if _, err := tx.Exec(ctx, `LOCK TABLE visitors IN EXCLUSIVE MODE`); err != nil {
						return err
					}
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		before := x.s.Batches()
		const n = 300
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := x.s.Arrived(ctx, &visitors.Arrival{ID: fmt.Sprintf("v-%03d", i), TenantID: x.f.Admin.TenantID,
					ChannelID: x.f.Channel.ID, ContactExternalID: fmt.Sprintf("c-%d", i), PageURL: "https://shop.test/a"})
				errs <- err
			})
		}
		// The store's writer gives up on a transaction after 10 s (its
		// write timeout), and it began waiting when the first arrival was
		// queued: the hold ends well before that even on a starved box,
		// where not every arrival may have been queued yet.
		for deadline := time.Now().Add(5 * time.Second); x.s.Queued() < n-1 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if b := x.s.Batches() - before; b > 5 {
			t.Fatalf("%d arrivals took %d transactions; want at most 5 (128 a batch)", n, b)
		}
		vs, err := x.s.List(ctx, x.f.Admin, visitors.Filter{Online: true})
		if err != nil || len(vs) != n {
			t.Fatalf("%d visitors online (%v), want %d", len(vs), err, n)
		}
		if v := x.get(t, "v-007"); v.Visits != 1 || trail(v) != "[/a]" || v.ContactExternalID != "c-7" {
			t.Fatalf("a batched arrival: %+v", v)
		}
	})
}
