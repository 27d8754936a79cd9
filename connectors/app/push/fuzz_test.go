package push

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// FuzzConfig: any channel config either validates or gives a config
// error, never a panic, and a valid one builds a Pusher.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{`{}`, `{"webhook":{"url":"https://x","secret":"whsec_c2VjcmV0"}}`,
		`{"fcm":{"service_account_json":{"type":"service_account","project_id":"abcdef","client_email":"a@b","private_key":"x"}}}`,
		`{"fcm":{"service_account_json":"{\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAA==\\n-----END PRIVATE KEY-----\"}"}}`,
		`{"apns":{"team_id":"ABCDE12345","key_id":"ABCDE12345","bundle_id":"a.b","private_key_p8":"MIGHAgEA"}}`,
		`{"fcm":{"service_account_json":null},"apns":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Config
		if json.Unmarshal(raw, &c) != nil {
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		if _, err := New(c, Options{}); err != nil {
			t.Fatalf("valid config refused by New: %v", err)
		}
	})
}

// FuzzAnswers: whatever FCM, APNs, Google's token endpoint or a push
// webhook answers is classified without a panic.
func FuzzAnswers(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`))
	f.Add(400, []byte(`{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.token"}]}]}}`))
	f.Add(410, []byte(`{"reason":"Unregistered","timestamp":1}`))
	f.Add(200, []byte(`{"access_token":"ya29.x","expires_in":"3599"}`))
	f.Add(200, []byte(`{"invalid_tokens":["a",1]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res := func() *http.Response {
			return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {string(body[:min(len(body), 8)])}},
				Body: io.NopCloser(bytes.NewReader(body))}
		}
		_ = fcmError(res(), body)
		_ = apnsError(res(), body)
		if tok, life, err := tokenAnswer(res(), body); err == nil && (tok == "" || life <= 0) {
			t.Fatalf("token %q life %s accepted", tok, life)
		}
		var a WebhookAnswer
		_ = json.Unmarshal(body, &a)
	})
}
