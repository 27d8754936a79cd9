package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Nobody of the target group is online (even though another group's agent
// is): the customer gets the channel's auto-reply, signed, at the callback
// URL, and a ticket holds the message. Later messages append to the open
// ticket; staff read, assign and solve it; after that the customer's next
// offline message opens a new ticket and gets the auto-reply again.
func TestOfflineMessageBecomesTicket(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
		const auto = "您好，现在是下班时间，您的留言已记录，我们会尽快回复。"
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "售后", "offline_message": auto})
		after := adm.NewAgent("shou@kefu.test", 5, "售后") // never signs in
		other := adm.NewAgent("qian@kefu.test", 5, "售前")
		other.SetStatus("online")
		afterID := after.MeID()

		post := func(id, cust, text string) {
			t.Helper()
			if status, body := ch.Post(t, h.Base, kit.TextMsg(id, cust, text)); status != 200 {
				t.Fatalf("post: %d %s", status, body)
			}
		}
		autoReplies := func(cust string) int {
			n := 0
			for _, c := range cb.Received() {
				if c.Body["type"] == "message.created" && kit.Dig(c.Body, "data", "message", "text") == auto &&
					kit.Dig(c.Body, "data", "contact", "external_id") == cust {
					if !c.OK {
						t.Fatalf("auto-reply callback %s is not signed with the channel secret", c.ID)
					}
					n++
				}
			}
			return n
		}
		post("off-1", "night-1", "订单 778 还没发货")
		kit.Eventually(t, 10*time.Second, "the customer gets the offline auto-reply", func() bool { return autoReplies("night-1") == 1 })

		first := kit.WaitTicket(t, adm, []string{"订单 778 还没发货"})
		if first.Status != "open" || first.AssigneeID != nil {
			t.Fatalf("new ticket %+v, want open and unassigned", first)
		}
		// The customer's next message joins the open ticket.
		post("off-2", "night-1", "麻烦尽快处理")
		kit.WaitTicket(t, adm, []string{"订单 778 还没发货", "麻烦尽快处理"})
		// Another customer gets their own ticket.
		post("off-3", "night-2", "发票怎么开？")
		second := kit.WaitTicket(t, adm, []string{"发票怎么开？"})
		if second.ID == first.ID {
			t.Fatal("two customers share a ticket")
		}
		kit.Eventually(t, 10*time.Second, "the second customer gets the auto-reply", func() bool { return autoReplies("night-2") == 1 })
		if n := len(kit.ListTickets(t, adm)); n != 2 {
			t.Fatalf("%d tickets, want 2", n)
		}
		if n := autoReplies("night-1"); n != 1 {
			t.Fatalf("the first customer got %d auto-replies for one open ticket, want 1", n)
		}

		// Staff work the ticket over REST; a plain agent may read it too.
		got := kit.GetTicket(t, after, first.ID)
		if got.Texts() != "订单 778 还没发货|麻烦尽快处理" {
			t.Fatalf("ticket as the agent reads it: %s", got.Texts())
		}
		var assigned kit.TicketView
		adm.Must(200, "POST", "/api/v1/tickets/"+first.ID+"/assign", map[string]any{"agent_id": afterID}).JSON(t, &assigned)
		if assigned.AssigneeID == nil || *assigned.AssigneeID != afterID {
			t.Fatalf("assigned ticket %+v", assigned)
		}
		r := adm.Do("POST", "/api/v1/tickets/"+first.ID+"/assign", map[string]any{"agent_id": "ag_nobody"})
		if r.Status != 400 {
			t.Fatalf("assign to a missing agent: %d %s, want 400", r.Status, r.Body)
		}
		var mine []kit.TicketView
		kit.ListTicketsQ(t, adm, "?assignee="+afterID, &mine)
		if len(mine) != 1 || mine[0].ID != first.ID {
			t.Fatalf("tickets assigned to the agent: %+v", mine)
		}
		var solved kit.TicketView
		after.Must(200, "POST", "/api/v1/tickets/"+first.ID+"/solve", nil).JSON(t, &solved)
		if solved.Status != "solved" || solved.SolvedAt == nil {
			t.Fatalf("solved ticket %+v", solved)
		}

		// After it is solved, the customer's next offline message opens a new
		// ticket, and they are told again that nobody is online.
		post("off-4", "night-1", "又有一个新问题")
		third := kit.WaitTicket(t, adm, []string{"又有一个新问题"})
		if third.ID == first.ID || third.Status != "open" {
			t.Fatalf("after solving, the new message went to %+v", third)
		}
		if old := kit.GetTicket(t, adm, first.ID); old.Status != "solved" || old.Texts() != "订单 778 还没发货|麻烦尽快处理" {
			t.Fatalf("the solved ticket changed: %+v %s", old, old.Texts())
		}
		kit.Eventually(t, 10*time.Second, "the auto-reply for the new ticket", func() bool { return autoReplies("night-1") == 2 })
		adm.Must(404, "GET", "/api/v1/tickets/tk_doesnotexist", nil)

		// Once an agent of the group is online, the customer's next message
		// brings the conversation to them, with what was written meanwhile.
		after.SetStatus("online")
		sa := after.Dial(-1)
		post("off-5", "night-1", "现在有人吗？")
		ev := sa.WaitFor("conversation.assigned", 10*time.Second, nil)
		if kit.Dig(ev, "data", "conversation", "contact", "external_id") != "night-1" {
			t.Fatalf("assigned %v", ev)
		}
		if ids := kit.MessageExternalIDs(ev); !strings.Contains(strings.Join(ids, ","), "off-1,off-2,off-4,off-5") {
			t.Fatalf("the agent got history %v, want every message of the customer", ids)
		}
	})
}

// An agent of the group is signed in but busy: the conversation waits in the
// queue — no ticket, no offline auto-reply — and is assigned when they are
// back online.
func TestBusyAgentQueuesInsteadOfTicket(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "售后"})
		a := adm.NewAgent("lunch@kefu.test", 5, "售后")
		a.SetStatus("busy")
		aID := a.MeID()

		if status, body := ch.Post(t, h.Base, kit.TextMsg("busy-1", "bc", "有人吗")); status != 200 {
			t.Fatalf("post: %d %s", status, body)
		}
		var convID string
		kit.Eventually(t, 10*time.Second, "the conversation is queued", func() bool {
			var list struct{ Conversations []struct{ ID string } }
			adm.Must(200, "GET", "/api/v1/conversations?status=queued", nil).JSON(t, &list)
			if len(list.Conversations) == 1 {
				convID = list.Conversations[0].ID
				return true
			}
			return false
		})
		kit.Eventually(t, 10*time.Second, "the developer is told it is queued", func() bool {
			for _, c := range cb.Received() {
				if c.Body["type"] == "conversation.queued" && c.Body["conversation_id"] == convID {
					return true
				}
			}
			return false
		})
		a.SetStatus("online")
		kit.Eventually(t, 10*time.Second, "the agent gets it when back online", func() bool {
			var c struct {
				Status     string  `json:"status"`
				AssigneeID *string `json:"assignee_id"`
			}
			adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSON(t, &c)
			return c.Status == "open" && c.AssigneeID != nil && *c.AssigneeID == aID
		})
		kit.Eventually(t, 10*time.Second, "the developer is told it is assigned", func() bool {
			for _, c := range cb.Received() {
				if c.Body["type"] == "conversation.assigned" && c.Body["conversation_id"] == convID {
					return true
				}
			}
			return false
		})
		for _, c := range cb.Received() {
			if c.Body["type"] == "message.created" || c.Body["type"] == "conversation.offline" {
				t.Fatalf("a busy agent's group sent an offline reply: %v", c.Body)
			}
		}
		if n := len(kit.ListTickets(t, adm)); n != 0 {
			t.Fatalf("%d tickets, want none: somebody was signed in", n)
		}
	})
}
