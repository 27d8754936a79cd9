// Package cluster tests the hub against its bus failing the way NATS does
// in production, with the real kefu binary on PostgreSQL and separate
// nats-server processes (the version the hub embeds, built from the module):
// a NATS restart with its store, a NATS store lost, a 3-node JetStream
// cluster losing a node while a hub dies too, a hub stopped under load, and
// an inbox too far behind. The platform side retries what gets no 2xx, as
// platforms do; every test then audits the database: nothing acknowledged
// is lost, nothing is stored twice, nothing is parked as failed.
package cluster

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
