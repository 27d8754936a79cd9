package chat

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A new conversation goes to the online agent with the fewest current chats;
// busy and offline agents get nothing, however idle they are.
func TestAssignFewestChats(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售前"})
		mon := adm.Monitor()
		a := adm.NewAgent("a@kefu.test", 5, "售前")
		b := adm.NewAgent("b@kefu.test", 5, "售前")
		c := adm.NewAgent("c@kefu.test", 5, "售前")
		busy := adm.NewAgent("busy@kefu.test", 5, "售前")
		off := adm.NewAgent("off@kefu.test", 5, "售前")
		ids := map[string]string{}
		for name, cl := range map[string]*kit.Client{"a": a, "b": b, "c": c, "busy": busy, "off": off} {
			ids[cl.MeID()] = name
		}
		busy.SetStatus("busy")
		a.SetStatus("online")

		n := 0
		route := func() string {
			t.Helper()
			n++
			cust := fmt.Sprintf("fc-%d", n)
			if status, body := ch.Post(t, h.Base, kit.TextMsg("fm-"+cust, cust, "你好")); status != 200 {
				t.Fatalf("post: %d %s", status, body)
			}
			return ids[mon.Assignee(mon.Conv(cust))]
		}
		// Only a is online: a gets everything, busy and off nothing.
		for i := 0; i < 3; i++ {
			if got := route(); got != "a" {
				t.Fatalf("conversation %d went to %s, want a (the only online agent)", n, got)
			}
		}
		b.SetStatus("online")
		for i := 0; i < 2; i++ { // b has 0 then 1 chats, a has 3
			if got := route(); got != "b" {
				t.Fatalf("conversation %d went to %s, want b (fewest chats)", n, got)
			}
		}
		c.SetStatus("online")
		for i := 0; i < 2; i++ { // c has 0 then 1, b 2, a 3
			if got := route(); got != "c" {
				t.Fatalf("conversation %d went to %s, want c (fewest chats)", n, got)
			}
		}
		if got := route(); got != "b" && got != "c" { // b 2, c 2, a 3
			t.Fatalf("conversation %d went to %s, want b or c (fewest chats)", n, got)
		}
		chats := map[string]int{}
		for id, cur := range adm.CurrentChats() {
			chats[ids[id]] = cur
		}
		if chats["a"] != 3 || chats["b"]+chats["c"] != 5 || chats["busy"] != 0 || chats["off"] != 0 {
			t.Fatalf("current chats %v, want a:3, b+c:5, busy:0, off:0", chats)
		}
	})
}

// When every agent is full, new conversations wait in a queue (visible to
// admins) and are assigned first come, first served as chats close; the
// agent then gets everything the customer wrote while waiting.
func TestAssignQueueFIFO(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售后"})
		mon := adm.Monitor()
		a := adm.NewAgent("solo@kefu.test", 2, "售后")
		a.SetStatus("online")
		aID := a.MeID()
		sa := kit.Watch(a.Dial(-1))

		conv := map[string]string{}
		for i := 1; i <= 5; i++ {
			cust := fmt.Sprintf("q%d", i)
			if status, body := ch.Post(t, h.Base, kit.TextMsg("qm-"+cust, cust, "排队 "+cust)); status != 200 {
				t.Fatalf("post: %d %s", status, body)
			}
			conv[cust] = mon.Conv(cust)
			if i <= 2 {
				if got := mon.Assignee(conv[cust]); got != aID {
					t.Fatalf("%s assigned to %q, want the free agent", cust, got)
				}
			} else {
				mon.WaitEvent("conversation.queued", conv[cust]) // in order, so the queue order is known
			}
		}
		// q4 writes again while waiting.
		if status, body := ch.Post(t, h.Base, kit.TextMsg("qm-q4-2", "q4", "还在吗？")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		queued := func(want ...string) {
			t.Helper()
			var ids []string
			for _, w := range want {
				ids = append(ids, conv[w])
			}
			sort.Strings(ids)
			var got []string
			r := adm.Must(200, "GET", "/api/v1/conversations?status=queued", nil)
			var list struct{ Conversations []struct{ ID, Status string } }
			r.JSON(t, &list)
			for _, c := range list.Conversations {
				got = append(got, c.ID)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Fatalf("queued conversations %v, want %v (%v)", got, want, ids)
			}
		}
		queued("q3", "q4", "q5")
		if cur := adm.CurrentChats()[aID]; cur != 2 {
			t.Fatalf("agent has %d current chats, want 2", cur)
		}

		// Each close frees one seat, which goes to the oldest waiting conversation.
		for _, step := range []struct{ close, next string }{{"q1", "q3"}, {"q2", "q4"}, {"q3", "q5"}} {
			a.Must(200, "POST", "/api/v1/conversations/"+conv[step.close]+"/close", map[string]any{"reason": "solved"})
			if got := mon.Assignee(conv[step.next]); got != aID {
				t.Fatalf("%s assigned to %q", step.next, got)
			}
			switch step.next {
			case "q3":
				queued("q4", "q5")
			case "q4":
				queued("q5")
			case "q5":
				queued()
			}
			if cur := adm.CurrentChats()[aID]; cur != 2 {
				t.Fatalf("after closing %s the agent has %d current chats, want 2", step.close, cur)
			}
		}
		// The agent's own socket saw the assignments in queue order, and the
		// one for q4 carried both of q4's messages.
		assignedEvents := func() (n int) {
			for _, f := range sa.All() {
				if f["type"] == "conversation.assigned" {
					n++
				}
			}
			return n
		}
		kit.Eventually(t, 10*time.Second, "the agent's socket gets five assignments", func() bool { return assignedEvents() >= 5 })
		var order []string
		for _, f := range sa.All() {
			if f["type"] != "conversation.assigned" {
				continue
			}
			cust, _ := kit.Dig(f, "data", "conversation", "contact", "external_id").(string)
			order = append(order, cust)
			if cust == "q4" {
				if ids := kit.MessageExternalIDs(f); fmt.Sprint(ids) != "[qm-q4 qm-q4-2]" {
					t.Fatalf("q4's assignment carried %v, want both of its messages", ids)
				}
			}
		}
		if fmt.Sprint(order) != "[q1 q2 q3 q4 q5]" {
			t.Fatalf("agent was assigned %v, want [q1 q2 q3 q4 q5]", order)
		}
	})
}

// An agent transfers a conversation with a reason: the new agent gets it with
// its history and the reason, the old one is told and loses access, and the
// customer's next message goes to the new agent.
func TestTransferWithReason(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "技术支持"})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "技术支持"})
		a := adm.NewAgent("from@kefu.test", 3, "技术支持")
		b := adm.NewAgent("to@kefu.test", 3, "技术支持")
		offline := adm.NewAgent("away@kefu.test", 3, "技术支持")
		aID, bID, offID := a.MeID(), b.MeID(), offline.MeID()
		a.SetStatus("online")
		sa, sb := a.Dial(-1), kit.Watch(b.Dial(-1))

		ch.Post(t, h.Base, kit.TextMsg("tm-1", "tc", "打印机连不上"))
		ev := sa.WaitFor("conversation.assigned", 10*time.Second, nil)
		convID := kit.Dig(ev, "data", "conversation", "id").(string)
		ch.Post(t, h.Base, kit.TextMsg("tm-2", "tc", "型号是 HP 1020"))
		sa.WaitFor("message.created", 10*time.Second, nil)
		b.SetStatus("online")

		// An offline agent cannot take it.
		r := a.Do("POST", "/api/v1/conversations/"+convID+"/transfer", map[string]any{"agent_id": offID, "reason": "x"})
		if r.Status != 409 {
			t.Fatalf("transfer to an offline agent: %d %s, want 409", r.Status, r.Body)
		}
		const reason = "需要技术支持：驱动问题"
		a.Must(200, "POST", "/api/v1/conversations/"+convID+"/transfer", map[string]any{"agent_id": bID, "reason": reason})

		tr := sa.WaitFor("conversation.transferred", 10*time.Second, nil)
		if kit.Dig(tr, "data", "reason") != reason || kit.Dig(tr, "data", "to_agent_id") != bID || kit.Dig(tr, "conversation_id") != convID {
			t.Fatalf("old agent's transfer event %v", tr)
		}
		var got map[string]any
		kit.Eventually(t, 10*time.Second, "the new agent gets the conversation", func() bool {
			for _, f := range sb.All() {
				if f["type"] == "conversation.assigned" && kit.Dig(f, "conversation_id") == convID {
					got = f
					return true
				}
			}
			return false
		})
		if kit.Dig(got, "data", "reason") != reason || kit.Dig(got, "data", "from_agent_id") != aID {
			t.Fatalf("new agent's assignment lacks the reason or the previous agent: %v", got)
		}
		if ids := kit.MessageExternalIDs(got); fmt.Sprint(ids) != "[tm-1 tm-2]" {
			t.Fatalf("new agent's assignment carried %v, want the whole history", ids)
		}
		a.Must(404, "GET", "/api/v1/conversations/"+convID, nil)
		b.Must(200, "GET", "/api/v1/conversations/"+convID, nil)
		chats := adm.CurrentChats()
		if chats[aID] != 0 || chats[bID] != 1 {
			t.Fatalf("current chats from=%d to=%d, want 0 and 1", chats[aID], chats[bID])
		}

		// The customer's next message goes to the new agent only.
		ch.Post(t, h.Base, kit.TextMsg("tm-3", "tc", "还是不行"))
		kit.Eventually(t, 10*time.Second, "the new agent gets the next message", func() bool {
			for _, f := range sb.All() {
				if f["type"] == "message.created" && kit.Dig(f, "data", "message", "external_id") == "tm-3" {
					return true
				}
			}
			return false
		})
		// The previous agent never sees it: the next conversation it is given
		// (it now has the fewest chats) comes with a later event id, and
		// nothing of the transferred conversation comes before it.
		ch.Post(t, h.Base, kit.TextMsg("tm-4", "tc-next", "另一个问题"))
		for {
			f := sa.Next(10 * time.Second)
			if kit.Dig(f, "conversation_id") == convID {
				t.Fatalf("the previous agent still receives the transferred conversation: %v", f)
			}
			if f["type"] == "conversation.assigned" && kit.Dig(f, "data", "conversation", "contact", "external_id") == "tc-next" {
				break
			}
		}
	})
}

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
