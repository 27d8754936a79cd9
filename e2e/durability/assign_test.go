package durability

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Two hub processes on one PostgreSQL + NATS route conversations from many
// new customers at once (posts split across both): no agent ever holds more
// chats than their maximum, no conversation is assigned twice, and closing
// conversations drains the queue until every one was served.
func TestTwoHubsNeverOverAssign(t *testing.T) {
	t.Parallel()
	cm := kit.ClusterOnly(t)
	const agents, maxChats, customers = 4, 3, 40
	e := kit.NewEnv(t, cm)
	h1 := e.Start()
	h2 := e.Start()
	hubs := []*kit.Hub{h1, h2}
	kit.DropIdleConns(t)
	adm := h1.Admin()
	adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
	ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售前"})
	for i := 0; i < agents; i++ {
		ag := adm.NewAgent(fmt.Sprintf("cap%d@kefu.test", i), maxChats, "售前")
		ag.On(hubs[i%2]).SetStatus("online")
	}
	d := kit.StoreDB(t, e)
	var tenantID string
	if err := d.Get(&tenantID, d.Rebind(`SELECT tenant_id FROM channels WHERE id = ?`), ch.ID); err != nil {
		t.Fatal(err)
	}

	// Sample the invariants all along: in one statement (one snapshot), every
	// agent's open conversations are at most max, and their counter agrees.
	stop := make(chan struct{})
	sampled := make(chan int)
	go func() {
		n := 0
		defer func() { sampled <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			var rows []struct {
				ID      string `db:"id"`
				Max     int    `db:"max_chats"`
				Current int    `db:"current_chats"`
				Open    int    `db:"open"`
			}
			err := d.Select(&rows, d.Rebind(`SELECT a.id, a.max_chats, a.current_chats,
				(SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'open') AS open
				FROM agents a WHERE a.tenant_id = ? AND a.role = 'agent'`), tenantID)
			if err != nil {
				t.Errorf("sample: %v", err)
				return
			}
			for _, r := range rows {
				if r.Open > r.Max || r.Current > r.Max || r.Current != r.Open {
					t.Errorf("agent %s: %d open conversations, current_chats %d, max %d", r.ID, r.Open, r.Current, r.Max)
				}
			}
			n++
		}
	}()
	var stopOnce sync.Once
	stopSampling := func() {
		stopOnce.Do(func() {
			close(stop)
			if n := <-sampled; n < 10 {
				t.Errorf("only %d samples taken", n)
			}
		})
	}
	t.Cleanup(stopSampling)

	// Every customer writes twice, once to each process; half of them send
	// both at the same moment.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < customers; i++ {
		for k := 0; k < 2; k++ {
			wg.Add(1)
			go func(i, k int) {
				defer wg.Done()
				if k == 1 && i%2 == 0 {
					time.Sleep(20 * time.Millisecond)
				}
				sem <- struct{}{}
				defer func() { <-sem }()
				cust := fmt.Sprintf("cap-c%d", i)
				status, err := kit.TrySend(ch, hubs[(i+k)%2].Base, kit.TextMsg(fmt.Sprintf("%s-m%d", cust, k), cust, "在吗"))
				if err != nil || status != 200 {
					t.Errorf("post %s #%d: %d %v", cust, k, status, err)
				}
			}(i, k)
		}
	}
	wg.Wait()
	if t.Failed() {
		stopSampling()
		return
	}
	count := func(status string) int {
		var n int
		if err := d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ? AND status = ?`), ch.ID, status); err != nil {
			t.Fatal(err)
		}
		return n
	}
	kit.Eventually(t, 20*time.Second, "every message stored", func() bool {
		var n int
		d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM messages WHERE channel_id = ? AND direction = 'in'`), ch.ID)
		return n == 2*customers
	})
	kit.Eventually(t, 20*time.Second, "every seat taken and the rest queued", func() bool {
		return count("open") == agents*maxChats && count("queued") == customers-agents*maxChats
	})
	queuedNow := adm.On(h2).Must(200, "GET", "/api/v1/conversations?status=queued", nil)
	var ql struct{ Conversations []struct{ ID string } }
	queuedNow.JSON(t, &ql)
	if len(ql.Conversations) != customers-agents*maxChats {
		t.Fatalf("admin sees %d queued conversations, want %d", len(ql.Conversations), customers-agents*maxChats)
	}
	for id, cur := range adm.CurrentChats() {
		if cur > maxChats {
			t.Fatalf("agent %s reports %d current chats, max %d", id, cur, maxChats)
		}
	}

	// Agents close their chats, on both processes at once, until everyone was served.
	deadline := time.Now().Add(40 * time.Second)
	for count("closed") < customers {
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d closed, %d open, %d queued", count("closed"), count("open"), count("queued"))
		}
		var open struct{ Conversations []struct{ ID string } }
		adm.Must(200, "GET", "/api/v1/conversations?status=open", nil).JSON(t, &open)
		if len(open.Conversations) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for i, c := range open.Conversations {
			wg.Add(1)
			go func(i int, id string) {
				defer wg.Done()
				r := adm.On(hubs[i%2]).Do("POST", "/api/v1/conversations/"+id+"/close", map[string]any{"reason": "done"})
				if r.Status != 200 {
					t.Errorf("close %s: %d %s", id, r.Status, r.Body)
				}
			}(i, c.ID)
		}
		wg.Wait()
	}
	stopSampling()

	var twice []string
	if err := d.Select(&twice, d.Rebind(`SELECT conversation_id FROM events WHERE tenant_id = ? AND type = 'conversation.assigned'
		GROUP BY conversation_id HAVING COUNT(*) > 1`), tenantID); err != nil {
		t.Fatal(err)
	}
	if len(twice) > 0 {
		t.Fatalf("conversations assigned more than once: %v", twice)
	}
	var assigned, convs int
	d.Get(&assigned, d.Rebind(`SELECT COUNT(*) FROM events WHERE tenant_id = ? AND type = 'conversation.assigned'`), tenantID)
	d.Get(&convs, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ?`), ch.ID)
	if assigned != customers || convs != customers {
		t.Fatalf("%d conversations, %d assignments, want %d of each", convs, assigned, customers)
	}
	var unserved int
	d.Get(&unserved, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ? AND assigned_at IS NULL`), ch.ID)
	if unserved != 0 {
		t.Fatalf("%d conversations were closed without ever being assigned", unserved)
	}
	for id, cur := range adm.CurrentChats() {
		if cur != 0 {
			t.Fatalf("agent %s still counts %d chats after every conversation closed", id, cur)
		}
	}
	kit.AssertGapFreeSeq(t, d, ch.ID)
}
