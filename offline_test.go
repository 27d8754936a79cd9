package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Nobody of the target group is online (even though another group's agent
// is): the customer gets the channel's auto-reply, signed, at the callback
// URL, and a ticket holds the message. Later messages append to the open
// ticket; staff read, assign and solve it; after that the customer's next
// offline message opens a new ticket and gets the auto-reply again.
func TestOfflineMessageBecomesTicket(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		cb := newCallbackServer(t)
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		const auto = "您好，现在是下班时间，您的留言已记录，我们会尽快回复。"
		ch := adm.newCallbackChannel(cb, map[string]any{"default_group_id": "售后", "offline_message": auto})
		after := adm.newAgent("shou@kefu.test", 5, "售后") // never signs in
		other := adm.newAgent("qian@kefu.test", 5, "售前")
		other.setStatus("online")
		afterID := after.meID()

		post := func(id, cust, text string) {
			t.Helper()
			if status, body := ch.post(t, h.base, textMsg(id, cust, text)); status != 200 {
				t.Fatalf("post: %d %s", status, body)
			}
		}
		autoReplies := func(cust string) int {
			n := 0
			for _, c := range cb.received() {
				if c.Body["type"] == "message.created" && dig(c.Body, "data", "message", "text") == auto &&
					dig(c.Body, "data", "contact", "external_id") == cust {
					if !c.OK {
						t.Fatalf("auto-reply callback %s is not signed with the channel secret", c.ID)
					}
					n++
				}
			}
			return n
		}
		post("off-1", "night-1", "订单 778 还没发货")
		eventually(t, 10*time.Second, "the customer gets the offline auto-reply", func() bool { return autoReplies("night-1") == 1 })

		first := waitTicket(t, adm, []string{"订单 778 还没发货"})
		if first.Status != "open" || first.AssigneeID != nil {
			t.Fatalf("new ticket %+v, want open and unassigned", first)
		}
		// The customer's next message joins the open ticket.
		post("off-2", "night-1", "麻烦尽快处理")
		waitTicket(t, adm, []string{"订单 778 还没发货", "麻烦尽快处理"})
		// Another customer gets their own ticket.
		post("off-3", "night-2", "发票怎么开？")
		second := waitTicket(t, adm, []string{"发票怎么开？"})
		if second.ID == first.ID {
			t.Fatal("two customers share a ticket")
		}
		eventually(t, 10*time.Second, "the second customer gets the auto-reply", func() bool { return autoReplies("night-2") == 1 })
		if n := len(listTickets(t, adm)); n != 2 {
			t.Fatalf("%d tickets, want 2", n)
		}
		if n := autoReplies("night-1"); n != 1 {
			t.Fatalf("the first customer got %d auto-replies for one open ticket, want 1", n)
		}

		// Staff work the ticket over REST; a plain agent may read it too.
		got := getTicket(t, after, first.ID)
		if got.texts() != "订单 778 还没发货|麻烦尽快处理" {
			t.Fatalf("ticket as the agent reads it: %s", got.texts())
		}
		var assigned ticketView
		adm.must(200, "POST", "/api/v1/tickets/"+first.ID+"/assign", map[string]any{"agent_id": afterID}).json(t, &assigned)
		if assigned.AssigneeID == nil || *assigned.AssigneeID != afterID {
			t.Fatalf("assigned ticket %+v", assigned)
		}
		r := adm.do("POST", "/api/v1/tickets/"+first.ID+"/assign", map[string]any{"agent_id": "ag_nobody"})
		if r.status != 400 {
			t.Fatalf("assign to a missing agent: %d %s, want 400", r.status, r.body)
		}
		var mine []ticketView
		listTicketsQ(t, adm, "?assignee="+afterID, &mine)
		if len(mine) != 1 || mine[0].ID != first.ID {
			t.Fatalf("tickets assigned to the agent: %+v", mine)
		}
		var solved ticketView
		after.must(200, "POST", "/api/v1/tickets/"+first.ID+"/solve", nil).json(t, &solved)
		if solved.Status != "solved" || solved.SolvedAt == nil {
			t.Fatalf("solved ticket %+v", solved)
		}

		// After it is solved, the customer's next offline message opens a new
		// ticket, and they are told again that nobody is online.
		post("off-4", "night-1", "又有一个新问题")
		third := waitTicket(t, adm, []string{"又有一个新问题"})
		if third.ID == first.ID || third.Status != "open" {
			t.Fatalf("after solving, the new message went to %+v", third)
		}
		if old := getTicket(t, adm, first.ID); old.Status != "solved" || old.texts() != "订单 778 还没发货|麻烦尽快处理" {
			t.Fatalf("the solved ticket changed: %+v %s", old, old.texts())
		}
		eventually(t, 10*time.Second, "the auto-reply for the new ticket", func() bool { return autoReplies("night-1") == 2 })
		adm.must(404, "GET", "/api/v1/tickets/tk_doesnotexist", nil)

		// Once an agent of the group is online, the customer's next message
		// brings the conversation to them, with what was written meanwhile.
		after.setStatus("online")
		sa := after.dial(-1)
		post("off-5", "night-1", "现在有人吗？")
		ev := sa.waitFor("conversation.assigned", 10*time.Second, nil)
		if dig(ev, "data", "conversation", "contact", "external_id") != "night-1" {
			t.Fatalf("assigned %v", ev)
		}
		if ids := messageExternalIDs(ev); !strings.Contains(strings.Join(ids, ","), "off-1,off-2,off-4,off-5") {
			t.Fatalf("the agent got history %v, want every message of the customer", ids)
		}
	})
}

// An agent of the group is signed in but busy: the conversation waits in the
// queue — no ticket, no offline auto-reply — and is assigned when they are
// back online.
func TestBusyAgentQueuesInsteadOfTicket(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		cb := newCallbackServer(t)
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.newCallbackChannel(cb, map[string]any{"default_group_id": "售后"})
		a := adm.newAgent("lunch@kefu.test", 5, "售后")
		a.setStatus("busy")
		aID := a.meID()

		if status, body := ch.post(t, h.base, textMsg("busy-1", "bc", "有人吗")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		var convID string
		eventually(t, 10*time.Second, "the conversation is queued", func() bool {
			var list struct{ Conversations []struct{ ID string } }
			adm.must(200, "GET", "/api/v1/conversations?status=queued", nil).json(t, &list)
			if len(list.Conversations) == 1 {
				convID = list.Conversations[0].ID
				return true
			}
			return false
		})
		eventually(t, 10*time.Second, "the developer is told it is queued", func() bool {
			for _, c := range cb.received() {
				if c.Body["type"] == "conversation.queued" && c.Body["conversation_id"] == convID {
					return true
				}
			}
			return false
		})
		a.setStatus("online")
		eventually(t, 10*time.Second, "the agent gets it when back online", func() bool {
			var c struct {
				Status     string  `json:"status"`
				AssigneeID *string `json:"assignee_id"`
			}
			adm.must(200, "GET", "/api/v1/conversations/"+convID, nil).json(t, &c)
			return c.Status == "open" && c.AssigneeID != nil && *c.AssigneeID == aID
		})
		eventually(t, 10*time.Second, "the developer is told it is assigned", func() bool {
			for _, c := range cb.received() {
				if c.Body["type"] == "conversation.assigned" && c.Body["conversation_id"] == convID {
					return true
				}
			}
			return false
		})
		for _, c := range cb.received() {
			if c.Body["type"] == "message.created" || c.Body["type"] == "conversation.offline" {
				t.Fatalf("a busy agent's group sent an offline reply: %v", c.Body)
			}
		}
		if n := len(listTickets(t, adm)); n != 0 {
			t.Fatalf("%d tickets, want none: somebody was signed in", n)
		}
	})
}

// --- helpers ---

type ticketView struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	AssigneeID     *string    `json:"assignee_id"`
	ConversationID string     `json:"conversation_id"`
	SolvedAt       *time.Time `json:"solved_at"`
	Messages       []struct {
		Text string `json:"text"`
		Seq  int64  `json:"seq"`
	} `json:"messages"`
}

func (tv ticketView) texts() string {
	var out []string
	for _, m := range tv.Messages {
		out = append(out, m.Text)
	}
	return strings.Join(out, "|")
}

func listTicketsQ(t *testing.T, c *client, query string, out *[]ticketView) {
	t.Helper()
	var list struct{ Tickets []ticketView }
	c.must(200, "GET", "/api/v1/tickets"+query, nil).json(t, &list)
	*out = list.Tickets
}

func listTickets(t *testing.T, c *client) []ticketView {
	t.Helper()
	var out []ticketView
	listTicketsQ(t, c, "", &out)
	return out
}

func getTicket(t *testing.T, c *client, id string) ticketView {
	t.Helper()
	var tv ticketView
	c.must(200, "GET", "/api/v1/tickets/"+id, nil).json(t, &tv)
	return tv
}

// waitTicket waits for an unsolved ticket holding exactly these customer
// messages, in order.
func waitTicket(t *testing.T, c *client, texts []string) ticketView {
	t.Helper()
	want := strings.Join(texts, "|")
	var found ticketView
	eventually(t, 10*time.Second, fmt.Sprintf("a ticket with %q", texts), func() bool {
		for _, tk := range listTickets(t, c) {
			if tk.Status == "solved" {
				continue
			}
			full := getTicket(t, c, tk.ID)
			if full.texts() == want {
				found = full
				return true
			}
		}
		return false
	})
	return found
}
