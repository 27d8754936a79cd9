package desk

// The audit log (操作日志, issue 12): sign-ins, failed sign-ins and admin
// changes are recorded per tenant, with who, from where and on what;
// failed requests are not; admins list it with filters and pages and
// download it as CSV.

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

type auditEntry struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Address    string    `json:"address"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Detail     string    `json:"detail"`
}

type auditPage struct {
	Entries []auditEntry `json:"entries"`
	Next    string       `json:"next_cursor"`
}

func auditList(c *kit.Client, q url.Values) auditPage {
	c.T.Helper()
	var p auditPage
	c.Must(200, "GET", "/api/v1/audit?"+q.Encode(), nil).JSON(c.T, &p)
	return p
}

func find(es []auditEntry, action, target string) *auditEntry {
	for i := range es {
		if es[i].Action == action && (target == "" || es[i].TargetID == target) {
			return &es[i]
		}
	}
	return nil
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		start := time.Now().Add(-time.Second).UTC()
		adm := h.Admin()
		anon := &kit.Client{T: t, Base: h.Base}
		if r := loginWith(anon, "admin@kefu.test", "wrong-password", ""); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
		loginWith(anon, "nobody@kefu.test", "wrong-password", "")

		agentID := adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "audited@kefu.test",
			"password": "agent-pass-1", "name": "小审"}).Str("id")
		adm.Must(200, "PATCH", "/api/v1/agents/"+agentID, map[string]any{"role": "supervisor", "password": "another-pass-2"})
		ch := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "api", "name": "审计渠道",
			"config": map[string]any{}}).Str("id")
		adm.Must(200, "POST", "/api/v1/channels/"+ch+"/rotate-secret", nil)
		tok := adm.Must(201, "POST", "/api/v1/api-tokens", map[string]any{"name": "ci"}).Str("id")
		adm.Must(200, "DELETE", "/api/v1/api-tokens/"+tok, nil)
		rs := adm.Must(200, "GET", "/api/v1/ratings/settings", nil).JSONMap(t)
		adm.Must(200, "PUT", "/api/v1/ratings/settings", rs)
		adm.Must(400, "POST", "/api/v1/groups", map[string]any{"name": ""}) // refused: not recorded
		sup := kit.Login(t, h.Base, "audited@kefu.test", "another-pass-2")
		sup.Must(403, "GET", "/api/v1/audit", nil)

		es := auditList(adm, url.Values{"limit": {"100"}}).Entries
		for _, w := range []struct{ action, target string }{
			{"auth.login", ""}, {"auth.login_failed", ""}, {"agent.create", agentID}, {"agent.update", agentID},
			{"channel.create", ch}, {"channel.rotate_secret", ch}, {"api_token.create", tok}, {"api_token.delete", tok},
			{"rating_settings.update", ""},
		} {
			e := find(es, w.action, w.target)
			if e == nil {
				t.Errorf("no %s entry on %q in %+v", w.action, w.target, es)
				continue
			}
			if e.At.Before(start) || e.Address == "" {
				t.Errorf("%s: at %v, address %q", w.action, e.At, e.Address)
			}
		}
		if e := find(es, "auth.login_failed", ""); e != nil && (e.ActorName != "admin@kefu.test" || e.ActorID != "") {
			t.Errorf("failed sign-in entry %+v: want the account's email and no actor id", e)
		}
		if e := find(es, "agent.update", agentID); e != nil && (e.ActorName != "admin@kefu.test" ||
			!strings.Contains(e.Detail, "role=supervisor") || !strings.Contains(e.Detail, "password") ||
			strings.Contains(e.Detail, "another-pass-2")) {
			t.Errorf("agent.update entry %+v: want the admin, role=supervisor and the password field named, never its value", e)
		}
		if find(es, "group.create", "") != nil {
			t.Error("a refused request was recorded")
		}
		for _, e := range es {
			if e.ActorName == "nobody@kefu.test" {
				t.Errorf("a failed sign-in of an unknown email was filed in the tenant: %+v", e)
			}
		}

		// Filters and paging.
		for _, e := range auditList(adm, url.Values{"action": {"channel"}}).Entries {
			if !strings.HasPrefix(e.Action, "channel.") {
				t.Errorf("action=channel lists %s", e.Action)
			}
		}
		if got := auditList(adm, url.Values{"target": {tok}}).Entries; len(got) != 2 {
			t.Errorf("target=%s: %d entries, want create and delete", tok, len(got))
		}
		if got := auditList(adm, url.Values{"actor": {"audited@kefu.test"}}).Entries; len(got) != 1 || got[0].Action != "auth.login" {
			t.Errorf("actor=audited@kefu.test: %+v, want their one sign-in", got)
		}
		if got := auditList(adm, url.Values{"to": {start.Format(time.RFC3339)}}).Entries; len(got) != 0 {
			t.Errorf("to=%s: %d entries before the test began", start.Format(time.RFC3339), len(got))
		}
		var paged []string
		q := url.Values{"limit": {"3"}}
		for range 20 {
			p := auditList(adm, q)
			for _, e := range p.Entries {
				paged = append(paged, e.ID)
			}
			if p.Next == "" {
				break
			}
			q.Set("cursor", p.Next)
		}
		if len(paged) != len(es) {
			t.Errorf("pages of 3 hold %d entries, one page of 100 %d", len(paged), len(es))
		}
		adm.Must(400, "GET", "/api/v1/audit?from=yesterday", nil)
		adm.Must(400, "GET", "/api/v1/audit?cursor=forged", nil)

		// CSV export, itself recorded.
		r := adm.Must(200, "GET", "/api/v1/audit/export?action=agent", nil)
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][4] != "action" || rows[1][4] != "agent.update" || rows[2][6] != agentID {
			t.Errorf("CSV export of action=agent: %v, %q", err, rows)
		}
		if e := find(auditList(adm, url.Values{"action": {"audit.export"}}).Entries, "audit.export", ""); e == nil ||
			e.Detail != "action=agent" {
			t.Errorf("the export was not recorded with its filter: %+v", e)
		}
	})
}
