package desk

// The customer center (客户中心, issue 15) as agents use it: customers added
// by hand, the customer list with search and filters, owners (负责人) and
// who sees which customer.

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

type contactPage struct {
	Contacts []struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		Phone     string   `json:"phone"`
		ChannelID string   `json:"channel_id"`
		OwnerID   *string  `json:"owner_id"`
		Tags      []string `json:"tags"`
	} `json:"contacts"`
	More bool `json:"more"`
}

// listed returns the names of the customers a query lists, sorted.
func listed(t *testing.T, c *kit.Client, query string) []string {
	t.Helper()
	var p contactPage
	c.Must(200, "GET", "/api/v1/contacts?"+query, nil).JSON(t, &p)
	out := []string{}
	for _, ct := range p.Contacts {
		out = append(out, ct.Name)
	}
	slices.Sort(out)
	return out
}

// assignedTo waits until routing gave the conversation to the agent.
func assignedTo(t *testing.T, c *kit.Client, convID string) {
	t.Helper()
	kit.Eventually(t, 15*time.Second, "the conversation reaches the agent", func() bool {
		return c.Do("GET", "/api/v1/conversations/"+convID, nil).Status == 200
	})
}

func TestCustomerCenter(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		after := admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
		li := admin.NewAgent("li@kefu.test", 5, after)
		wang := admin.NewAgent("wang@kefu.test", 5)
		admin.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "boss@kefu.test", "password": "agent-pass-1",
			"role": "supervisor", "groups": []string{after}})
		boss := kit.Login(t, h.Base, "boss@kefu.test", "agent-pass-1")
		liID, wangID := li.MeID(), wang.MeID()

		// A customer writes on the API channel and li (售后, online) gets the
		// conversation: li sees that customer without owning them.
		li.SetStatus("online")
		ch := admin.NewAPIChannel(kit.NewCallbackServer(t).URL, map[string]any{"default_group_id": after})
		if st, b := ch.Post(t, h.Base, map[string]any{"id": "m1", "type": "text", "text": "在吗",
			"contact": map[string]any{"id": "app-user-7", "name": "App 用户"}}); st != 200 {
			t.Fatalf("inbound: %d %s", st, b)
		}
		conv := admin.ConversationOf("app-user-7", 15*time.Second)
		assignedTo(t, li, conv["id"].(string))

		r := li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "张伟", "phone": "138 0013 8000",
			"company": "华为技术", "tags": []string{"VIP"}, "qq": "77889"})
		zhang := r.Str("id")
		if zhang == "" || r.Str("owner_id") != liID || r.Str("external_id") != zhang {
			t.Fatalf("created contact: %s", r.Body)
		}
		fang := wang.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "王芳", "email": "fang@example.com"}).Str("id")
		admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"phone": "13900000000", "owner_id": ""})

		for _, st := range []struct {
			who   *kit.Client
			name  string
			query string
			want  []string
		}{
			{admin, "admin", "", []string{"", "App 用户", "张伟", "王芳"}},
			{li, "li", "", []string{"App 用户", "张伟"}},
			{wang, "wang", "", []string{"王芳"}},
			{boss, "supervisor of 售后", "", []string{"App 用户", "张伟"}},
			{admin, "admin", "q=0013", []string{"张伟"}},
			{admin, "admin", "q=" + url.QueryEscape("华为"), []string{"张伟"}},
			{admin, "admin", "q=77889", []string{"张伟"}},
			{admin, "admin", "q=FANG%40EXAMPLE", []string{"王芳"}},
			{admin, "admin", "q=app-user", []string{"App 用户"}},
			{wang, "wang", "q=" + url.QueryEscape("张"), []string{}},
			{admin, "admin", "tag=VIP", []string{"张伟"}},
			{admin, "admin", "owner_id=none", []string{"", "App 用户"}},
			{li, "li", "owner_id=me", []string{"张伟"}},
			{admin, "admin", "channel_id=manual", []string{"", "张伟", "王芳"}},
			{admin, "admin", "channel_id=" + ch.ID, []string{"App 用户"}},
			{admin, "admin", "contacted_from=" + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), []string{"App 用户"}},
			{admin, "admin", "contacted_to=2020-01-01", []string{}},
			{admin, "admin", "contacted_from=" + shanghaiDay() + "&contacted_to=" + shanghaiDay(), []string{"App 用户"}}, // the day itself is in
		} {
			if got := listed(t, st.who, st.query); !slices.Equal(got, st.want) {
				t.Errorf("%s lists %q: %q, want %q", st.name, st.query, got, st.want)
			}
		}
		// The created-date filter counts days in the tenant's time zone:
		// today in UTC+14 is a day still to come in UTC−11, whatever the hour.
		kiri, _ := time.LoadLocation("Pacific/Kiritimati")
		day := time.Now().In(kiri).Format(time.DateOnly)
		for _, st := range []struct {
			tz    string
			query string
			want  []string
		}{
			{"Pacific/Kiritimati", "created_from=" + day + "&created_to=" + day, []string{"", "App 用户", "张伟", "王芳"}},
			{"Pacific/Pago_Pago", "created_from=" + day + "&created_to=" + day, []string{}},
			{"Pacific/Pago_Pago", "created_to=" + day, []string{"", "App 用户", "张伟", "王芳"}},
			{"Asia/Shanghai", "created_to=2020-01-01", []string{}},
			{"Asia/Shanghai", "created_from=" + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + "&owner_id=me", []string{}},
		} {
			admin.Must(200, "PUT", "/api/v1/settings", map[string]any{"timezone": st.tz})
			if got := listed(t, admin, st.query); !slices.Equal(got, st.want) {
				t.Errorf("admin lists %q in %s: %q, want %q", st.query, st.tz, got, st.want)
			}
		}
		if got := listed(t, li, "owner_id=me&created_from="+time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)); !slices.Equal(got, []string{"张伟"}) {
			t.Errorf("li's own customers created in the last hour: %q", got)
		}
		var page contactPage
		admin.Must(200, "GET", "/api/v1/contacts?sort=created_asc&limit=2", nil).JSON(t, &page)
		if len(page.Contacts) != 2 || !page.More || page.Contacts[0].Name != "App 用户" {
			t.Errorf("first page of two: %+v", page)
		}
		wang.Must(404, "GET", "/api/v1/contacts/"+zhang, nil)
		wang.Must(404, "PATCH", "/api/v1/contacts/"+zhang, map[string]any{"name": "x"})
		boss.Must(200, "GET", "/api/v1/contacts/"+zhang, nil)

		// Handing 张伟 over to wang: wang sees them, li no longer does.
		li.Must(200, "PATCH", "/api/v1/contacts/"+zhang, map[string]any{"owner_id": wangID})
		if got := listed(t, wang, ""); !slices.Equal(got, []string{"张伟", "王芳"}) {
			t.Errorf("wang after the hand-over: %q", got)
		}
		li.Must(404, "GET", "/api/v1/contacts/"+zhang, nil)
		wang.Must(200, "GET", "/api/v1/contacts/"+fang, nil)

		// Refused, with the reason in Chinese first; nothing stored.
		r = admin.Must(400, "POST", "/api/v1/contacts", map[string]any{"company": "只有公司"})
		if !strings.Contains(r.Str("error.message"), "请填写") {
			t.Errorf("contact without identity: %s", r.Body)
		}
		admin.Must(400, "POST", "/api/v1/contacts", map[string]any{"name": "x", "owner_id": "ag_nobody"})
		admin.Must(400, "POST", "/api/v1/contacts", map[string]any{"name": strings.Repeat("名", 101)})
		admin.Must(400, "GET", "/api/v1/contacts?sort=drop", nil)
		admin.Must(400, "GET", "/api/v1/contacts?contacted_from=yesterday", nil)
		admin.Must(400, "GET", "/api/v1/contacts?created_from=2026-13-01", nil)
		admin.Must(400, "GET", "/api/v1/contacts/export?created_to=tomorrow", nil)
		if n := len(listed(t, admin, "")); n != 4 {
			t.Errorf("refused requests stored contacts: %d listed", n)
		}
		// The manual channel holding them is not an admin's channel.
		var chs struct{ Channels []struct{ ID, Type string } }
		admin.Must(200, "GET", "/api/v1/channels", nil).JSON(t, &chs)
		for _, c := range chs.Channels {
			if c.Type == "manual" {
				t.Errorf("the manual channel is listed: %+v", chs.Channels)
			}
		}
	})
}

// viewCounts reads the ticket views' badges.
func viewCounts(t *testing.T, c *kit.Client) map[string]int {
	t.Helper()
	var r struct {
		Views []struct {
			ID    string `json:"id"`
			Count int    `json:"count"`
		} `json:"views"`
	}
	c.Must(200, "GET", "/api/v1/tickets/views", nil).JSON(t, &r)
	out := map[string]int{}
	for _, v := range r.Views {
		out[v.ID] = v.Count
	}
	return out
}

// The ticket workflow (工单, issue 15): tickets opened by hand and from a
// conversation beside the offline ones, moved through their statuses (a
// wrong move is refused, in Chinese first), reopened, counted per view.
func TestTicketWorkflow(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		after := admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
		li, wang := admin.NewAgent("li@kefu.test", 5, after), admin.NewAgent("wang@kefu.test", 5)
		liID := li.MeID()
		li.SetStatus("online")
		ch := admin.NewAPIChannel(kit.NewCallbackServer(t).URL, map[string]any{"default_group_id": after})
		if st, b := ch.Post(t, h.Base, map[string]any{"id": "m1", "type": "text", "text": "订单没收到",
			"contact": map[string]any{"id": "buyer-1", "name": "买家"}}); st != 200 {
			t.Fatalf("inbound: %d %s", st, b)
		}
		conv := admin.ConversationOf("buyer-1", 15*time.Second)
		convID, _ := conv["id"].(string)
		assignedTo(t, li, convID)
		contact := li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "张伟", "phone": "13800138000"}).Str("id")

		// By hand, for a customer li owns: new, priority high.
		r := li.Must(201, "POST", "/api/v1/tickets", map[string]any{"subject": "退货申请", "contact_id": contact, "priority": "high"})
		byHand := r.Str("id")
		if byHand == "" || r.Str("status") != "new" || r.Str("priority") != "high" || r.Str("origin") != "agent" || r.Str("contact_id") != contact {
			t.Fatalf("ticket by hand: %s", r.Body)
		}
		// From li's conversation: the customer and the transcript come with it.
		r = li.Must(201, "POST", "/api/v1/tickets", map[string]any{"conversation_id": convID, "subject": "补发",
			"assignee_id": liID})
		fromConv := r.Str("id")
		if r.Str("conversation_id") != convID || r.Str("contact_id") != conv["contact_id"] || r.Str("status") != "open" ||
			r.Str("origin") != "conversation" {
			t.Fatalf("ticket from a conversation: %s", r.Body)
		}
		// wang sees neither the customer nor the conversation.
		wang.Must(404, "POST", "/api/v1/tickets", map[string]any{"subject": "x", "contact_id": contact})
		wang.Must(404, "POST", "/api/v1/tickets", map[string]any{"conversation_id": convID})
		li.Must(400, "POST", "/api/v1/tickets", map[string]any{"subject": "x"})
		li.Must(400, "POST", "/api/v1/tickets", map[string]any{"contact_id": contact})
		li.Must(400, "POST", "/api/v1/tickets", map[string]any{"subject": "x", "contact_id": contact, "priority": "asap"})

		if got := viewCounts(t, li); got["mine"] != 1 || got["unassigned"] != 1 || got["all"] != 2 || got["overdue"] != 0 {
			t.Errorf("li's views: %v", got)
		}
		// The workflow, as the tickets page drives it.
		for _, st := range []struct {
			body   map[string]any
			code   int
			status string
		}{
			{map[string]any{"assignee_id": liID}, 200, "open"},
			{map[string]any{"status": "pending"}, 200, "pending"},
			{map[string]any{"status": "new"}, 409, ""},
			{map[string]any{"status": "solved"}, 200, "solved"},
			{map[string]any{"status": "closed"}, 200, "closed"},
			{map[string]any{"status": "pending"}, 409, ""},
			{map[string]any{"status": "done"}, 400, ""},
		} {
			r := li.Must(st.code, "PATCH", "/api/v1/tickets/"+byHand, st.body)
			if st.code == 200 && r.Str("status") != st.status {
				t.Fatalf("%v: %s, want %s", st.body, r.Body, st.status)
			}
			if st.code == 409 && !strings.HasPrefix(r.Str("error.message"), "工单不能从") {
				t.Errorf("%v refused with %s, want a Chinese explanation", st.body, r.Body)
			}
		}
		r = li.Must(200, "POST", "/api/v1/tickets/"+byHand+"/reopen", nil)
		if r.Str("status") != "open" || r.Str("closed_at") != "" {
			t.Fatalf("reopened: %s", r.Body)
		}
		// Overdue: a due time in the past shows in the overdue view.
		li.Must(200, "PATCH", "/api/v1/tickets/"+fromConv, map[string]any{"due_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
		var list struct{ Tickets []kit.TicketView }
		li.Must(200, "GET", "/api/v1/tickets?view=overdue", nil).JSON(t, &list)
		if len(list.Tickets) != 1 || list.Tickets[0].ID != fromConv {
			t.Errorf("overdue view: %+v", list.Tickets)
		}
		if got := viewCounts(t, li); got["mine"] != 2 || got["overdue"] != 1 || got["unassigned"] != 0 {
			t.Errorf("li's views after the changes: %v", got)
		}
		// Plain agents don't see another agent's ticket.
		wang.Must(404, "PATCH", "/api/v1/tickets/"+byHand, map[string]any{"status": "solved"})
		wang.Must(404, "POST", "/api/v1/tickets/"+byHand+"/reopen", nil)
		if got := viewCounts(t, wang); got["all"] != 0 {
			t.Errorf("wang's views: %v", got)
		}

		// Offline tickets keep working, and go through the same workflow.
		li.SetStatus("offline")
		if st, b := ch.Post(t, h.Base, map[string]any{"id": "m2", "type": "text", "text": "晚上有人吗",
			"contact": map[string]any{"id": "night-1", "name": "夜猫子"}}); st != 200 {
			t.Fatalf("inbound: %d %s", st, b)
		}
		off := kit.WaitTicket(t, admin, []string{"晚上有人吗"})
		if off.Status != "open" {
			t.Fatalf("offline ticket: %+v", off)
		}
		admin.Must(200, "PATCH", "/api/v1/tickets/"+off.ID, map[string]any{"status": "pending", "priority": "low"})
		admin.Must(200, "POST", "/api/v1/tickets/"+off.ID+"/solve", nil)
		admin.Must(200, "PATCH", "/api/v1/tickets/"+off.ID, map[string]any{"status": "closed"})
		admin.Must(409, "POST", "/api/v1/tickets/"+off.ID+"/solve", nil)
	})
}

// shanghaiDay is today in the tenant's time zone (a new tenant's default),
// in which the list's date filters count days.
func shanghaiDay() string {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return time.Now().In(loc).Format(time.DateOnly)
}
