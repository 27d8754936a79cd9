package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUICustomerCenter: the customer list from empty to a customer added by
// hand, searched and edited; a ticket opened for that customer, moved
// through its statuses (a forbidden move refused in Chinese) and reopened;
// a ticket opened from a conversation;
// both pages at 375 px (workbench/ui/e2e/crm.mjs; screenshots).
func TestUICustomerCenter(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/crm.mjs")
	// Once the empty list was seen: nobody is online, so a customer's
	// message becomes an offline ticket; its conversation is the one a
	// ticket is then opened from in the browser.
	script.Await("empty-seen")
	ch := h.Admin().NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
	if st, b := ch.Post(t, h.Base, kit.TextMsg("night-1", "night-owl", "晚上有人吗")); st != 200 {
		t.Fatalf("inbound: %d %s", st, b)
	}
	script.Send(map[string]string{"conv": kit.WaitTicket(t, h.Admin(), []string{"晚上有人吗"}).ConversationID})
	script.Await("done")
	script.Finish()
}
