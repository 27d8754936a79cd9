package wecom_test

import (
	"encoding/json"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/connectors/wecom/wecomtest"
)

// The 微信客服 connector passes the connector contract through the fake WeCom.
func TestContract(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(d connectors.Deps, f connectortest.Fake) connectors.Connector {
			return wecom.New(d, f.(*wecomtest.Platform).URL)
		},
		Fake: func(t *testing.T) connectortest.Fake { return wecomtest.New(t) },
		BadConfigs: []json.RawMessage{
			json.RawMessage(`[]`),
			json.RawMessage(`{}`),
			json.RawMessage(`{"corp_id":"","secret":"0123456789abcdef","open_kfid":"wk0123456789"}`),
			json.RawMessage(`{"corp_id":"ww0123456789abcdef","secret":"","open_kfid":"wk0123456789"}`),
			json.RawMessage(`{"corp_id":"ww0123456789abcdef","secret":"0123456789abcdef","open_kfid":""}`),
			json.RawMessage(`{"corp_id":"ww 01","secret":"0123456789abcdef","open_kfid":"wk0123456789"}`),
			json.RawMessage(`{"corp_id":"ww0123456789abcdef","secret":"has space in it","open_kfid":"wk0123456789"}`),
			json.RawMessage(`{"corp_id":"ww0123456789abcdef","secret":"0123456789abcdef","open_kfid":"wk0123456789","token":"bad token!"}`),
			json.RawMessage(`{"corp_id":"ww0123456789abcdef","secret":"0123456789abcdef","open_kfid":"wk0123456789","encoding_aes_key":"short"}`),
			json.RawMessage(`{"corp_id":["ww0123456789abcdef"],"secret":"0123456789abcdef","open_kfid":"wk0123456789"}`),
		},
	})
}
