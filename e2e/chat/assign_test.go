package chat

import (
	"fmt"
	"sort"
	"strings"
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

// --- helpers ---
