// Package browser drives the workbench and the website widget in headless
// chromium (playwright-core, scripts under workbench/ui/e2e and
// connectors/web/widget/e2e) against the real kefu binary. On CI (CI=true)
// a missing chromium, node or UI build fails the tests; elsewhere they skip.
package browser

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
