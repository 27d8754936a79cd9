package chat

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// --- helpers ---

// positions lists the queue positions the callback was told for a conversation.
func positions(cb *kit.CallbackServer, convID string) []int {
	var out []int
	for _, c := range cb.Received() {
		if c.Body["type"] == "conversation.queue_position" && c.Body["conversation_id"] == convID {
			var d struct{ Position int }
			if p, ok := kit.Dig(c.Body, "data").(map[string]any); ok {
				if f, ok := p["position"].(float64); ok {
					d.Position = int(f)
				}
			}
			out = append(out, d.Position)
		}
	}
	return out
}

func post(t *testing.T, ch kit.APIChannel, base string, body map[string]any) {
	t.Helper()
	if status, b := ch.Post(t, base, body); status != 200 {
		t.Fatalf("post: %d %s", status, b)
	}
}

// --- tests ---

// Customers who find every agent full wait in a FIFO queue and are told
// their place (conversation.queue_position at the developer's callback),
// updated as it moves: an agent with permission picks one up, a close lets
// the oldest in, and whoever waits longer than the group's maximum is
// offered to leave a message and gets a ticket. Each conversation's routing
// activity says what happened and why.
func TestQueuePositionsPickUpAndMaxWait(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		// The maximum wait leaves room for the steps before the close: w2,
		// queued first, must still be waiting when w1 closes (at 4 s, under
		// make test's load, it sometimes became a ticket before).
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后", "allow_pickup": true, "max_wait_seconds": 12})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "售后"})
		mon := adm.Monitor()
		a := adm.NewAgent("one@kefu.test", 1, "售后")
		picker := adm.NewAgent("picker@kefu.test", 2, "售后")
		outsider := adm.NewAgent("outsider@kefu.test", 2)
		a.SetStatus("online")
		picker.SetStatus("busy") // signed in, takes nothing automatically
		outsider.SetStatus("online")
		aID, pickerID := a.MeID(), picker.MeID()

		conv := map[string]string{}
		for i := 1; i <= 4; i++ {
			cust := fmt.Sprintf("w%d", i)
			post(t, ch, h.Base, kit.TextMsg("wm-"+cust, cust, "在吗 "+cust))
			conv[cust] = mon.Conv(cust)
			if i == 1 {
				if got := mon.Assignee(conv[cust]); got != aID {
					t.Fatalf("w1 assigned to %q, want the free agent", got)
				}
				continue
			}
			mon.WaitEvent("conversation.queued", conv[cust])
		}
		for i, cust := range []string{"w2", "w3", "w4"} {
			want := i + 1
			kit.Eventually(t, 10*time.Second, cust+" is told its place", func() bool {
				p := positions(cb, conv[cust])
				return len(p) > 0 && p[0] == want
			})
			if v := adm.Routing(conv[cust]); v.Position != want || !v.Has("queued", "at their maximum") {
				t.Fatalf("%s routing: %+v, want position %d and why it waits", cust, v, want)
			}
		}
		// The queue view shows them in order; a plain agent outside the group sees none.
		var q struct {
			Queue []struct {
				ID        string `json:"id"`
				Position  int    `json:"position"`
				CanPickUp bool   `json:"can_pick_up"`
			}
		}
		picker.Must(200, "GET", "/api/v1/queue", nil).JSON(t, &q)
		if len(q.Queue) != 3 || q.Queue[0].ID != conv["w2"] || q.Queue[2].Position != 3 || !q.Queue[1].CanPickUp {
			t.Fatalf("picker's queue view: %+v", q.Queue)
		}
		outsider.Must(200, "GET", "/api/v1/queue", nil).JSON(t, &q)
		if len(q.Queue) != 0 {
			t.Fatalf("an agent outside the group sees the queue: %+v", q.Queue)
		}
		outsider.Must(404, "POST", "/api/v1/conversations/"+conv["w3"]+"/pickup", nil)

		// The picker takes w3 out of the middle; w4 moves up to 2.
		picker.Must(200, "POST", "/api/v1/conversations/"+conv["w3"]+"/pickup", nil)
		if st, who := adm.ConvStatus(conv["w3"]); st != "open" || who != pickerID {
			t.Fatalf("w3 after pick-up: %s %s", st, who)
		}
		picker.Must(409, "POST", "/api/v1/conversations/"+conv["w3"]+"/pickup", nil)
		kit.Eventually(t, 10*time.Second, "w4 is told it moved up", func() bool {
			p := positions(cb, conv["w4"])
			return len(p) > 1 && p[len(p)-1] == 2
		})
		if !adm.Routing(conv["w3"]).Has("picked_up", "picker") {
			t.Fatalf("w3's activity does not say it was picked up: %+v", adm.Routing(conv["w3"]))
		}

		// A close lets the oldest waiting conversation in.
		a.Must(200, "POST", "/api/v1/conversations/"+conv["w1"]+"/close", map[string]any{"reason": "done"})
		if got := mon.Assignee(conv["w2"]); got != aID {
			t.Fatalf("w2 went to %q after the close, want the freed agent", got)
		}
		if v := adm.Routing(conv["w2"]); !v.Has("assigned", "load: one has the fewest current chats") {
			t.Fatalf("w2's assignment is not explained: %+v", v)
		}

		// w4 waits past the group's maximum: offered to leave a message, ticket.
		kit.Eventually(t, 30*time.Second, "w4 becomes a ticket after the maximum wait", func() bool {
			st, _ := adm.ConvStatus(conv["w4"])
			return st == "offline"
		})
		const offer = "抱歉让您久等了，客服仍在忙。您可以直接留言，我们会尽快回复您。"
		kit.Eventually(t, 10*time.Second, "w4 is offered to leave a message", func() bool { return kit.Count(cb.Texts("w4"), offer) == 1 })
		kit.WaitTicket(t, adm, []string{"在吗 w4"})
		if !adm.Routing(conv["w4"]).Has("max_wait", "maximum wait") {
			t.Fatalf("w4's activity does not say why: %+v", adm.Routing(conv["w4"]))
		}
		for _, cust := range []string{"w1", "w2", "w3"} {
			if n := kit.Count(cb.Texts(cust), offer); n != 0 {
				t.Fatalf("%s, served in time, got the leave-a-message offer", cust)
			}
		}
	})
}

// A full queue turns the next customer away into a ticket at once, with the
// queue-full message; a channel without events gets its place as a message.
func TestQueueFullOffersMessage(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "小组", "max_queue": 1})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "小组"})
		// The channel's queue notices go out as messages.
		adm.Must(200, "PUT", "/api/v1/channels/"+ch.ID+"/automations", map[string]any{"queue": map[string]any{"notify": "message"}})
		mon := adm.Monitor()
		a := adm.NewAgent("solo1@kefu.test", 1, "小组")
		a.SetStatus("online")
		for i := 1; i <= 3; i++ {
			cust := fmt.Sprintf("f%d", i)
			post(t, ch, h.Base, kit.TextMsg("fm-"+cust, cust, "你好"))
			conv := mon.Conv(cust)
			// Each customer's messages are handled in order, different
			// customers' at once: f1 takes the only seat and f2 the only
			// queue place before the next one writes.
			switch i {
			case 1:
				mon.Assignee(conv)
			case 2:
				mon.WaitEvent("conversation.queued", conv)
			}
		}
		kit.Eventually(t, 10*time.Second, "f2 is told its place as a message", func() bool {
			return kit.Count(cb.Texts("f2"), "您好，当前咨询人数较多，您前面还有 0 位访客，请稍候。") == 1
		})
		kit.Eventually(t, 10*time.Second, "f3 finds the queue full", func() bool {
			return kit.Count(cb.Texts("f3"), "当前排队人数较多，请您留言，我们会尽快回复您。") == 1
		})
		kit.WaitTicket(t, adm, []string{"你好"})
	})
}

// Greeting, "still checking", the idle reminder and auto-close each fire
// once at their configured times; card and ID numbers are masked in what is
// stored, shown to the agent and sent to the developer.
func TestAutomationsAndMasking(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "自动"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "自动"})
		const greet, still, remind, bye = "欢迎光临！", "正在为您查询，请稍候。", "还在吗？", "会话已结束。"
		adm.Must(200, "PUT", "/api/v1/automations", map[string]any{
			"greeting":       map[string]any{"enabled": true, "after_seconds": 1, "text": greet},
			"still_checking": map[string]any{"enabled": true, "after_seconds": 2, "text": still},
			"idle": map[string]any{"enabled": true, "reminder_after_seconds": 1, "reminder_text": remind,
				"close_after_seconds": 1, "close_text": bye},
		})
		var eff struct {
			Effective struct {
				Greeting struct{ Text string }
			}
		}
		adm.Must(200, "GET", "/api/v1/channels/"+ch.ID+"/automations", nil).JSON(t, &eff)
		if eff.Effective.Greeting.Text != greet {
			t.Fatalf("the channel does not inherit the tenant's greeting: %+v", eff)
		}
		ag := adm.NewAgent("auto@kefu.test", 3, "自动")
		ag.SetStatus("online")
		agID := ag.MeID()
		s := kit.Watch(ag.Dial(-1))

		post(t, ch, h.Base, kit.TextMsg("am-1", "ac", "我的卡号 6222021234567890128，身份证 11010519491231002X"))
		var convID string
		kit.Eventually(t, 10*time.Second, "the conversation is assigned", func() bool {
			for _, f := range s.All() {
				if f["type"] == "conversation.assigned" {
					convID, _ = kit.Dig(f, "data", "conversation", "id").(string)
					return true
				}
			}
			return false
		})
		const masked = "我的卡号 6222***********0128，身份证 110***********002X"
		var ms struct {
			Messages []struct{ Text, Direction string }
		}
		adm.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).JSON(t, &ms)
		if ms.Messages[0].Text != masked {
			t.Fatalf("stored text %q, want %q", ms.Messages[0].Text, masked)
		}
		for _, f := range s.All() {
			if f["type"] == "conversation.assigned" && strings.Contains(fmt.Sprint(f), "6222021234567890128") {
				t.Fatal("the agent's socket carried the unmasked card number")
			}
		}
		kit.Eventually(t, 10*time.Second, "the greeting", func() bool { return kit.Count(cb.Texts("ac"), greet) == 1 })
		kit.Eventually(t, 10*time.Second, "still checking", func() bool { return kit.Count(cb.Texts("ac"), still) == 1 })

		// The agent answers with an ID number: what an agent deliberately
		// sends reaches the customer as written (masking is for what
		// customers send). The customer stays silent: reminder, then close.
		const reply = "请核对 11010519491231002X"
		r := ag.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": reply})
		if r.Str("text") != reply {
			t.Fatalf("agent reply stored as %q, want it as written", r.Str("text"))
		}
		kit.Eventually(t, 10*time.Second, "the reply as written", func() bool { return kit.Count(cb.Texts("ac"), reply) == 1 })
		kit.Eventually(t, 10*time.Second, "the idle reminder", func() bool { return kit.Count(cb.Texts("ac"), remind) == 1 })
		kit.Eventually(t, 10*time.Second, "the idle close", func() bool {
			st, _ := adm.ConvStatus(convID)
			return st == "closed" && kit.Count(cb.Texts("ac"), bye) == 1
		})
		if cur := adm.CurrentChats()[agID]; cur != 0 {
			t.Fatalf("after the idle close the agent still counts %d chats", cur)
		}
		time.Sleep(1500 * time.Millisecond) // nothing fires twice
		texts := cb.Texts("ac")
		for _, x := range []string{greet, still, remind, bye} {
			if kit.Count(texts, x) != 1 {
				t.Fatalf("%q sent %d times: %v", x, kit.Count(texts, x), texts)
			}
		}
		for _, c := range cb.Received() {
			if strings.Contains(fmt.Sprint(c.Body), "6222021234567890128") {
				t.Fatal("the developer's callback carried the unmasked card number")
			}
		}
	})
}

// An agent who has not answered a new conversation in time is flagged, to
// them and to supervisors.
func TestUnansweredFlag(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "提醒"})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "提醒"})
		adm.Must(200, "PUT", "/api/v1/automations", map[string]any{"unanswered": map[string]any{"enabled": true, "after_seconds": 1}})
		mon := adm.Monitor()
		ag := adm.NewAgent("slow@kefu.test", 3, "提醒")
		ag.SetStatus("online")
		s := ag.Dial(-1)
		post(t, ch, h.Base, kit.TextMsg("um-1", "uc", "有人吗"))
		convID := mon.Conv("uc")
		ev := s.WaitFor("conversation.unanswered", 10*time.Second, nil)
		if kit.Dig(ev, "conversation_id") != convID {
			t.Fatalf("flag %v", ev)
		}
		mon.WaitEvent("conversation.unanswered", convID)
		var v struct {
			UnansweredAt *time.Time `json:"unanswered_at"`
		}
		adm.Must(200, "GET", "/api/v1/conversations/"+convID+"/routing", nil).JSON(t, &v)
		if v.UnansweredAt == nil {
			t.Fatal("the conversation's routing does not show the flag")
		}
	})
}

// Region rules from an IP database, round robin, returning customer first,
// overflow when a group is full, and business hours: each decision is
// explained in the conversation's routing activity.
func TestRoutingRulesAndPolicies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		ipdb := filepath.Join(t.TempDir(), "ip.txt")
		os.WriteFile(ipdb, []byte("14.16.0.0|14.31.255.255|中国|0|广东省|深圳市|电信\n36.96.0.0|36.127.255.255|中国|0|北京|北京市|联通\n"), 0o600)
		e.Vars["KEFU_IPDB_PATH"] = ipdb
		h := e.Start()
		adm := h.Admin()
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "华南", "policy": "round_robin"})
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "全国"})
		if r := adm.Must(200, "GET", "/api/v1/routing/region?ip=14.20.1.1", nil); r.Str("region") != "中国|0|广东省|深圳市|电信" {
			t.Fatalf("region lookup: %s", r.Body)
		}
		adm.Must(201, "POST", "/api/v1/routing/rules", map[string]any{"name": "广东 → 华南",
			"conditions": map[string]any{"regions": []string{"广东"}},
			"targets":    []any{map[string]any{"group_id": "华南"}, map[string]any{"group_id": "全国"}}})
		ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "全国"})
		mon := adm.Monitor()
		h1, h2 := adm.NewAgent("h1@kefu.test", 2, "华南"), adm.NewAgent("h2@kefu.test", 2, "华南")
		q1 := adm.NewAgent("q1@kefu.test", 5, "全国")
		for _, c := range []*kit.Client{h1, h2, q1} {
			c.SetStatus("online")
		}
		names := map[string]string{h1.MeID(): "h1", h2.MeID(): "h2", q1.MeID(): "q1"}
		from := func(cust, ip string) (string, string) {
			t.Helper()
			post(t, ch, h.Base, map[string]any{"id": "rm-" + cust + kit.RandHex(3), "contact": map[string]any{"id": cust},
				"text": "你好", "visitor": map[string]any{"ip": ip}})
			id := mon.Conv(cust)
			return id, names[mon.Assignee(id)]
		}
		// Round robin among 华南's agents, then (both full) overflow to 全国.
		var got []string
		var first string
		for i := 1; i <= 4; i++ {
			id, who := from(fmt.Sprintf("gd%d", i), "14.20.0.1")
			if i == 1 {
				first = id
			}
			got = append(got, who)
		}
		if got[0] == got[1] || got[0] != got[2] || got[1] != got[3] || got[0] == "q1" || got[1] == "q1" {
			t.Fatalf("广东 visitors went to %v, want strict rotation between h1 and h2", got)
		}
		v := adm.Routing(first)
		if !v.Has("rule", "广东 → 华南") || !v.Has("assigned", "round robin") || !v.Has("assigned", `rule "广东 → 华南"`) {
			t.Fatalf("first assignment not explained: %+v", v)
		}
		id, who := from("gd5", "14.20.0.2")
		if who != "q1" {
			t.Fatalf("with 华南 full, gd5 went to %s, want 全国's q1", who)
		}
		if !adm.Routing(id).Has("assigned", "group 全国") {
			t.Fatalf("overflow not explained: %+v", adm.Routing(id))
		}
		// A visitor from elsewhere goes to the channel's default group.
		if _, who := from("bj1", "36.100.0.1"); who != "q1" {
			t.Fatalf("北京 visitor went to %s, want q1", who)
		}
		// gd1 comes back later: their previous agent, not the rotation.
		prev := got[0]
		for _, c := range []*kit.Client{h1, h2} {
			var list struct{ Conversations []struct{ ID string } }
			c.Must(200, "GET", "/api/v1/conversations?status=open", nil).JSON(t, &list)
			for _, cv := range list.Conversations {
				c.Must(200, "POST", "/api/v1/conversations/"+cv.ID+"/close", nil)
			}
		}
		// Rotation would now pick got[0]'s colleague first... unless returning.
		post(t, ch, h.Base, map[string]any{"id": "back-" + kit.RandHex(3), "contact": map[string]any{"id": "gd2"}, "text": "又是我",
			"visitor": map[string]any{"ip": "14.20.0.1"}})
		var back string
		kit.Eventually(t, 10*time.Second, "gd2's second conversation is assigned", func() bool {
			for _, f := range mon.Log.All() {
				if f["type"] == "conversation.assigned" && kit.Dig(f, "data", "conversation", "contact", "external_id") == "gd2" &&
					kit.Dig(f, "conversation_id") != "" {
					back, _ = kit.Dig(f, "data", "conversation", "assignee_id").(string)
				}
			}
			return back != "" && names[back] != ""
		})
		if names[back] != got[1] {
			t.Fatalf("returning gd2 went to %s, want their previous agent %s (rotation said %s)", names[back], got[1], prev)
		}
		// Business hours: a group closed today answers with its own offline message.
		today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "夜班", "agent_ids": []string{q1.MeID()},
			"offline_message": "夜班今天休息，请留言。",
			"business_hours":  map[string]any{"weekly": []any{map[string]any{"days": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "from": "00:00", "to": "24:00"}}, "holidays": []string{today}}})
		post(t, ch, h.Base, map[string]any{"id": "night-" + kit.RandHex(3), "contact": map[string]any{"id": "nc"}, "text": "晚上好", "group": "夜班"})
		nid := mon.Conv("nc")
		mon.WaitEvent("conversation.offline", nid)
		var ms struct{ Messages []struct{ Text string } }
		kit.Eventually(t, 10*time.Second, "the group's offline message", func() bool {
			adm.Must(200, "GET", "/api/v1/conversations/"+nid+"/messages", nil).JSON(t, &ms)
			return len(ms.Messages) == 2 && ms.Messages[1].Text == "夜班今天休息，请留言。"
		})
		if !adm.Routing(nid).Has("offline", "outside business hours") {
			t.Fatalf("offline not explained: %+v", adm.Routing(nid))
		}
	})
}
