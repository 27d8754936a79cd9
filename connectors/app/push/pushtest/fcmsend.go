package pushtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fcmRequest is the messages:send body; unknown names are refused, as the
// API refuses them ("Invalid JSON payload received. Unknown name").
type fcmRequest struct {
	ValidateOnly bool        `json:"validate_only"`
	Message      *fcmMessage `json:"message"`
}

type fcmMessage struct {
	Name         string            `json:"name"`
	Token        string            `json:"token"`
	Topic        string            `json:"topic"`
	Condition    string            `json:"condition"`
	Data         map[string]string `json:"data"`
	Notification *struct {
		Title string `json:"title"`
		Body  string `json:"body"`
		Image string `json:"image"`
	} `json:"notification"`
	Android *struct {
		CollapseKey           string            `json:"collapse_key"`
		Priority              string            `json:"priority"`
		TTL                   string            `json:"ttl"`
		RestrictedPackageName string            `json:"restricted_package_name"`
		Data                  map[string]string `json:"data"`
		DirectBootOK          bool              `json:"direct_boot_ok"`
		Notification          *struct {
			Title             string `json:"title"`
			Body              string `json:"body"`
			Icon              string `json:"icon"`
			Sound             string `json:"sound"`
			Tag               string `json:"tag"`
			ChannelID         string `json:"channel_id"`
			ClickAction       string `json:"click_action"`
			NotificationCount *int   `json:"notification_count"`
		} `json:"notification"`
	} `json:"android"`
	Webpush *struct {
		Headers      map[string]string `json:"headers"`
		Data         map[string]string `json:"data"`
		Notification map[string]any    `json:"notification"`
		FCMOptions   map[string]string `json:"fcm_options"`
	} `json:"webpush"`
	APNs *struct {
		Headers    map[string]string `json:"headers"`
		Payload    map[string]any    `json:"payload"`
		FCMOptions map[string]string `json:"fcm_options"`
	} `json:"apns"`
	FCMOptions map[string]string `json:"fcm_options"`
}

var (
	durationPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?s$`)
	reservedKey     = regexp.MustCompile(`^(from|notification|message_type|google.*|gcm.*)$`)
)

// statusOf is the HTTP status and google.rpc code name of an FCM errorCode.
var statusOf = map[string]struct {
	code   int
	status string
}{
	"UNREGISTERED": {404, "NOT_FOUND"}, "INVALID_ARGUMENT": {400, "INVALID_ARGUMENT"},
	"QUOTA_EXCEEDED": {429, "RESOURCE_EXHAUSTED"}, "UNAVAILABLE": {503, "UNAVAILABLE"}, "INTERNAL": {500, "INTERNAL"},
	"SENDER_ID_MISMATCH": {403, "PERMISSION_DENIED"}, "THIRD_PARTY_AUTH_ERROR": {401, "UNAUTHENTICATED"},
}

// fcmFail answers a google.rpc.Status with an FcmError detail.
func fcmFail(w http.ResponseWriter, a Answer, message string) int {
	s, ok := statusOf[a.Reason]
	if !ok {
		s.code, s.status = a.Status, a.Reason
	}
	if a.Status != 0 {
		s.code = a.Status
	}
	body := map[string]any{"code": s.code, "message": message, "status": s.status}
	if ok {
		body["details"] = []map[string]string{{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": a.Reason}}
	}
	if a.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(s.code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
	return s.code
}

func (f *FCM) send(w http.ResponseWriter, r *http.Request) {
	rec := FCMMessage{At: time.Now()}
	status, reason := f.answerSend(w, r, &rec)
	rec.Status, rec.Reason = status, reason
	f.mu.Lock()
	f.msgs = append(f.msgs, rec)
	f.mu.Unlock()
}

// answerSend checks and answers one request, filling rec.
func (f *FCM) answerSend(w http.ResponseWriter, r *http.Request, rec *FCMMessage) (int, string) {
	if r.Method != http.MethodPost || r.PathValue("send") != "messages:send" || r.PathValue("project") != f.ProjectID {
		fcmFail(w, Answer{Status: 404, Reason: "NOT_FOUND"}, f.problem("send: %s %s is not POST /v1/projects/%s/messages:send", r.Method, r.URL.Path, f.ProjectID))
		return 404, "NOT_FOUND"
	}
	if !f.authorized(r.Header.Get("Authorization")) {
		fcmFail(w, Answer{Status: 401, Reason: "UNAUTHENTICATED"}, "Request had invalid authentication credentials. Expected OAuth 2 access token.")
		return 401, "UNAUTHENTICATED"
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req fcmRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Message == nil {
		fcmFail(w, Answer{Reason: "INVALID_ARGUMENT"}, f.problem("send: Invalid JSON payload received: %v", err))
		return 400, "INVALID_ARGUMENT"
	}
	if msg := f.checkMessage(req.Message, rec); msg != "" {
		fcmFail(w, Answer{Reason: "INVALID_ARGUMENT"}, f.problem("send: %s", msg))
		return 400, "INVALID_ARGUMENT"
	}
	if a, ok := f.pop(); ok {
		return fcmFail(w, a, "injected error"), a.Reason
	}
	f.mu.Lock()
	gone, invalid := f.unregistered[rec.Token], f.invalid[rec.Token]
	f.mu.Unlock()
	switch {
	case gone:
		fcmFail(w, Answer{Reason: "UNREGISTERED"}, "Requested entity was not found.")
		return 404, "UNREGISTERED"
	case invalid:
		fcmFail(w, Answer{Reason: "INVALID_ARGUMENT"}, "The registration token is not a valid FCM registration token")
		return 400, "INVALID_ARGUMENT"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]string{"name": "projects/" + f.ProjectID + "/messages/0:" + randHex(8)})
	return 200, ""
}

func (f *FCM) authorized(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, known := f.access[tok]
	return ok && known && time.Now().Before(exp)
}

// checkMessage checks the message as the API does and copies what a test
// asserts on into rec; "" when it is good.
func (f *FCM) checkMessage(m *fcmMessage, rec *FCMMessage) string {
	targets := 0
	for _, s := range []string{m.Token, m.Topic, m.Condition} {
		if s != "" {
			targets++
		}
	}
	if targets != 1 || m.Token == "" {
		return "a message needs exactly one of token, topic, condition (the hub sends to tokens)"
	}
	rec.Token, rec.Data = m.Token, m.Data
	size := 0
	for k, v := range m.Data {
		if reservedKey.MatchString(k) || k == "" {
			return "Invalid data payload key: " + k
		}
		size += len(k) + len(v)
	}
	if m.Notification == nil {
		return "notification missing: the hub sends visible notifications"
	}
	if size += len(m.Notification.Title) + len(m.Notification.Body); size > 4096 {
		return "Message is too big: notification and data are " + strconv.Itoa(size) + " bytes, at most 4096"
	}
	rec.Title, rec.Body = m.Notification.Title, m.Notification.Body
	if msg := checkAndroid(m, rec); msg != "" {
		return msg
	}
	if m.APNs != nil {
		rec.APNsHeaders, rec.APNsPayload = m.APNs.Headers, m.APNs.Payload
		if _, ok := m.APNs.Payload["aps"].(map[string]any); m.APNs.Payload != nil && !ok {
			return "apns.payload has no aps dictionary"
		}
	}
	if m.Webpush != nil {
		rec.WebpushHeaders = m.Webpush.Headers
	}
	return ""
}

func checkAndroid(m *fcmMessage, rec *FCMMessage) string {
	a := m.Android
	if a == nil {
		return ""
	}
	rec.CollapseKey, rec.Priority, rec.TTL = a.CollapseKey, a.Priority, a.TTL
	switch {
	case a.Priority != "" && !strings.EqualFold(a.Priority, "high") && !strings.EqualFold(a.Priority, "normal"):
		return "android.priority " + a.Priority + " is not NORMAL or HIGH"
	case a.TTL != "" && !durationPattern.MatchString(a.TTL):
		return "android.ttl " + a.TTL + ` is not a duration such as "86400s"`
	}
	if n := a.Notification; n != nil {
		rec.Tag = n.Tag
		if n.NotificationCount != nil {
			if *n.NotificationCount < 0 {
				return "android.notification.notification_count is negative"
			}
			rec.NotificationCount = *n.NotificationCount
		}
	}
	return ""
}
