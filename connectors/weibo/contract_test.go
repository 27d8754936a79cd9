package weibo_test

import (
	"encoding/json"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/connectors/weibo"
	"github.com/kefu-hub/kefu/connectors/weibo/weibotest"
)

// The Weibo connector passes the connector contract through the fake
// platform.
func TestContract(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(d connectors.Deps, f connectortest.Fake) connectors.Connector {
			return weibo.New(d, f.(*weibotest.Platform).URL)
		},
		Fake: func(t *testing.T) connectortest.Fake { return weibotest.New(t) },
		BadConfigs: []json.RawMessage{
			json.RawMessage(`[]`),
			json.RawMessage(`{}`),
			json.RawMessage(`{"app_key":"","app_secret":"0123456789abcdef","access_token":"2.00abcdefgh","uid":"1902538057"}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"","access_token":"2.00abcdefgh","uid":"1902538057"}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"0123456789abcdef","access_token":"","uid":"1902538057"}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"0123456789abcdef","access_token":"2.00abcdefgh","uid":""}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"0123456789abcdef","access_token":"2.00abcdefgh","uid":"weibo"}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"0123456789abcdef","access_token":"2.00abcdefgh","uid":"99999999999999999999"}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"01 23","access_token":"2.00abcdefgh","uid":"1902538057"}`),
			json.RawMessage(`{"app_key":"abc","app_secret":"0123456789abcdef","access_token":"2.00abcdefgh","uid":"1902538057"}`),
			json.RawMessage(`{"app_key":["12345678"],"app_secret":"0123456789abcdef","access_token":"2.00abcdefgh","uid":"1902538057"}`),
			json.RawMessage(`{"app_key":"12345678","app_secret":"0123456789abcdef","access_token":"2.00 abc<script>","uid":"1902538057"}`),
		},
	})
}
