package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUICustomerCenter: the customer list from empty to a customer added by
// hand, searched and edited; a ticket opened for that customer, moved
// through its statuses (a forbidden move refused in Chinese) and reopened;
// both pages at 375 px (workbench/ui/e2e/crm.mjs; screenshots).
func TestUICustomerCenter(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/crm.mjs")
	script.Await("done")
	script.Finish()
}
