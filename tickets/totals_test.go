package tickets_test

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
	"github.com/kefu-hub/kefu/tickets"
)

// Two processes on one database create, assign, reassign (each other's
// tickets too, the same ones at once), move and reopen tickets, and a
// ticket is deleted by plain SQL: afterwards every badge still equals its
// list and a plain COUNT, for an admin and for each agent.
func TestCountsAcrossTwoProcesses(t *testing.T) {
	eachClocked(t, func(t *testing.T, x *fx, clk *clock, d storetest.Dialect) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		k2, err := store.Open(ctx, d.URL, d.Dir, store.Options{Now: clk.now, Keys: storetest.Keys}) // another process
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k2.Close() })
		procs := []*tickets.Store{x.Tickets, hubtest.Build(k2).Tickets}
		li, wang := x.agent(hub.RoleAgent), x.agent(hub.RoleAgent)
		off, _, _ := x.leave(x.f.Channel, "c1", "留言")
		c := mustTicket(t, x, off)
		assignees := []string{"", li.ID, wang.ID}
		var mu sync.Mutex
		var made []string
		var wg sync.WaitGroup
		for p, s := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(p)))
				for i := range 30 {
					n := tickets.NewTicket{Subject: fmt.Sprintf("进程%d 工单%d", p, i), ContactID: c.ContactID, ChannelID: c.ChannelID,
						CreatedBy: x.f.Admin.ID}
					if a := assignees[i%3]; a != "" {
						n.AssigneeID = &a
					}
					tk, err := s.Create(ctx, tid, n)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					made = append(made, tk.ID)
					other := made[rng.Intn(len(made))]
					mu.Unlock()
					a := assignees[rng.Intn(3)]
					if _, err := s.Update(ctx, tid, other, tickets.Change{AssigneeID: &a}); err != nil {
						t.Error(err)
					}
					switch i % 4 {
					case 1:
						_, err = s.Update(ctx, tid, tk.ID, tickets.Change{Status: ptr(tickets.Solved)})
					case 2:
						if _, err = s.Update(ctx, tid, tk.ID, tickets.Change{Status: ptr(tickets.Closed)}); err == nil {
							_, err = s.Reopen(ctx, tid, tk.ID)
						}
					case 3:
						_, err = s.Update(ctx, tid, tk.ID, tickets.Change{Status: ptr(tickets.Pending)})
					}
					if err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if _, err := x.K.Exec(ctx, `DELETE FROM tickets WHERE id = ?`, made[0]); err != nil {
			t.Fatal(err)
		}
		var total int
		if err := x.K.Get(ctx, &total, `SELECT COUNT(*) FROM tickets WHERE tenant_id = ?`, tid); err != nil || total != 60 {
			t.Fatalf("%d tickets (%v), want 60 (61 made, one deleted)", total, err)
		}
		for _, s := range procs {
			for _, who := range []struct{ me, viewer string }{{x.f.Admin.ID, ""}, {li.ID, li.ID}, {wang.ID, wang.ID}} {
				got := badges(t, s, tid, who.me, who.viewer, "after both processes")
				var mine int
				if err := x.K.Get(ctx, &mine, `SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND assignee_id = ?
					AND status IN ('new', 'open', 'pending')`, tid, who.me); err != nil || got["mine"] != mine {
					t.Errorf("%s's mine %d, COUNT %d (%v)", who.me, got["mine"], mine, err)
				}
				if who.viewer == "" && got["all"] != total {
					t.Errorf("all %d, COUNT %d", got["all"], total)
				}
				if who.viewer != "" && (got["all"] == 0 || got["all"] >= total) {
					t.Errorf("%s sees %d of %d tickets: their own and the unassigned only", who.me, got["all"], total)
				}
			}
		}
	})
}
