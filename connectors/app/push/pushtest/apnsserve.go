package pushtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	apnsUUID   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexToken   = regexp.MustCompile(`^[0-9a-fA-F]{64,200}$`)
	digitsRE   = regexp.MustCompile(`^[0-9]+$`)
	devicePath = regexp.MustCompile(`^/3/device/([^/]+)$`)
)

func (a *APNs) serve(w http.ResponseWriter, r *http.Request) {
	n := APNsNotification{At: time.Now()}
	status, reason := a.answer(r, &n)
	n.Status, n.Reason = status, reason
	a.mu.Lock()
	a.notes = append(a.notes, n)
	a.mu.Unlock()
	w.Header().Set("apns-id", n.APNsID)
	if n.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(n.retryAfter/time.Second)))
	}
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	body := map[string]any{"reason": reason}
	if status == http.StatusGone {
		body["timestamp"] = time.Now().UnixMilli()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// answer checks one request as APNs does and fills n; the status and
// reason to answer.
func (a *APNs) answer(r *http.Request, n *APNsNotification) (int, string) {
	h := r.Header
	n.Topic, n.PushType, n.Priority, n.CollapseID = h.Get("apns-topic"), h.Get("apns-push-type"), h.Get("apns-priority"), h.Get("apns-collapse-id")
	n.APNsID = h.Get("apns-id")
	m := devicePath.FindStringSubmatch(r.URL.Path)
	switch {
	case r.ProtoMajor != 2:
		return a.refuse(400, "BadPath", "%s: APNs speaks HTTP/2 only", r.Proto)
	case r.Method != http.MethodPost:
		return a.refuse(405, "MethodNotAllowed", "method %s", r.Method)
	case m == nil:
		return a.refuse(404, "BadPath", "path %q is not /3/device/{token}", r.URL.Path)
	}
	n.Token = m[1]
	if st, reason := a.checkBearer(h.Get("authorization")); st != 0 {
		return st, reason
	}
	if st, reason := a.checkHeaders(h, n); st != 0 {
		return st, reason
	}
	if !hexToken.MatchString(n.Token) {
		return 400, "BadDeviceToken"
	}
	if st, reason := a.checkPayload(r, n); st != 0 {
		return st, reason
	}
	if ans, ok := a.pop(); ok {
		n.retryAfter = ans.RetryAfter
		return ans.Status, ans.Reason
	}
	a.mu.Lock()
	_, gone := a.unregistered[n.Token]
	a.mu.Unlock()
	if gone {
		return 410, "Unregistered"
	}
	if n.APNsID == "" {
		n.APNsID = strings.ToUpper(randHex(4)) + "-0000-4000-8000-" + randHex(6)
	}
	return 200, ""
}

func (a *APNs) refuse(status int, reason, format string, args ...any) (int, string) {
	a.problem("%s (%d %s)", fmt.Sprintf(format, args...), status, reason)
	return status, reason
}

// checkBearer verifies the provider token: ES256 by the key, kid, iss the
// team, iat at most an hour old.
func (a *APNs) checkBearer(h string) (int, string) {
	tok, ok := strings.CutPrefix(h, "bearer ")
	if !ok || tok == "" {
		return a.refuse(403, "MissingProviderToken", "authorization %q is not \"bearer <jwt>\"", h)
	}
	j, err := parseJWT(tok)
	if err == nil {
		err = j.verifyES256(&a.key.PublicKey)
	}
	if err != nil {
		return a.refuse(403, "InvalidProviderToken", "provider token: %v", err)
	}
	iat, ok := j.unix("iat")
	switch {
	case j.Header["kid"] != a.KeyID:
		return a.refuse(403, "InvalidProviderToken", "kid %v is not the key %s", j.Header["kid"], a.KeyID)
	case j.str("iss") != a.TeamID:
		return a.refuse(403, "InvalidProviderToken", "iss %q is not the team %s", j.str("iss"), a.TeamID)
	case !ok || iat > time.Now().Unix()+60:
		return a.refuse(403, "InvalidProviderToken", "iat %v is missing or in the future", j.Claims["iat"])
	}
	a.mu.Lock()
	expired := a.bearers[tok] || time.Since(time.Unix(iat, 0)) > time.Hour
	a.bearers[tok] = expired
	a.mu.Unlock()
	if expired {
		return 403, "ExpiredProviderToken"
	}
	return 0, ""
}

func (a *APNs) checkHeaders(h http.Header, n *APNsNotification) (int, string) {
	exp := h.Get("apns-expiration")
	switch {
	case n.Topic == "":
		return a.refuse(400, "MissingTopic", "apns-topic missing")
	case n.Topic != a.BundleID:
		return a.refuse(400, "DeviceTokenNotForTopic", "apns-topic %q is not the app %s", n.Topic, a.BundleID)
	case n.PushType != "alert":
		return a.refuse(400, "InvalidPushType", "apns-push-type %q, want alert for a visible notification", n.PushType)
	case n.Priority != "10" && n.Priority != "5" && n.Priority != "":
		return a.refuse(400, "BadPriority", "apns-priority %q", n.Priority)
	case n.APNsID != "" && !apnsUUID.MatchString(n.APNsID):
		return a.refuse(400, "BadMessageId", "apns-id %q is not a UUID", n.APNsID)
	case len(n.CollapseID) > 64:
		return a.refuse(400, "BadCollapseId", "apns-collapse-id is %d bytes, at most 64", len(n.CollapseID))
	case exp != "" && !digitsRE.MatchString(exp):
		return a.refuse(400, "BadExpirationDate", "apns-expiration %q is not a UNIX time", exp)
	}
	n.Expiration, _ = strconv.ParseInt(exp, 10, 64)
	return 0, ""
}

// checkPayload reads the JSON: at most 4096 bytes, an aps dictionary with
// an alert (title, body), an integer badge, a sound, a thread-id.
func (a *APNs) checkPayload(r *http.Request, n *APNsNotification) (int, string) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(raw) == 0 {
		return a.refuse(400, "PayloadEmpty", "empty payload")
	}
	if len(raw) > 4096 {
		return a.refuse(413, "PayloadTooLarge", "payload is %d bytes, at most 4096", len(raw))
	}
	var p map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return a.refuse(400, "BadPayload", "payload is not a JSON object: %v", err)
	}
	aps, ok := p["aps"].(map[string]any)
	if !ok {
		return a.refuse(400, "BadPayload", "payload has no aps dictionary")
	}
	alert, ok := aps["alert"].(map[string]any)
	if !ok {
		return a.refuse(400, "BadPayload", "aps.alert is not a dictionary with title and body")
	}
	n.Title, _ = alert["title"].(string)
	n.Body, _ = alert["body"].(string)
	n.Sound, _ = aps["sound"].(string)
	n.ThreadID, _ = aps["thread-id"].(string)
	if b, ok := aps["badge"]; ok {
		num, isNum := b.(json.Number)
		v, err := num.Int64()
		if !isNum || err != nil || v < 0 {
			return a.refuse(400, "BadPayload", "aps.badge %v is not a non-negative integer", b)
		}
		badge := int(v)
		n.Badge = &badge
	}
	delete(p, "aps")
	n.Custom = p
	return 0, ""
}
