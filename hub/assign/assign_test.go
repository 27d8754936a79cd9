package assign_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// routeAll routes every conversation from 8 goroutines over both hubs at
// once, as arrivals do, then drains the queue from all of them, as the
// sweepers do.
func routeAll(t *testing.T, hs [2]*hubtest.Hub, tenantID string, ids []string) {
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := hs[w%2].Assign.Router
			for i := range ids {
				id := ids[(i*7+w*13)%len(ids)]
				if _, err := r.Route(context.Background(), id, false); err != nil {
					t.Error(err)
					return
				}
			}
			for k := 0; k < 3; k++ {
				if _, _, err := r.Drain(context.Background(), tenantID); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}

// twoProcessesPostgres builds two hubs on one fresh PostgreSQL database,
// as two hub processes of a cluster share it.
func twoProcessesPostgres(t *testing.T) [2]*hubtest.Hub {
	t.Helper()
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" {
		t.Skip("PostgreSQL only (KEFU_TEST_EMBEDDED_ONLY=1)")
	}
	url := storetest.FreshPostgres(t)
	var hs [2]*hubtest.Hub
	for i := range hs {
		k, err := store.Open(context.Background(), url, "", store.Options{Keys: storetest.Keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		hs[i] = hubtest.Build(k)
	}
	return hs
}

// Several processes routing the same burst on PostgreSQL: no agent above
// their maximum, no conversation assigned twice, and round robin shared
// across processes (each agent within one of the others).
func TestConcurrentRoutingPostgres(t *testing.T) {
	hs := twoProcessesPostgres(t)
	ctx := context.Background()
	h := hs[0]
	f := h.NewTenant(t)
	for _, tc := range []struct {
		group      string
		max, convs int
	}{{"capped", 3, 200}, {"rotation", 1000, 300}} {
		g := h.NewGroup(t, f.Admin.TenantID, tc.group, identity.GroupPatch{Policy: ptr(routing.RoundRobin)})
		var agents []*hub.Agent
		for i := 0; i < 10; i++ {
			agents = append(agents, h.OnlineAgent(t, f.Admin.TenantID, tc.max, g.ID))
		}
		var batch []hub.Inbound
		for i := 0; i < tc.convs; i++ {
			m := f.Msg(fmt.Sprintf("%s-m%d", tc.group, i), fmt.Sprintf("%s-c%d", tc.group, i))
			m.Group = g.ID
			batch = append(batch, m)
		}
		var ids []string
		for _, r := range h.Inbox.Ingest(ctx, batch) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			ids = append(ids, r.ConversationID)
		}
		routeAll(t, hs, f.Admin.TenantID, ids)
		counts := map[string]int{}
		open := 0
		for _, a := range agents {
			got, err := h.Identity.Agents.Get(ctx, f.Admin.TenantID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.CurrentChats > tc.max {
				t.Fatalf("%s: agent holds %d chats, max %d", tc.group, got.CurrentChats, tc.max)
			}
			convs, err := h.Conversations.List(ctx, f.Admin, conversations.Filter{Status: hub.ConvOpen, Assignee: a.ID, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(convs) != got.CurrentChats {
				t.Fatalf("%s: %d open conversations but current_chats %d", tc.group, len(convs), got.CurrentChats)
			}
			counts[a.ID] = len(convs)
			open += len(convs)
		}
		if want := min(tc.convs, 10*tc.max); open != want {
			t.Fatalf("%s: %d conversations assigned, want %d", tc.group, open, want)
		}
		lo, hi := tc.convs, 0
		for _, n := range counts {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			t.Fatalf("%s: round robin spread %d..%d across agents: %v", tc.group, lo, hi, counts)
		}
		var twice int
		q := `SELECT COUNT(*) FROM (SELECT conversation_id FROM assignments GROUP BY conversation_id HAVING COUNT(*) > 1) x`
		if err := h.K.Get(ctx, &twice, q); err != nil || twice != 0 {
			t.Fatalf("%d conversations assigned more than once (%v)", twice, err)
		}
		assertWaitingIndex(t, h)
	}
}

// assertWaitingIndex checks the routing store's queue index against the
// conversations: waiting exactly while queued, since the same instant.
func assertWaitingIndex(t *testing.T, h *hubtest.Hub) {
	t.Helper()
	var bad []struct {
		ID     string         `db:"id"`
		Status hub.ConvStatus `db:"status"`
	}
	q := `SELECT c.id, c.status FROM conversations c LEFT JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE (c.status = 'queued') <> COALESCE(r.waiting, FALSE)
		OR (c.status = 'queued' AND r.queued_at <> c.queued_at)`
	if err := h.K.Select(context.Background(), &bad, q); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("the waiting index disagrees with %d conversations: %+v", len(bad), bad)
	}
}

// A greeting timer armed by one process fires once, after a restart (new
// stores on the same database), even with two processes sweeping at once.
func TestTimerFiresOnceAcrossProcesses(t *testing.T) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			d := storetest.Open(t, name, store.Options{})
			openAt := func() *hubtest.Hub {
				k, err := store.Open(ctx, d.URL, d.Dir, store.Options{Keys: storetest.Keys})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { k.Close() })
				return hubtest.Build(k)
			}
			h := hubtest.Build(d.Store)
			f := h.NewTenant(t)
			if _, err := h.Automations.Put(ctx, f.Admin.TenantID, "", []byte(`{"greeting":{"enabled":true,"after_seconds":1,"text":"欢迎"}}`)); err != nil {
				t.Fatal(err)
			}
			r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("g1", "gc")})[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if _, err := h.Assign.Router.FireDueTimers(ctx, h.Timers, 10); err != nil { // not due yet
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			others := []*hubtest.Hub{openAt(), openAt()} // "restarted" processes
			d.Store.Close()                              // the first one is gone
			var wg sync.WaitGroup
			for _, o := range others {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := o.Assign.Router.FireDueTimers(ctx, o.Timers, 10); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			ms, err := others[0].Conversations.Messages(ctx, f.Admin, r.ConversationID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, m := range ms {
				if m.Text == "欢迎" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("the greeting was sent %d times, want once", n)
			}
		})
	}
}

// The queue index follows every way into and out of the queue: routing,
// transfer to a group and back to an agent, an agent disabled, closing a
// waiting conversation, going offline.
func TestWaitingIndexFollowsEveryMove(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		g := h.NewGroup(t, f.Admin.TenantID, "售后", identity.GroupPatch{})
		a := h.OnlineAgent(t, f.Admin.TenantID, 1, g.ID)
		var ids []string
		for i := 0; i < 4; i++ {
			m := f.Msg(fmt.Sprintf("w%d", i), fmt.Sprintf("wc%d", i))
			m.Group = g.ID
			r := h.Inbox.Ingest(ctx, []hub.Inbound{m})[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if _, err := h.Assign.Router.AfterIngest(ctx, f.Admin.TenantID, []assign.Stored{r.Stored()}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ConversationID)
		}
		assertWaitingIndex(t, h) // one assigned, three waiting
		if _, err := h.Assign.Handoffs.Transfer(ctx, f.Admin, ids[0], assign.Transfer{GroupID: g.ID, Reason: "r"}); err != nil {
			t.Fatal(err)
		}
		assertWaitingIndex(t, h)
		if _, err := h.Assign.Handoffs.Close(ctx, f.Admin, ids[1], conversations.Closing{Reason: "x"}); err != nil {
			t.Fatal(err)
		}
		assertWaitingIndex(t, h)
		if _, _, err := h.Assign.Router.Drain(ctx, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		assertWaitingIndex(t, h)
		if _, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, a.ID, identity.Patch{Disabled: ptr(true)},
			h.Assign.Handoffs.SignOffTo("")); err != nil {
			t.Fatal(err)
		}
		assertWaitingIndex(t, h)                                                   // the agent's conversation waits again
		if _, _, err := h.Assign.Router.Drain(ctx, f.Admin.TenantID); err != nil { // nobody online: tickets
			t.Fatal(err)
		}
		assertWaitingIndex(t, h)
		line, err := h.Assign.Router.TenantsWithQueue(ctx)
		if err != nil || len(line) != 0 {
			t.Fatalf("tenants with a queue after everything went offline: %v (%v)", line, err)
		}
	})
}

// Customers who arrive in one inbox batch queue in arrival order: with room
// for one waiting conversation, the second customer waits and the third
// finds the queue full (the third, opened later in the same batch, does not
// count against the second).
func TestBatchQueuesInArrivalOrder(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		g := h.NewGroup(t, f.Admin.TenantID, "小组", identity.GroupPatch{MaxQueue: ptr(1)})
		h.OnlineAgent(t, f.Admin.TenantID, 1, g.ID)
		var batch []hub.Inbound
		for i := 1; i <= 3; i++ {
			m := f.Msg(fmt.Sprintf("b%d", i), fmt.Sprintf("bc%d", i))
			m.Group = g.ID
			batch = append(batch, m)
		}
		ds := h.Route(ctx, h.Inbox.Ingest(ctx, batch))
		var got []assign.Outcome
		for _, d := range ds {
			got = append(got, d.Outcome)
		}
		want := []assign.Outcome{assign.Assigned, assign.Queued, assign.Offline}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("outcomes in arrival order: %v, want %v", got, want)
		}
	})
}

// A sweep that routes a new conversation before the ingest's own routing
// does (a busy pipeline) does not tell the customer their place twice.
func TestQueuePlaceToldOnce(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		h.OnlineAgent(t, f.Admin.TenantID, 1)
		h.Route(ctx, h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("o1", "oc1")})) // takes the only seat
		r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("o2", "oc2")})[0]
		if _, _, err := h.Assign.Router.Drain(ctx, f.Admin.TenantID); err != nil { // the sweep comes first
			t.Fatal(err)
		}
		if _, err := h.Assign.Router.AfterIngest(ctx, f.Admin.TenantID, []assign.Stored{r.Stored()}); err != nil {
			t.Fatal(err)
		}
		tr, err := h.Conversations.Transcript(ctx, f.Admin, r.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		var told []string
		for _, m := range tr.Messages {
			if m.SenderType == hub.SenderSystem {
				told = append(told, m.Text)
			}
		}
		if len(told) != 1 || !strings.Contains(told[0], "前面还有 0 位") {
			t.Fatalf("the waiting customer was told %q, want their place once", told)
		}
	})
}

// Round robin stays even while seats free up under it: two processes drain
// a round-robin queue as agents (at most 3 chats each) each close their
// oldest chat in turn. While everyone is full, the agent who frees a seat
// first takes the next chat (nobody is kept waiting for the agent whose
// turn it is), so agents end a few assignments apart (of about 30), not one.
func TestRoundRobinWithClosesPostgres(t *testing.T) {
	hs := twoProcessesPostgres(t)
	ctx := context.Background()
	h := hs[0]
	f := h.NewTenant(t)
	g := h.NewGroup(t, f.Admin.TenantID, "轮流", identity.GroupPatch{Policy: ptr(routing.RoundRobin)})
	for i := 0; i < 10; i++ {
		h.OnlineAgent(t, f.Admin.TenantID, 3, g.ID)
	}
	const convs = 300
	var batch []hub.Inbound
	for i := 0; i < convs; i++ {
		m := f.Msg(fmt.Sprintf("rw-m%d", i), fmt.Sprintf("rw-c%d", i))
		m.Group = g.ID
		batch = append(batch, m)
	}
	for _, r := range h.Inbox.Ingest(ctx, batch) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	closed := func() int {
		var n int
		if err := h.K.Get(ctx, &n, `SELECT COUNT(*) FROM conversations WHERE status = 'closed'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) { // routing workers of both processes
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, _, err := hs[w%2].Assign.Router.Drain(ctx, f.Admin.TenantID); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() { // every agent in turn closes its oldest chat, on both processes
		defer wg.Done()
		for k := 0; ; k++ {
			select {
			case <-done:
				return
			default:
			}
			var open []string
			q := `SELECT c.id FROM conversations c WHERE c.status = 'open' AND c.assigned_at =
				(SELECT MIN(o.assigned_at) FROM conversations o WHERE o.status = 'open' AND o.assignee_id = c.assignee_id)`
			if err := h.K.Select(ctx, &open, q); err != nil {
				t.Error(err)
				return
			}
			for i, id := range open {
				if _, err := hs[(k+i)%2].Assign.Handoffs.Close(ctx, f.Admin, id, conversations.Closing{Reason: "done"}); err != nil &&
					!errors.Is(err, hub.ErrConflict) && !errors.Is(err, hub.ErrNotFound) {
					t.Error(err)
				}
			}
		}
	}()
	deadline := time.Now().Add(90 * time.Second)
	for closed() < convs && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	if n := closed(); n != convs {
		t.Fatalf("%d of %d conversations went through", n, convs)
	}
	var counts []int
	if err := h.K.Select(ctx, &counts, `SELECT COUNT(*) FROM assignments GROUP BY agent_id`); err != nil {
		t.Fatal(err)
	}
	lo, hi := convs, 0
	for _, n := range counts {
		lo, hi = min(lo, n), max(hi, n)
	}
	if len(counts) != 10 || hi-lo > 3 {
		t.Fatalf("assignments per agent %v: want 10 agents at most 3 apart", counts)
	}
}

// A burst of new conversations with seats for all is assigned in one pass
// (more than one routing transaction), evenly by load, each recorded once
// with its explanation.
func TestBurstAssignedInOnePass(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		for i := 0; i < 4; i++ {
			h.OnlineAgent(t, f.Admin.TenantID, 5)
		}
		var batch []hub.Inbound
		for i := 0; i < 20; i++ {
			batch = append(batch, f.Msg(fmt.Sprintf("bp%d", i), fmt.Sprintf("bpc%d", i)))
		}
		per := map[string]int{}
		for _, d := range h.Route(ctx, h.Inbox.Ingest(ctx, batch)) {
			if d.Outcome != assign.Assigned {
				t.Fatalf("%s: %s (%s), want assigned", d.ConversationID, d.Outcome, d.Reason)
			}
			per[d.AgentID]++
		}
		for id, n := range per {
			if n != 5 {
				t.Fatalf("agent %s got %d of 20 with 4 agents of 5 seats: %v", id, n, per)
			}
		}
		var logged, history int
		if err := h.K.Get(ctx, &logged, `SELECT COUNT(*) FROM routing_log WHERE tenant_id = ? AND outcome = 'assigned'`, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		if err := h.K.Get(ctx, &history, `SELECT COUNT(*) FROM assignments WHERE tenant_id = ?`, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		if logged != 20 || history != 20 {
			t.Fatalf("%d assignments logged and %d recorded, want 20 each", logged, history)
		}
	})
}

// A routing pass decides from the agents' loads it has read and, on
// PostgreSQL, writes its claims together when it next speaks to the
// database. An agent whose last seat another transaction took in between
// is not given a second conversation: the pass runs again claim by claim,
// and the conversation waits.
func TestStaleSeatNotOverfilled(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := h.OnlineAgent(t, f.Admin.TenantID, 1)
		stored := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("stale1", "stalec1")})
		held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- h.K.Write(ctx, func(tx *store.Tx) error {
				if err := identity.ClaimSeat(ctx, tx, f.Admin.TenantID, a.ID, identity.Routed); err != nil {
					return err
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		routed := make(chan []assign.Decision, 1)
		go func() { routed <- h.Route(ctx, stored) }()
		// The pass reads the agent free (the seat is not committed yet) and,
		// on PostgreSQL, waits for the seat's row when it writes its claims.
		time.Sleep(300 * time.Millisecond)
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		ds := <-routed
		if len(ds) != 1 || ds[0].Outcome != assign.Queued {
			t.Fatalf("decisions %+v, want the conversation queued (its only agent is full)", ds)
		}
		var cur int
		if err := h.K.Get(ctx, &cur, `SELECT current_chats FROM agents WHERE id = ?`, a.ID); err != nil {
			t.Fatal(err)
		}
		if cur != 1 {
			t.Fatalf("agent of 1 seat holds %d conversations", cur)
		}
		var open int
		if err := h.K.Get(ctx, &open, `SELECT COUNT(*) FROM conversations WHERE tenant_id = ? AND status = 'open'`, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Fatalf("%d conversations open, want none", open)
		}
	})
}

// Routing that has fallen behind writes in fewer, larger transactions. On
// SQLite a pass of fresh conversations is split into transactions of 16
// (each holds the writer the inbox waits for); once the oldest has waited
// over 250 ms, a turn's 48 go in one. PostgreSQL always takes up to 64 at
// once. The clock is the store's, so "waited" is exact.
func TestBehindRoutingTakesLargerPasses(t *testing.T) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			var txs int
			d := storetest.Open(t, name, store.Options{
				Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
				TxHooks: []store.TxHook{func(context.Context, *store.Tx) error {
					mu.Lock()
					txs++
					mu.Unlock()
					return nil
				}}})
			h := hubtest.Build(d.Store)
			ctx := context.Background()
			f := h.NewTenant(t)
			h.OnlineAgent(t, f.Admin.TenantID, 200)
			route := func(prefix string, waited time.Duration) int {
				t.Helper()
				var batch []hub.Inbound
				for i := range 48 {
					batch = append(batch, f.Msg(fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("%sc%d", prefix, i)))
				}
				rs := h.Inbox.Ingest(ctx, batch)
				mu.Lock()
				now = now.Add(waited)
				txs = 0
				mu.Unlock()
				for _, d := range h.Route(ctx, rs) {
					if d.Outcome != assign.Assigned {
						t.Fatalf("%s: %s (%s), want assigned", d.ConversationID, d.Outcome, d.Reason)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				return txs
			}
			fresh, behind := route("fresh", 10*time.Millisecond), route("late", time.Second)
			want := 3
			if name == "postgres" {
				want = 1
			}
			if fresh != want || behind != 1 {
				t.Fatalf("routing transactions: %d for 48 fresh conversations (want %d), %d for 48 that waited 1 s (want 1)",
					fresh, want, behind)
			}
		})
	}
}
