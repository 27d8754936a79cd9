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
		admin.ConversationOf("app-user-7", 15*time.Second)

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
		} {
			if got := listed(t, st.who, st.query); !slices.Equal(got, st.want) {
				t.Errorf("%s lists %q: %q, want %q", st.name, st.query, got, st.want)
			}
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
