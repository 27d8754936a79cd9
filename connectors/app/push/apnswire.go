package push

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// The APNs payload: {"aps": {...}} with the app's data beside it.
type apnsPayload struct {
	Aps aps `json:"aps"`
}

type aps struct {
	Alert    *apsAlert `json:"alert,omitempty"`
	Badge    int       `json:"badge"`
	Sound    string    `json:"sound"`
	ThreadID string    `json:"thread-id,omitempty"`
}

type apsAlert struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// apnsBody is the request's JSON: aps (alert, badge, sound, thread-id by
// conversation), conversation_id and notification_id, and the data keys;
// the body is cut further when the whole would pass 4 KB.
func apnsBody(n Notification) ([]byte, error) {
	encode := func(n Notification) []byte {
		m := make(map[string]any, len(n.Data)+3)
		for k, v := range n.Data {
			m[k] = v
		}
		m["aps"] = aps{Alert: &apsAlert{Title: n.Title, Body: n.Body}, Badge: n.Badge, Sound: "default", ThreadID: n.ConversationID}
		m["conversation_id"] = n.ConversationID
		m["notification_id"] = n.ID
		b, _ := json.Marshal(m) // strings and ints always marshal
		return b
	}
	n, err := fit(n, func(n Notification) int { return len(encode(n)) }, apnsMaxPayload)
	if err != nil {
		return nil, fmt.Errorf("apns payload: %w", err)
	}
	return encode(n), nil
}

// fit cuts n's body until size(n) is within limit bytes.
func fit(n Notification, size func(Notification) int, limit int) (Notification, error) {
	for {
		over := size(n) - limit
		if over <= 0 {
			return n, nil
		}
		runes := utf8.RuneCountInString(n.Body)
		if runes <= 1 {
			return n, fmt.Errorf("%d bytes over the %d-byte limit even without the body: fewer data keys", over, limit)
		}
		n.Body = cut(n.Body, max(1, runes-over/3-1))
	}
}

// apnsCollapseID is the collapse id within APNs' 64 bytes: a longer one is
// replaced by its hash (the same id always maps to the same value).
func apnsCollapseID(id string) string {
	if len(id) <= apnsMaxCollapseID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
