// Package app tests the app channel end to end against the real kefu
// binary, through the Go SDK (connectors/app/sdk/go) the way an app's
// backend or the hub's own tools speak it: identity (HMAC, JWT, anonymous),
// idempotent messages, the socket with resume, and offline push.
package app

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
