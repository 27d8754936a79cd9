package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUICustomerFields: custom fields defined in the console and filled on
// customers, the list filtered by one, a follow-up that falls due, a merge
// confirmed and undone, an import checked row by row then committed, an
// export with a formula defused, 375 px (workbench/ui/e2e/customers.mjs;
// screenshots customers-custom-fields and customers-merged).
func TestUICustomerFields(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/customers.mjs")
	script.Await("done")
	script.Finish()
}
