package push

import (
	"net/http"
	"testing"
	"time"
)

func TestClassifyAnswers(t *testing.T) {
	fcmDetail := func(code string) string {
		return `{"error":{"code":0,"message":"m","status":"S","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"` + code + `"}]}}`
	}
	cases := []struct {
		name   string
		apns   bool
		status int
		body   string
		want   failKind
	}{
		{"fcm unregistered", false, 404, fcmDetail("UNREGISTERED"), invalidToken},
		{"fcm bad token", false, 400, `{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}`, invalidToken},
		{"fcm bad data value", false, 400, `{"error":{"code":400,"message":"Invalid value at 'message.data[0].value' (TYPE_STRING), 12","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.data[0].value"}]}]}}`, permanent},
		{"fcm token field", false, 400, `{"error":{"code":400,"message":"x","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.token"}]}]}}`, invalidToken},
		{"fcm sender mismatch keeps the token", false, 403, fcmDetail("SENDER_ID_MISMATCH"), permanent},
		{"fcm access token", false, 401, `{"error":{"code":401,"status":"UNAUTHENTICATED"}}`, authRejected},
		{"fcm project's APNs credential", false, 401, fcmDetail("THIRD_PARTY_AUTH_ERROR"), permanent},
		{"fcm quota", false, 429, fcmDetail("QUOTA_EXCEEDED"), retryable},
		{"fcm unavailable", false, 503, fcmDetail("UNAVAILABLE"), retryable},
		{"fcm html error page", false, 502, `<html>`, retryable},
		{"apns gone", true, 410, `{"reason":"Unregistered","timestamp":1}`, invalidToken},
		{"apns bad token", true, 400, `{"reason":"BadDeviceToken"}`, invalidToken},
		{"apns bad topic", true, 400, `{"reason":"BadTopic"}`, permanent},
		{"apns expired provider token", true, 403, `{"reason":"ExpiredProviderToken"}`, authRejected},
		{"apns invalid provider token", true, 403, `{"reason":"InvalidProviderToken"}`, permanent},
		{"apns too many", true, 429, `{"reason":"TooManyRequests"}`, retryable},
		{"apns shutdown", true, 503, `{"reason":"Shutdown"}`, retryable},
	}
	for _, c := range cases {
		res := &http.Response{StatusCode: c.status, Header: http.Header{}}
		var err error
		if c.apns {
			err = apnsError(res, []byte(c.body))
		} else {
			err = fcmError(res, []byte(c.body))
		}
		if got := err.(*Error).kind; got != c.want {
			t.Errorf("%s: kind %d, want %d (%v)", c.name, got, c.want, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"": 0, "7": 7 * time.Second, "-1": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second, now.Add(-time.Minute).Format(http.TimeFormat): 0} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", v, got, want)
		}
	}
}

func TestUUIDs(t *testing.T) {
	id := "0f8fad5b-d9cb-469f-a165-70867728950e"
	first, again := asUUID("msg_1"), asUUID("msg_1")
	if asUUID(id) != id || first != again || first == asUUID("msg_2") || !uuidPattern.MatchString(first) {
		t.Fatalf("asUUID: %s %s", asUUID("msg_1"), asUUID("msg_2"))
	}
	if a, b := newUUID(), newUUID(); a == b || !uuidPattern.MatchString(a) || a[14] != '4' {
		t.Fatalf("newUUID %s %s", a, b)
	}
}
