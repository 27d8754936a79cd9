package push

import (
	"strconv"
	"strings"
	"time"
)

// The messages:send body (projects.messages, FCM HTTP v1).
type fcmMessage struct {
	Message fcmBody `json:"message"`
}

type fcmBody struct {
	Token        string            `json:"token"`
	Notification fcmNotification   `json:"notification"`
	Data         map[string]string `json:"data,omitempty"`
	Android      fcmAndroid        `json:"android"`
	APNs         fcmAPNs           `json:"apns"`
	Webpush      fcmWebpush        `json:"webpush"`
}

type fcmNotification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

type fcmAndroid struct {
	CollapseKey  string                 `json:"collapse_key,omitempty"`
	Priority     string                 `json:"priority"`
	TTL          string                 `json:"ttl"`
	Notification fcmAndroidNotification `json:"notification"`
}

type fcmAndroidNotification struct {
	Tag               string `json:"tag,omitempty"`
	NotificationCount int    `json:"notification_count"`
}

type fcmAPNs struct {
	Headers map[string]string `json:"headers"`
	Payload apnsPayload       `json:"payload"`
}

type fcmWebpush struct {
	Headers map[string]string `json:"headers"`
}

// message is one target's messages:send body: the notification, the
// app's data (with conversation_id and notification_id), and the Android,
// APNs and Web Push options (FCM applies the one of the token's platform).
func (f *fcmSender) message(t Target, n Notification) fcmBody {
	ttl := int64(f.ttl / time.Second)
	apnsHeaders := map[string]string{"apns-priority": "10", "apns-push-type": "alert",
		"apns-expiration": strconv.FormatInt(f.now().Add(f.ttl).Unix(), 10)}
	if n.CollapseID != "" {
		apnsHeaders["apns-collapse-id"] = apnsCollapseID(n.CollapseID)
	}
	aps := apnsPayload{Aps: aps{Badge: n.Badge, Sound: "default", ThreadID: n.ConversationID}}
	return fcmBody{
		Token:        t.Token,
		Notification: fcmNotification{Title: n.Title, Body: n.Body},
		Data:         fcmData(n),
		Android: fcmAndroid{CollapseKey: n.CollapseID, Priority: "high", TTL: strconv.FormatInt(ttl, 10) + "s",
			Notification: fcmAndroidNotification{Tag: n.CollapseID, NotificationCount: n.Badge}},
		APNs:    fcmAPNs{Headers: apnsHeaders, Payload: aps},
		Webpush: fcmWebpush{Headers: map[string]string{"Urgency": "high", "TTL": strconv.FormatInt(ttl, 10)}},
	}
}

// fcmData is the notification's data without the keys FCM reserves, plus
// conversation_id and notification_id.
func fcmData(n Notification) map[string]string {
	d := make(map[string]string, len(n.Data)+2)
	for k, v := range n.Data {
		if !reservedDataKey(k) {
			d[k] = v
		}
	}
	if _, ok := d["conversation_id"]; !ok && n.ConversationID != "" {
		d["conversation_id"] = n.ConversationID
	}
	if _, ok := d["notification_id"]; !ok {
		d["notification_id"] = n.ID
	}
	return d
}

// fcmMaxPayload is FCM's limit for a message's notification and data.
const fcmMaxPayload = 4096

// fcmPayloadSize is what FCM counts against fcmMaxPayload: the keys and
// values of the data and the notification's text.
func fcmPayloadSize(n Notification) int {
	size := len(n.Title) + len(n.Body)
	for k, v := range fcmData(n) {
		size += len(k) + len(v)
	}
	return size
}

// reservedDataKey is a data key FCM refuses (INVALID_ARGUMENT).
func reservedDataKey(k string) bool {
	switch k {
	case "", "from", "notification", "message_type", "collapse_key":
		return true
	}
	return strings.HasPrefix(k, "google") || strings.HasPrefix(k, "gcm")
}
