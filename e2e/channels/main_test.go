// Package channels tests the platform endpoints end to end against the real
// kefu binary: the developer API channel's signed webhooks and bad input,
// WeChat in its three message modes through the fake platform, and the web
// widget's wire protocol.
package channels

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestMain(m *testing.M) { kit.Main(m) }
