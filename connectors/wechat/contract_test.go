package wechat_test

import (
	"encoding/json"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
)

// The WeChat connector passes the connector contract through the fake
// platform, in each of WeChat's three message modes.
func TestContract(t *testing.T) {
	for _, mode := range []string{wechat.ModePlain, wechat.ModeCompat, wechat.ModeSafe} {
		t.Run(mode, func(t *testing.T) {
			connectortest.Run(t, connectortest.Harness{
				New: func(d connectors.Deps, f connectortest.Fake) connectors.Connector {
					return wechat.New(d, f.(*wechattest.Platform).URL)
				},
				Fake: func(t *testing.T) connectortest.Fake { return wechattest.New(t).WithMode(mode) },
				BadConfigs: []json.RawMessage{
					json.RawMessage(`[]`),
					json.RawMessage(`{}`),
					json.RawMessage(`{"app_id":"","app_secret":"0123456789abcdef"}`),
					json.RawMessage(`{"app_id":"wx0123456789abcdef","app_secret":""}`),
					json.RawMessage(`{"app_id":"wx0123456789abcdef","app_secret":"0123456789abcdef","mode":"aes"}`),
					json.RawMessage(`{"app_id":"wx0123456789abcdef","app_secret":"0123456789abcdef","token":"a b"}`),
					json.RawMessage(`{"app_id":"wx0123456789abcdef","app_secret":"0123456789abcdef","token":"ab"}`),
					json.RawMessage(`{"app_id":"wx0123456789abcdef","app_secret":"0123456789abcdef","encoding_aes_key":"short"}`),
					json.RawMessage(`{"app_id":"wx 0123","app_secret":"0123456789abcdef"}`),
					json.RawMessage(`{"app_id":"wx0123456789abcdef","app_secret":"0123456789abcdef","menu":{"":{"reply":"x"}}}`),
					json.RawMessage(`{"app_id":["wx"],"app_secret":"0123456789abcdef"}`),
				},
			})
		})
	}
}
