// Package isolation proves tenants never see each other, against the real
// kefu binary: every route it serves (`kefu routes`) is called by the other
// tenant with foreign ids, and API tokens live and die as they should.
package isolation

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
