package qq_test

import (
	"encoding/json"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/qq"
	"github.com/kefu-hub/kefu/connectors/qq/qqtest"
)

// The QQ connector passes the connector contract through the fake platform.
func TestContract(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(d connectors.Deps, f connectortest.Fake) connectors.Connector {
			return qq.New(d, f.(*qqtest.Platform).URL)
		},
		Fake:           func(t *testing.T) connectortest.Fake { return qqtest.New(t) },
		PlatformSecret: true,
		BadConfigs: []json.RawMessage{
			json.RawMessage(`[]`),
			json.RawMessage(`{}`),
			json.RawMessage(`{"app_id":"","app_secret":"0123456789abcdef"}`),
			json.RawMessage(`{"app_id":"102000001","app_secret":""}`),
			json.RawMessage(`{"app_id":"bot 1","app_secret":"0123456789abcdef"}`),
			json.RawMessage(`{"app_id":"102000001","app_secret":"short"}`),
			json.RawMessage(`{"app_id":"102000001","app_secret":"has space in it"}`),
			json.RawMessage(`{"app_id":["102000001"],"app_secret":"0123456789abcdef"}`),
		},
	})
}
