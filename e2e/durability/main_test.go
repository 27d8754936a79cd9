// Package durability tests what must survive processes dying and racing,
// against the real kefu binary: kill -9 under load, restarts, duplicate
// deliveries, each customer's message order under load, and several hubs
// sharing one PostgreSQL + NATS.
package durability

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
