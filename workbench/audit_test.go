package workbench

import (
	"testing"

	"github.com/kefu-hub/kefu/workbench/auditlog"
)

// Every route the audit log names is one the router serves (a renamed route
// would silently stop being recorded).
func TestAuditedRoutesExist(t *testing.T) {
	served := map[string]bool{}
	for _, r := range New(Deps{}).Routes() {
		served[r.Method+" "+r.Path] = true
	}
	for _, r := range auditlog.Routes() {
		if !served[r] {
			t.Errorf("the audit log names %s, which no route serves", r)
		}
	}
}
