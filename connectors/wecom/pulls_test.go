package wecom_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/connectors/wecom/wecomtest"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// Callbacks overlapping while customers write, on two connectors sharing
// one store (two hub processes), on each dialect: every message is
// published exactly once, in each customer's order, and the stored cursor
// ends past the last one.
func TestOverlappingPullsLoseAndRepeatNothing(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		fake := wecomtest.New(t)
		fake.SetPageSize(7)
		var mu sync.Mutex
		got := map[string][]string{} // customer → texts, in publish order
		seen := map[string]int{}
		deps := connectors.Deps{Store: d.Store, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Publish: func(_ context.Context, in hub.Inbound) error {
				mu.Lock()
				defer mu.Unlock()
				seen[in.ExternalID]++
				got[in.Contact.ExternalID] = append(got[in.Contact.ExternalID], in.Text)
				return nil
			}}
		ch := &hub.Channel{ID: "ch_pulls_" + d.Name, TenantID: "tn_pulls", Type: wecom.Type}
		procs := []*wecom.Connector{wecom.New(deps, fake.URL), wecom.New(deps, fake.URL)}
		if err := procs[0].Setup(ch, fake.Config(), false); err != nil {
			t.Fatal(err)
		}
		fake.Bind(ch)
		acct := wecomtest.AccountOf(ch)
		users := []string{"wmA", "wmB", "wmC"}
		const n = 150
		var wg sync.WaitGroup
		for i := range n {
			fake.Add(acct.OpenKfID, wecomtest.Text(fmt.Sprintf("m%03d", i), users[i%3], fmt.Sprintf("%03d", i)))
			for _, c := range procs {
				wg.Go(func() {
					if err := wecom.PullForTest(t.Context(), c, ch); err != nil {
						t.Errorf("pull: %v", err)
					}
				})
			}
		}
		wg.Wait()
		// The last callbacks may have handed their pull to a holder that
		// continues after them; a final pull makes sure all is in.
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			total := len(seen)
			mu.Unlock()
			if total == n || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
			if err := wecom.PullForTest(t.Context(), procs[0], ch); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != n {
			t.Fatalf("%d of %d messages published", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("message %s published %d times", id, k)
			}
		}
		for _, u := range users {
			for j := 1; j < len(got[u]); j++ {
				if got[u][j] <= got[u][j-1] {
					t.Fatalf("customer %s's messages out of order: %v", u, got[u])
				}
			}
		}
	})
}

// A backlog longer than one pull reads (50 pages) is pulled to its end
// without another callback: the pull hands over to the next one.
func TestLongBacklogIsPulledToTheEnd(t *testing.T) {
	fake := wecomtest.New(t)
	fake.SetPageSize(1)
	var mu sync.Mutex
	seen := map[string]int{}
	deps := connectors.Deps{Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Publish: func(_ context.Context, in hub.Inbound) error {
			mu.Lock()
			seen[in.ExternalID]++
			mu.Unlock()
			return nil
		}}
	c := wecom.New(deps, fake.URL)
	ch := &hub.Channel{ID: "ch_backlog", TenantID: "tn_backlog", Type: wecom.Type}
	if err := c.Setup(ch, fake.Config(), false); err != nil {
		t.Fatal(err)
	}
	fake.Bind(ch)
	const n = 120
	for i := range n {
		fake.Add(wecomtest.AccountOf(ch).OpenKfID, wecomtest.Text(fmt.Sprintf("b%03d", i), "wmBacklog", "x"))
	}
	if err := wecom.PullForTest(t.Context(), c, ch); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		k := len(seen)
		mu.Unlock()
		if k == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages pulled after one callback", k, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s published %d times", id, k)
		}
	}
}
