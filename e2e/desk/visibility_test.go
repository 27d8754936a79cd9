package desk

// The customer list's visibility rules (客户可见范围, issue 15): an admin
// widens what agents and supervisors see, and the next list, card and
// export follow, on either process of a cluster.

import (
	"slices"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestCustomerVisibilityRules(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		after := admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
		before := admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"}).Str("id")
		li, zhao := admin.NewAgent("li@kefu.test", 5, after), admin.NewAgent("zhao@kefu.test", 5, after)
		wang := admin.NewAgent("wang@kefu.test", 5)
		admin.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "boss@kefu.test", "password": "agent-pass-1",
			"role": "supervisor", "groups": []string{before}})
		boss := kit.Login(t, h.Base, "boss@kefu.test", "agent-pass-1")

		li.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "李的客户"})
		zhao.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "赵的客户"})
		nobody := admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "无主客户", "owner_id": ""}).Str("id")
		exported := func(c *kit.Client) string {
			t.Helper()
			res, body := c.Download("/api/v1/contacts/export?format=csv")
			if res.StatusCode != 200 {
				t.Fatalf("export: %d %s", res.StatusCode, body)
			}
			return string(body)
		}

		type rules struct {
			AgentsUnowned  bool `json:"agents_unowned"`
			AgentsGroup    bool `json:"agents_group"`
			SupervisorsAll bool `json:"supervisors_all"`
		}
		read := func(r kit.Resp) rules {
			t.Helper()
			var x rules
			r.JSON(t, &x)
			return x
		}
		if got := read(admin.Must(200, "GET", "/api/v1/contact-visibility", nil)); got != (rules{}) {
			t.Errorf("default rules: %+v", got)
		}
		for _, st := range []struct {
			rules                 map[string]any
			li, wang, boss        []string
			liSeesNobody, exports bool // li opens and exports 无主客户
		}{
			{map[string]any{}, []string{"李的客户"}, []string{}, []string{}, false, false},
			{map[string]any{"agents_unowned": true}, []string{"无主客户", "李的客户"}, []string{"无主客户"}, []string{}, true, true},
			{map[string]any{"agents_group": true}, []string{"李的客户", "赵的客户"}, []string{}, []string{}, false, false},
			{map[string]any{"supervisors_all": true}, []string{"李的客户"}, []string{},
				[]string{"无主客户", "李的客户", "赵的客户"}, false, false},
			{map[string]any{"agents_unowned": true, "agents_group": true, "supervisors_all": true},
				[]string{"无主客户", "李的客户", "赵的客户"}, []string{"无主客户"}, []string{"无主客户", "李的客户", "赵的客户"}, true, true},
		} {
			want := rules{st.rules["agents_unowned"] == true, st.rules["agents_group"] == true, st.rules["supervisors_all"] == true}
			if got := read(admin.Must(200, "PUT", "/api/v1/contact-visibility", st.rules)); got != want {
				t.Errorf("PUT %v answered %+v", st.rules, got)
			}
			for _, w := range []struct {
				name string
				c    *kit.Client
				want []string
			}{{"li", li, st.li}, {"wang", wang, st.wang}, {"boss", boss, st.boss}} {
				want := slices.Clone(w.want)
				slices.Sort(want)
				if got := listed(t, w.c, ""); !slices.Equal(got, want) {
					t.Errorf("rules %v: %s lists %q, want %q", st.rules, w.name, got, want)
				}
			}
			status := map[bool]int{true: 200, false: 404}[st.liSeesNobody]
			li.Must(status, "GET", "/api/v1/contacts/"+nobody, nil)
			if got := strings.Contains(exported(li), "无主客户"); got != st.exports {
				t.Errorf("rules %v: li's export holds 无主客户: %v", st.rules, got)
			}
		}
		// admins only; a malformed body is 400 and changes nothing
		li.Must(403, "GET", "/api/v1/contact-visibility", nil)
		li.Must(403, "PUT", "/api/v1/contact-visibility", map[string]any{"agents_unowned": false})
		boss.Must(403, "PUT", "/api/v1/contact-visibility", map[string]any{"supervisors_all": false})
		admin.Must(400, "PUT", "/api/v1/contact-visibility", map[string]any{"agents_unowned": "yes"})
		admin.Must(400, "PUT", "/api/v1/contact-visibility", "not an object")
		if got := read(admin.Must(200, "GET", "/api/v1/contact-visibility", nil)); got != (rules{true, true, true}) {
			t.Errorf("refused changes moved the rules: %+v", got)
		}
	})
}
