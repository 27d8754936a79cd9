package chat

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Two `kefu serve` processes on one PostgreSQL + NATS, 400 new customers
// at once for 10 round-robin agents with max 3 each, every agent closing
// its oldest chat in turn as fast as it can: no agent ever holds more than
// 3, every conversation is assigned exactly once, and the rotation stays
// fair (assignment counts, about 40 each, at most 4 apart: while everyone
// is full, whoever frees a seat first takes the next chat rather than keep
// a customer waiting for the agent whose turn it is).
func TestRaceTwoServesRoundRobin(t *testing.T) {
	t.Parallel()
	cm := kit.ClusterOnly(t)
	const agents, maxChats, customers = 10, 3, 400
	e := kit.NewEnv(t, cm)
	hubs := []*kit.Hub{e.Start(), e.Start()}
	kit.DropIdleConns(t)
	adm := hubs[0].Admin()
	adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "轮流", "policy": "round_robin", "returning_first": false})
	ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "轮流"})
	for i := 0; i < agents; i++ {
		adm.NewAgent(fmt.Sprintf("rr%d@kefu.test", i), maxChats, "轮流").On(hubs[i%2]).SetStatus("online")
	}
	d := kit.StoreDB(t, e)

	var violations atomic.Int64
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { // invariant sampler
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			var over []string
			d.Select(&over, d.Rebind(`SELECT assignee_id FROM conversations WHERE channel_id = ? AND status = 'open'
				GROUP BY assignee_id HAVING COUNT(*) > ?`), ch.ID, maxChats)
			if len(over) > 0 {
				violations.Add(1)
				t.Errorf("agents above max: %v", over)
			}
		}
	}()
	go func() { // agents finish their chats, on both processes
		defer bg.Done()
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			var open []string
			d.Select(&open, d.Rebind(`SELECT c.id FROM conversations c WHERE c.channel_id = ? AND c.status = 'open'
				AND c.assigned_at = (SELECT MIN(o.assigned_at) FROM conversations o WHERE o.status = 'open'
				AND o.assignee_id = c.assignee_id)`), ch.ID)
			for i, id := range open {
				adm.On(hubs[(k+i)%2]).Do("POST", "/api/v1/conversations/"+id+"/close", nil)
			}
			if len(open) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 0; i < customers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cust := fmt.Sprintf("rr-c%d", i)
			if status, err := kit.TrySend(ch, hubs[i%2].Base, kit.TextMsg(cust+"-m", cust, "你好")); err != nil || status != 200 {
				t.Errorf("post %s: %d %v", cust, status, err)
			}
		}(i)
	}
	wg.Wait()
	// 400 customers (each of the 30 seats taken and freed about 13 times)
	// through two processes: the bound is for a stall, not a benchmark.
	kit.Eventually(t, 240*time.Second, "every conversation assigned and closed", func() bool {
		var closed int
		d.Get(&closed, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ? AND status = 'closed'`), ch.ID)
		return closed == customers
	})
	close(stop)
	bg.Wait()
	var twice []string
	d.Select(&twice, d.Rebind(`SELECT a.conversation_id FROM assignments a JOIN conversations c ON c.id = a.conversation_id
		WHERE c.channel_id = ? GROUP BY a.conversation_id HAVING COUNT(*) <> 1`), ch.ID)
	if len(twice) > 0 {
		t.Fatalf("%d conversations not assigned exactly once, e.g. %v", len(twice), twice[0])
	}
	var counts []int
	d.Select(&counts, d.Rebind(`SELECT COUNT(*) FROM assignments a JOIN conversations c ON c.id = a.conversation_id
		WHERE c.channel_id = ? GROUP BY a.agent_id`), ch.ID)
	lo, hi, sum := customers, 0, 0
	for _, n := range counts {
		lo, hi, sum = min(lo, n), max(hi, n), sum+n
	}
	if len(counts) != agents || sum != customers || hi-lo > 4 {
		t.Fatalf("assignments per agent %v (sum %d): want %d agents at most 4 apart summing to %d", counts, sum, agents, customers)
	}
	var stuck int
	d.Get(&stuck, d.Rebind(`SELECT COUNT(*) FROM agents a JOIN group_members m ON m.agent_id = a.id WHERE a.current_chats <> 0`))
	if stuck != 0 {
		t.Fatalf("%d agents still count chats after everything closed", stuck)
	}
}
