package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUITicketSLA: an admin sets SLA rules in the console (from the empty
// state); a customer's offline ticket made urgent shows its first-response
// and resolution due times with a countdown; a ticket past its due time is
// marked breached in the list (sorted by due first), the hub's sweeper
// warns the workbench with a notice, and the overdue view counts it; the
// admin follows a ticket and finds it under 我关注的; the page at 375 px
// (workbench/ui/e2e/sla.mjs; screenshots).
func TestUITicketSLA(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	admin := h.Admin()
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/sla.mjs")
	script.Await("rules-saved")
	// Nobody is online: two customers' messages become offline tickets.
	ch := admin.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	for _, m := range []map[string]any{kit.TextMsg("m-1", "buyer-1", "发票抬头开错了"), kit.TextMsg("m-2", "buyer-2", "退款三天还没到账")} {
		if st, b := ch.Post(t, h.Base, m); st != 200 {
			t.Fatalf("inbound: %d %s", st, b)
		}
	}
	invoice := kit.WaitTicket(t, admin, []string{"发票抬头开错了"})
	refund := kit.WaitTicket(t, admin, []string{"退款三天还没到账"})
	script.Send(map[string]string{"invoice": invoice.ID, "refund": refund.ID})
	// Once the tickets page watches (made overdue before, the sweeper could
	// flag it before the page was there to be told): the refund ticket was
	// due a minute ago (set by hand).
	script.Await("watching")
	admin.Must(200, "PATCH", "/api/v1/tickets/"+refund.ID, map[string]any{"due_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)})
	script.Send(nil)
	script.Await("done")
	script.Finish()
	var r struct {
		FirstResponseDueAt string `json:"first_response_due_at"`
		Followers          []string
	}
	admin.Must(200, "GET", "/api/v1/tickets/"+invoice.ID, nil).JSON(t, &r)
	if r.FirstResponseDueAt == "" || len(r.Followers) != 1 {
		t.Fatalf("the urgent ticket after the browser: %+v", r)
	}
}
