package desk

// The workbench's agent tools (issue 5, part A), through the REST API as the
// workbench UI and integrators call it: canned replies, internal notes,
// conversation categories, the blacklist, the customer card, history search
// and export, rating requests and message paging.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// desk is a hub with an admin, an online agent on a socket and an API
// channel whose callbacks are recorded.
type desk struct {
	h      *kit.Hub
	admin  *kit.Client
	agent  *kit.Client
	sock   *kit.Sock
	ch     kit.APIChannel
	cb     *kit.CallbackServer
	agentI string
}

func newDesk(t *testing.T, m kit.Mode) *desk {
	t.Helper()
	h := kit.NewEnv(t, m).Start()
	d := &desk{h: h, admin: h.Admin(), cb: kit.NewCallbackServer(t)}
	d.agent = d.admin.NewAgent("li@kefu.test", 10)
	d.agentI = d.agent.MeID()
	d.ch = d.admin.NewAPIChannel(d.cb.URL, nil)
	d.cb.SetSecret(d.ch.Secret)
	d.agent.SetStatus("online")
	d.sock = d.agent.Dial(-1)
	return d
}

// say posts a customer message; the first one of a contact opens a
// conversation that the agent gets. It returns the conversation id.
func (d *desk) say(t *testing.T, contact, name, text string) string {
	t.Helper()
	body := map[string]any{"id": "m-" + kit.RandHex(6), "type": "text", "text": text,
		"contact": map[string]any{"id": contact, "name": name, "email": contact + "@example.com"}}
	if st, b := d.ch.Post(t, d.h.Base, body); st != 200 {
		t.Fatalf("post: %d %s", st, b)
	}
	// A new conversation reaches the agent as conversation.assigned with its
	// messages; a later message of an assigned one as message.created.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		f := d.sock.Next(time.Until(deadline))
		switch f["type"] {
		case "message.created":
			if kit.Dig(f, "data", "message", "text") == text {
				return kit.Dig(f, "data", "message", "conversation_id").(string)
			}
		case "conversation.assigned":
			ms, _ := kit.Dig(f, "data", "messages").([]any)
			for _, m := range ms {
				if kit.Dig(m, "text") == text {
					return kit.Dig(f, "data", "conversation", "id").(string)
				}
			}
		}
	}
	t.Fatalf("the agent did not get %q", text)
	return ""
}

func (d *desk) conversation(t *testing.T, id string) map[string]any {
	t.Helper()
	var c map[string]any
	d.admin.Must(200, "GET", "/api/v1/conversations/"+id, nil).JSON(t, &c)
	return c
}

func TestCannedReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		li := admin.NewAgent("li@kefu.test", 5)
		wang := admin.NewAgent("wang@kefu.test", 5)

		shared := admin.Must(201, "POST", "/api/v1/canned-replies", map[string]any{"title": "问候",
			"text": "您好，很高兴为您服务！", "category": "常用", "shared": true})
		if shared.Str("owner_agent_id") != "" || !strings.Contains(string(shared.Body), `"shared":true`) {
			t.Fatalf("shared reply: %s", shared.Body)
		}
		mine := li.Must(201, "POST", "/api/v1/canned-replies", map[string]any{"title": "Refund policy",
			"text": "Refunds take 3-5 working days.", "category": "售后"})
		li.Must(403, "POST", "/api/v1/canned-replies", map[string]any{"title": "x", "text": "y", "shared": true})
		li.Must(400, "POST", "/api/v1/canned-replies", map[string]any{"title": "", "text": "y"})
		li.Must(400, "POST", "/api/v1/canned-replies", map[string]any{"title": "x", "text": strings.Repeat("长", 5001)})

		list := func(c *kit.Client, query string) []string {
			t.Helper()
			var r struct {
				CannedReplies []struct{ ID, Title string } `json:"canned_replies"`
			}
			c.Must(200, "GET", "/api/v1/canned-replies"+query, nil).JSON(t, &r)
			var out []string
			for _, x := range r.CannedReplies {
				out = append(out, x.ID)
			}
			return out
		}
		want := func(what string, got []string, ids ...string) {
			t.Helper()
			if strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Errorf("%s: got %v, want %v", what, got, ids)
			}
		}
		want("li sees shared and own, by category", list(li, ""), mine.Str("id"), shared.Str("id"))
		want("wang sees only the shared one", list(wang, ""), shared.Str("id"))
		want("search is case-insensitive over the text", list(li, "?q=WORKING"), mine.Str("id"))
		want("search over the title", list(li, "?q=问候"), shared.Str("id"))
		want("search treats % literally", list(li, "?q=%25"))
		want("category filter", list(li, "?category=售后"), mine.Str("id"))
		var cats struct{ Categories []string }
		li.Must(200, "GET", "/api/v1/canned-replies/categories", nil).JSON(t, &cats)
		if strings.Join(cats.Categories, ",") != "售后,常用" && strings.Join(cats.Categories, ",") != "常用,售后" {
			t.Errorf("categories: %v", cats.Categories)
		}

		// Rights: another agent's personal reply does not exist for them; a
		// shared one is the admins' and supervisors'.
		wang.Must(404, "PATCH", "/api/v1/canned-replies/"+mine.Str("id"), map[string]any{"title": "mine now"})
		wang.Must(404, "DELETE", "/api/v1/canned-replies/"+mine.Str("id"), nil)
		li.Must(403, "PATCH", "/api/v1/canned-replies/"+shared.Str("id"), map[string]any{"text": "changed"})
		li.Must(403, "DELETE", "/api/v1/canned-replies/"+shared.Str("id"), nil)
		if got := li.Must(200, "PATCH", "/api/v1/canned-replies/"+mine.Str("id"), map[string]any{"text": "Refunds take 3 days."}); got.Str("text") != "Refunds take 3 days." || got.Str("title") != "Refund policy" {
			t.Errorf("patch: %s", got.Body)
		}
		admin.Must(200, "PATCH", "/api/v1/canned-replies/"+shared.Str("id"), map[string]any{"text": "您好！"})
		li.Must(200, "DELETE", "/api/v1/canned-replies/"+mine.Str("id"), nil)
		want("after delete", list(li, ""), shared.Str("id"))
		li.Must(404, "DELETE", "/api/v1/canned-replies/"+mine.Str("id"), nil)
	})
}

// An internal note takes the next seq and reaches agents, but no customer:
// the API channel's callback never receives it, not even inside the
// history of a conversation.assigned event.
func TestInternalNotesNeverReachTheCustomer(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		wang := d.admin.NewAgent("wang@kefu.test", 5)
		conv := d.say(t, "c1", "张三", "我的订单没到")
		wang.SetStatus("online") // now, so that the customer is routed to li
		d.agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "我查一下"})
		secret := "NOTE-" + kit.RandHex(6)
		note := d.agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/notes", map[string]any{"text": "VIP 客户 " + secret})
		if note.Str("direction") != "internal" || note.Str("type") != "note" || note.Str("sender_type") != "agent" {
			t.Fatalf("note: %s", note.Body)
		}
		d.agent.Must(400, "POST", "/api/v1/conversations/"+conv+"/notes", map[string]any{"text": "  "})
		d.sock.WaitFor("message.created", 10*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "message", "id") == note.Str("id")
		})
		d.agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "已经发货了"})
		d.agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/transfer", map[string]any{"agent_id": wang.MeID(), "reason": "VIP"})

		var ms struct{ Messages []map[string]any }
		d.admin.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil).JSON(t, &ms)
		var seqs []string
		for i, msg := range ms.Messages {
			seqs = append(seqs, fmt.Sprint(msg["seq"]))
			if msg["seq"] != float64(i+1) {
				t.Errorf("seqs are not gap-free: %v", seqs)
			}
		}
		if len(ms.Messages) < 4 || ms.Messages[2]["id"] != note.Str("id") { // then the reply (and a transfer notice)
			t.Fatalf("history: %v", ms.Messages)
		}
		// The new agent sees the note in the history.
		if got := wang.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil); !strings.Contains(string(got.Body), secret) {
			t.Errorf("the new agent does not see the note: %s", got.Body)
		}

		// Both replies and the assignment reach the callback; the note never.
		kit.Eventually(t, 15*time.Second, "the replies and the assignment reach the callback", func() bool {
			replied, assigned := false, false
			for _, cb := range d.cb.Received() {
				if cb.Body["type"] == "message.created" && kit.Dig(cb.Body, "data", "message", "text") == "已经发货了" {
					replied = true
				}
				if cb.Body["type"] == "conversation.assigned" && kit.Dig(cb.Body, "data", "to_agent_id") != nil {
					assigned = true
				}
			}
			return replied && assigned
		})
		time.Sleep(300 * time.Millisecond) // a wrongly queued note would be sent with them
		for _, cb := range d.cb.Received() {
			raw, _ := json.Marshal(cb.Body)
			if strings.Contains(string(raw), secret) || strings.Contains(string(raw), note.Str("id")) {
				t.Errorf("the callback received the internal note: %s", raw)
			}
		}
		var ds struct{ Deliveries []map[string]any }
		d.admin.Must(200, "GET", "/api/v1/channels/"+d.ch.ID+"/deliveries?limit=500", nil).JSON(t, &ds)
		for _, dl := range ds.Deliveries {
			raw, _ := json.Marshal(dl)
			if strings.Contains(string(raw), secret) {
				t.Errorf("a delivery carries the note: %s", raw)
			}
		}
		// A foreign or invisible conversation: 404, nothing stored.
		d.agent.Must(404, "POST", "/api/v1/conversations/"+conv+"/notes", map[string]any{"text": "x"})
	})
}

func TestCategoriesOnClose(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		complaint := d.admin.Must(201, "POST", "/api/v1/categories", map[string]any{"name": "投诉"}).Str("id")
		d.admin.Must(201, "POST", "/api/v1/categories", map[string]any{"name": "咨询"})
		d.admin.Must(409, "POST", "/api/v1/categories", map[string]any{"name": "投诉"})
		d.admin.Must(400, "POST", "/api/v1/categories", map[string]any{"name": " "})
		d.agent.Must(403, "POST", "/api/v1/categories", map[string]any{"name": "x"})
		d.agent.Must(403, "DELETE", "/api/v1/categories/"+complaint, nil)
		var cs struct{ Categories []struct{ ID, Name string } }
		d.agent.Must(200, "GET", "/api/v1/categories", nil).JSON(t, &cs)
		if len(cs.Categories) != 2 || cs.Categories[0].Name != "咨询" {
			t.Fatalf("categories: %+v", cs.Categories)
		}

		conv := d.say(t, "c1", "张三", "太慢了")
		d.agent.Must(400, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{"category_id": "cg_nonexistent"})
		if c := d.conversation(t, conv); c["status"] != "open" {
			t.Fatalf("a close with a bad category closed the conversation: %v", c)
		}
		closed := d.agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{"reason": "done", "category_id": complaint})
		if closed.Str("category_id") != complaint || closed.Str("status") != "closed" {
			t.Fatalf("closed: %s", closed.Body)
		}
		if c := d.conversation(t, conv); c["category_id"] != complaint {
			t.Fatalf("the category is not stored: %v", c)
		}
		var found struct{ Conversations []struct{ ID string } }
		d.admin.Must(200, "GET", "/api/v1/conversations?status=all&category_id="+complaint, nil).JSON(t, &found)
		if len(found.Conversations) != 1 || found.Conversations[0].ID != conv {
			t.Fatalf("search by category: %+v", found)
		}
		d.admin.Must(200, "DELETE", "/api/v1/categories/"+complaint, nil)
		d.admin.Must(404, "DELETE", "/api/v1/categories/"+complaint, nil)
		if c := d.conversation(t, conv); c["category_id"] != nil {
			t.Fatalf("a deleted category is still on the conversation: %v", c)
		}
	})
}

// inboundCount reads kefu_inbound_messages_total for a result.
func inboundCount(t *testing.T, h *kit.Hub, result string) int {
	t.Helper()
	text := kit.Metrics(h.Base)
	if text == "" {
		t.Fatal("/metrics with the scraper's token gave nothing")
	}
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "kefu_inbound_messages_total{") && strings.Contains(l, `result="`+result+`"`) {
			v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
			n += int(v)
		}
	}
	return n
}

func TestBlacklistDropsAtIngest(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		conv := d.say(t, "spammer", "广告", "加微信领红包")
		contact := d.conversation(t, conv)["contact_id"].(string)
		r := d.agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/blacklist", map[string]any{"reason": "广告"})
		if r.Str("conversation.status") != "closed" || r.Str("blacklist.contact_id") != contact || r.Str("blacklist.reason") != "广告" {
			t.Fatalf("blacklist: %s", r.Body)
		}
		d.agent.Must(403, "GET", "/api/v1/blacklist", nil)
		var bl struct{ Blacklist []map[string]any }
		d.admin.Must(200, "GET", "/api/v1/blacklist", nil).JSON(t, &bl)
		if len(bl.Blacklist) != 1 || bl.Blacklist[0]["contact_name"] != "广告" {
			t.Fatalf("blacklist list: %+v", bl)
		}
		entry := bl.Blacklist[0]["id"].(string)

		// With nobody online a message would become a ticket; the blocked
		// contact's is acknowledged and dropped: no conversation, no ticket.
		d.agent.SetStatus("offline")
		before := inboundCount(t, d.h, "blocked")
		if st, b := d.ch.Post(t, d.h.Base, kit.TextMsg("spam-2", "spammer", "再来一次")); st != 200 {
			t.Fatalf("a blocked contact's message: %d %s, want 200 (acknowledged)", st, b)
		}
		kit.Eventually(t, 15*time.Second, "the message is counted as blocked", func() bool {
			return inboundCount(t, d.h, "blocked") == before+1
		})
		var cs struct{ Conversations []struct{ ID, Status string } }
		d.admin.Must(200, "GET", "/api/v1/contacts/"+contact+"/conversations", nil).JSON(t, &cs)
		if len(cs.Conversations) != 1 || cs.Conversations[0].Status != "closed" {
			t.Fatalf("the blocked contact has conversations %+v, want only the closed one", cs.Conversations)
		}
		var ts struct{ Tickets []any }
		d.admin.Must(200, "GET", "/api/v1/tickets", nil).JSON(t, &ts)
		if len(ts.Tickets) != 0 {
			t.Fatalf("a blocked message made tickets: %+v", ts.Tickets)
		}
		var ms struct{ Messages []any }
		d.admin.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil).JSON(t, &ms)
		if len(ms.Messages) != 1 {
			t.Fatalf("the blocked message was stored: %+v", ms.Messages)
		}

		// Unblocked, the contact is served again.
		d.agent.Must(403, "DELETE", "/api/v1/blacklist/"+entry, nil)
		d.admin.Must(200, "DELETE", "/api/v1/blacklist/"+entry, nil)
		d.admin.Must(404, "DELETE", "/api/v1/blacklist/"+entry, nil)
		d.agent.SetStatus("online")
		again := d.say(t, "spammer", "广告", "对不起")
		if again == conv {
			t.Fatal("the message went to the closed conversation")
		}
		d.admin.Must(200, "GET", "/api/v1/contacts/"+contact+"/conversations", nil).JSON(t, &cs)
		if len(cs.Conversations) != 2 || cs.Conversations[0].ID != again {
			t.Fatalf("after unblocking: %+v", cs.Conversations)
		}
	})
}

func TestContactCard(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		wang := d.admin.NewAgent("wang@kefu.test", 5)
		first := d.say(t, "c1", "张三", "第一次")
		contact := d.conversation(t, first)["contact_id"].(string)
		card := d.agent.Must(200, "GET", "/api/v1/contacts/"+contact, nil)
		if card.Str("name") != "张三" || card.Str("external_id") != "c1" || !strings.Contains(string(card.Body), `"tags":[]`) {
			t.Fatalf("card: %s", card.Body)
		}
		patch := map[string]any{"company": "某某科技", "phone": "13800000000", "qq": "10001", "wechat": "zhangsan",
			"notes": "<script>alert(1)</script> 老客户", "custom": map[string]string{"会员等级": "金卡"}, "tags": []string{"VIP", " VIP ", "投诉过"}}
		got := d.agent.Must(200, "PATCH", "/api/v1/contacts/"+contact, patch)
		var c struct {
			Name, Company, Phone, QQ, WeChat, Notes string
			Custom                                  map[string]string
			Tags                                    []string
		}
		got.JSON(t, &c)
		if c.Name != "张三" || c.Company != "某某科技" || c.QQ != "10001" || c.WeChat != "zhangsan" || c.Custom["会员等级"] != "金卡" ||
			strings.Join(c.Tags, ",") != "VIP,投诉过" || c.Notes != "<script>alert(1)</script> 老客户" {
			t.Fatalf("patched card: %+v", c)
		}
		d.admin.Must(200, "GET", "/api/v1/contacts/"+contact, nil).JSON(t, &c)
		if c.Company != "某某科技" || c.Phone != "13800000000" {
			t.Fatalf("the card is not stored: %+v", c)
		}
		for _, bad := range []map[string]any{{"qq": strings.Repeat("1", 21)}, {"notes": strings.Repeat("x", 5001)},
			{"tags": []string{strings.Repeat("t", 31)}}, {"custom": map[string]string{"": "x"}}, {"custom": "not an object"}} {
			d.agent.Must(400, "PATCH", "/api/v1/contacts/"+contact, bad)
		}
		wang.Must(404, "GET", "/api/v1/contacts/"+contact, nil)
		wang.Must(404, "PATCH", "/api/v1/contacts/"+contact, map[string]any{"company": "x"})
		wang.Must(404, "GET", "/api/v1/contacts/"+contact+"/conversations", nil)

		// Previous conversations, newest first, and tickets.
		d.agent.Must(200, "POST", "/api/v1/conversations/"+first+"/close", nil)
		second := d.say(t, "c1", "张三", "第二次")
		d.agent.Must(200, "POST", "/api/v1/conversations/"+second+"/close", nil)
		d.agent.SetStatus("offline")
		if st, b := d.ch.Post(t, d.h.Base, kit.TextMsg("m-off", "c1", "留言")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		var ts struct {
			Tickets []struct {
				ID        string
				ContactID string `json:"contact_id"`
			}
		}
		kit.Eventually(t, 15*time.Second, "the offline message becomes the contact's ticket", func() bool {
			d.agent.Must(200, "GET", "/api/v1/contacts/"+contact+"/tickets", nil).JSON(t, &ts)
			return len(ts.Tickets) == 1
		})
		var cs struct{ Conversations []struct{ ID string } }
		d.admin.Must(200, "GET", "/api/v1/contacts/"+contact+"/conversations", nil).JSON(t, &cs)
		if len(cs.Conversations) != 3 || cs.Conversations[1].ID != second || cs.Conversations[2].ID != first {
			t.Fatalf("conversations of the contact: %+v (want newest first: ?, %s, %s)", cs.Conversations, second, first)
		}
		d.agent.Must(200, "GET", "/api/v1/contacts/"+contact+"/conversations", nil).JSON(t, &cs)
		if len(cs.Conversations) != 2 {
			t.Fatalf("an agent sees %d of the contact's conversations, want their own 2", len(cs.Conversations))
		}
	})
}

func TestHistorySearchAndExport(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		start := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
		a := d.say(t, "c-a", "Alice Zhang", "Where is my ORDER 1234?")
		b := d.say(t, "c-b", "Bob", "=HYPERLINK(\"http://evil\",\"x\")")
		c := d.say(t, "c-c", "Carol", "发票问题")
		d.agent.Must(201, "POST", "/api/v1/conversations/"+a+"/messages", map[string]any{"content": "+1 已查到"})
		d.agent.Must(201, "POST", "/api/v1/conversations/"+a+"/notes", map[string]any{"text": "@老王 跟进"})
		d.agent.Must(200, "POST", "/api/v1/conversations/"+b+"/close", nil)

		search := func(c *kit.Client, query string) []string {
			t.Helper()
			var r struct{ Conversations []struct{ ID string } }
			c.Must(200, "GET", "/api/v1/conversations?"+query, nil).JSON(t, &r)
			var ids []string
			for _, x := range r.Conversations {
				ids = append(ids, x.ID)
			}
			return ids
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"status=all&q=order%201234", []string{a}},
			{"status=all&q=" + "%E5%8F%91%E7%A5%A8", []string{c}},
			{"status=all&contact=alice", []string{a}},
			{"status=all&contact=c-b%40example", []string{b}},
			{"status=closed", []string{b}},
			{"status=all&contact=zzz", nil},
			{"status=all&from=2000-01-01&to=2000-01-02", nil},
			{"status=all&channel_id=" + d.ch.ID + "&agent_id=" + d.agentI + "&q=%25", nil},
		} {
			if got := search(d.admin, tc.query); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("search %s: %v, want %v", tc.query, got, tc.want)
			}
		}
		if got := search(d.admin, "status=all&from="+start); len(got) != 3 {
			t.Errorf("from %s: %v, want all 3", start, got)
		}
		d.admin.Must(400, "GET", "/api/v1/conversations?from=yesterday", nil)
		d.admin.Must(400, "GET", "/api/v1/conversations?status=all&before=cv_unknown", nil)

		// Pages of one, chained by next_before, list each conversation once.
		seen := map[string]bool{}
		before := ""
		for i := 0; i < 5; i++ {
			r := d.admin.Must(200, "GET", "/api/v1/conversations?status=all&limit=1&before="+before, nil)
			var p struct {
				Conversations []struct{ ID string }
				NextBefore    string `json:"next_before"`
			}
			r.JSON(t, &p)
			for _, x := range p.Conversations {
				if seen[x.ID] {
					t.Fatalf("page %d repeats %s", i, x.ID)
				}
				seen[x.ID] = true
			}
			if before = p.NextBefore; before == "" {
				break
			}
		}
		if len(seen) != 3 {
			t.Fatalf("paging saw %v, want 3 conversations", seen)
		}

		// Export.
		get := func(format string) (*http.Response, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", d.h.Base+"/api/v1/conversations/"+b+"/export?format="+format, nil)
			req.Header.Set("Authorization", "Bearer "+d.agent.Token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
				t.Fatalf("export %s: %d %v %s", format, res.StatusCode, res.Header, body)
			}
			return res, string(body)
		}
		res, body := get("csv")
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("csv content type %q", res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv: %v %q", err, body)
		}
		if rows[1][5] != "'=HYPERLINK(\"http://evil\",\"x\")" {
			t.Errorf("a formula in customer text is not defused: %q", rows[1][5])
		}
		_, body = get("txt")
		if !strings.Contains(body, `=HYPERLINK("http://evil","x")`) || !strings.Contains(body, "customer: Bob") {
			t.Errorf("txt: %q", body)
		}
		_, body = get("json")
		var j struct {
			Conversation struct{ ID string }
			Messages     []struct{ Text, Direction string }
		}
		if err := json.Unmarshal([]byte(body), &j); err != nil || j.Conversation.ID != b || len(j.Messages) != 1 {
			t.Errorf("json export: %v %s", err, body)
		}
		d.agent.Must(400, "GET", "/api/v1/conversations/"+b+"/export?format=xlsx", nil)
		req, _ := http.NewRequest("GET", d.h.Base+"/api/v1/conversations/"+a+"/export?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+d.agent.Token)
		r2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := io.ReadAll(r2.Body)
		r2.Body.Close()
		for _, want := range []string{"'+1 已查到", "'@老王 跟进", "internal"} {
			if !strings.Contains(string(all), want) {
				t.Errorf("csv of %s lacks %q: %s", a, want, all)
			}
		}

		// An agent's history is their own.
		wang := d.admin.NewAgent("wang@kefu.test", 5)
		if got := search(wang, "status=all"); len(got) != 0 {
			t.Errorf("another agent's history search shows %v", got)
		}
		wang.Must(404, "GET", "/api/v1/conversations/"+a+"/export", nil)
		wang.Must(400, "GET", "/api/v1/conversations?status=all&before="+a, nil)
	})
}

func TestMessagePagingAndRatingRequest(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		conv := d.say(t, "c1", "张三", "m1")
		for i := 2; i <= 7; i++ {
			d.agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": fmt.Sprintf("m%d", i)})
		}
		page := func(query string) string {
			t.Helper()
			var r struct{ Messages []struct{ Text string } }
			d.agent.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages?"+query, nil).JSON(t, &r)
			var out []string
			for _, x := range r.Messages {
				out = append(out, x.Text)
			}
			return strings.Join(out, ",")
		}
		for q, want := range map[string]string{
			"before=8&limit=3":    "m5,m6,m7", // the newest page
			"before=5&limit=3":    "m2,m3,m4",
			"before=2&limit=3":    "m1",
			"before=1":            "",
			"after_seq=5":         "m6,m7",
			"after_seq=0&limit=2": "m1,m2",
		} {
			if got := page(q); got != want {
				t.Errorf("messages?%s: %q, want %q", q, got, want)
			}
		}
		d.agent.Must(400, "GET", "/api/v1/conversations/"+conv+"/messages?before=-1", nil)

		d.agent.Must(202, "POST", "/api/v1/conversations/"+conv+"/rating-request", nil)
		d.sock.WaitFor("conversation.rating_requested", 10*time.Second, func(f map[string]any) bool {
			return f["conversation_id"] == conv && kit.Dig(f, "data", "conversation_id") == conv
		})
		kit.Eventually(t, 15*time.Second, "the API channel's callback gets the rating request", func() bool {
			for _, cb := range d.cb.Received() {
				if cb.Body["type"] == "conversation.rating_requested" && cb.Body["conversation_id"] == conv && cb.OK {
					return true
				}
			}
			return false
		})
		d.agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", nil)
		d.agent.Must(202, "POST", "/api/v1/conversations/"+conv+"/rating-request", nil) // after close too
	})
}
