// Package desk tests what agents and admins work with, end to end against
// the real kefu binary: the agent tools (canned replies, internal notes,
// categories, blacklist, contact card, history search and export) and the
// admin console (TOTP, agent administration, the live monitor, ticket
// filters, webhook subscriptions).
package desk

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
