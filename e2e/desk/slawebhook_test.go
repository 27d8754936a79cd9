package desk

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A webhook subscription takes ticket.sla: a ticket past its due time is
// delivered once (not once per follower), signed; SLA policy changes are in
// the audit log with what they were and became.
func TestTicketSLAWebhookAndAudit(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		r := adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": cb.URL, "events": []string{"ticket.sla"}})
		cb.SetSecret(r.Str("secret"))

		adm.Must(200, "PUT", "/api/v1/sla/policies", map[string]any{"policies": []map[string]any{
			{"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240}}})
		adm.Must(200, "PUT", "/api/v1/sla/policies", map[string]any{"policies": []map[string]any{
			{"priority": "urgent", "first_response_minutes": 20, "resolution_minutes": 240},
			{"priority": "high", "first_response_minutes": 60, "resolution_minutes": 480}}})
		es := auditList(adm, url.Values{"action": {"sla_policy.update"}}).Entries
		if len(es) != 2 {
			t.Fatalf("audit entries %+v, want two sla_policy.update", es)
		}
		if d := es[0].Detail; d != "was: urgent 30/240 min; now: urgent 20/240 min, high 60/480 min" {
			t.Errorf("the latest entry's detail %q", d)
		}
		if d := es[1].Detail; d != "was: none; now: urgent 30/240 min" {
			t.Errorf("the first entry's detail %q", d)
		}

		contact := adm.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "王先生", "phone": "13800000001"}).Str("id")
		tk := adm.Must(201, "POST", "/api/v1/tickets", map[string]any{"subject": "发票开错了", "contact_id": contact, "priority": "urgent"}).Str("id")
		other := adm.NewAgent("sla-follower@kefu.test", 5)
		adm.Must(200, "POST", "/api/v1/tickets/"+tk+"/follow", nil)
		other.Must(200, "POST", "/api/v1/tickets/"+tk+"/follow", nil)
		adm.Must(200, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"due_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)})

		var got []kit.Callback
		kit.Eventually(t, 50*time.Second, "the sweeper's ticket.sla reaches the subscription", func() bool {
			got = got[:0]
			for _, c := range cb.Received() {
				if c.Body["type"] == "ticket.sla" && kit.Dig(c.Body, "data", "ticket_id") == tk {
					got = append(got, c)
				}
			}
			return len(got) > 0
		})
		time.Sleep(2 * time.Second) // a repeat for another follower would have come with it
		n := 0
		for _, c := range cb.Received() {
			if c.Body["type"] == "ticket.sla" && kit.Dig(c.Body, "data", "clock") == "resolution" && kit.Dig(c.Body, "data", "level") == "breached" {
				n++
				if !c.OK {
					t.Errorf("unsigned delivery %s", c.ID)
				}
			}
		}
		if n != 1 || !strings.Contains(kit.Dig(got[0].Body, "data", "subject").(string), "发票") {
			t.Fatalf("ticket.sla deliveries %+v: want one resolution breach", cb.Received())
		}
	})
}
