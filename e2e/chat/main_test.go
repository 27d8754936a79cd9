// Package chat tests conversations end to end against the real kefu
// binary: the API channel round trip, assignment and routing policies (also
// with two hubs racing), the queue, transfers, offline tickets and the
// resume of agent sockets.
package chat

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
