// Package chat tests conversations end to end against the real kefu
// binary: the API channel round trip, assignment and routing policies, the
// queue, transfers, offline tickets, agent tools, the admin console and the
// resume of agent sockets.
package chat

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
