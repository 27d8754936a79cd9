package channels

// Bad input gets a clear error and changes nothing: a wrong, missing,
// foreign or stale signature is a 401 that stores nothing; an oversize body
// is a 413; malformed JSON, a wrong type where a string belongs, trailing
// garbage or a missing id is a 400; NUL bytes and invalid UTF-8 are accepted
// and stored cleaned, never a 500 (which would make platforms retry
// forever); unknown channels and routes are JSON 404s.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// badPost posts body to a channel's webhook with exactly the given headers.
func badPost(t *testing.T, base, channelID string, body io.Reader, h http.Header) kit.Resp {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/webhooks/api/"+channelID, body)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post webhook: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return kit.Resp{Status: res.StatusCode, Body: b}
}

// badSigned returns Standard Webhooks headers for body signed with secret at ts.
func badSigned(t *testing.T, secret string, ts time.Time, body []byte) http.Header {
	t.Helper()
	h := http.Header{}
	if err := api.SetHeaders(h, secret, "msg_"+kit.RandHex(8), ts, body); err != nil {
		t.Fatal(err)
	}
	return h
}

// badStored is what a channel holds: its conversations and inbound messages.
type badStored struct {
	convs int
	in    []map[string]any
}

func badCount(t *testing.T, adm *kit.Client, channelID string) badStored {
	t.Helper()
	var s badStored
	// Conversations move forward (queued → open/offline → closed) while
	// this reads, so one may show up twice: count each once.
	seen := map[any]bool{}
	for _, st := range []string{"queued", "open", "offline", "closed"} {
		var raw struct {
			Conversations []map[string]any
		}
		adm.Must(200, "GET", "/api/v1/conversations?limit=500&status="+st, nil).JSON(t, &raw)
		for _, c := range raw.Conversations {
			if c["channel_id"] != channelID || seen[c["id"]] {
				continue
			}
			seen[c["id"]] = true
			s.convs++
			var ms struct{ Messages []map[string]any }
			adm.Must(200, "GET", fmt.Sprintf("/api/v1/conversations/%s/messages?limit=500", c["id"]), nil).JSON(t, &ms)
			for _, m := range ms.Messages {
				if m["direction"] == "in" {
					s.in = append(s.in, m)
				}
			}
		}
	}
	return s
}

// badSentinel posts one good message and waits until it is stored: every
// rejected request before it has had every chance to store something.
func badSentinel(t *testing.T, h *kit.Hub, adm *kit.Client, ch kit.APIChannel) badStored {
	t.Helper()
	id := "sentinel-" + kit.RandHex(6)
	if st, b := ch.Post(t, h.Base, kit.TextMsg(id, "sentinel-"+kit.RandHex(4), "sentinel")); st != 200 {
		t.Fatalf("sentinel: %d %s", st, b)
	}
	var s badStored
	kit.Eventually(t, 15*time.Second, "the sentinel message is stored", func() bool {
		s = badCount(t, adm, ch.ID)
		for _, m := range s.in {
			if m["external_id"] == id {
				return true
			}
		}
		return false
	})
	return s
}

func badErrCode(r kit.Resp) string { return r.Str("error.code") }

func TestWebhookRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		sup := h.Admin()
		ch := sup.NewAPIChannel("", nil)
		other := sup.NewAPIChannel("", nil) // same tenant, another channel
		sup.Must(201, "POST", "/api/v1/tenants", map[string]any{"name": "Other", "admin_email": "o@kefu.test", "admin_password": "other-pass-1"})
		foreign := kit.Login(t, h.Base, "o@kefu.test", "other-pass-1").NewAPIChannel("", nil)

		body, _ := json.Marshal(kit.TextMsg("bad-1", "cust-bad", "不该被保存"))
		now := time.Now()
		drop := func(name string) http.Header {
			hd := badSigned(t, ch.Secret, now, body)
			hd.Del(name)
			return hd
		}
		with := func(name, value string) http.Header {
			hd := badSigned(t, ch.Secret, now, body)
			hd.Set(name, value)
			return hd
		}
		valid := badSigned(t, ch.Secret, now, body)
		cases := []struct {
			name string
			h    http.Header
			body []byte
		}{
			{"no headers", http.Header{}, body},
			{"no webhook-id", drop(api.HeaderID), body},
			{"no webhook-timestamp", drop(api.HeaderTimestamp), body},
			{"no webhook-signature", drop(api.HeaderSignature), body},
			{"a random secret", badSigned(t, api.NewSecret(), now, body), body},
			{"another channel's secret", badSigned(t, other.Secret, now, body), body},
			{"another tenant's secret", badSigned(t, foreign.Secret, now, body), body},
			{"6 minutes old", badSigned(t, ch.Secret, now.Add(-6*time.Minute), body), body},
			{"6 minutes in the future", badSigned(t, ch.Secret, now.Add(6*time.Minute), body), body},
			{"a day old", badSigned(t, ch.Secret, now.Add(-24*time.Hour), body), body},
			{"a tampered body", valid, bytes.Replace(body, []byte("bad-1"), []byte("bad-2"), 1)},
			{"a tampered id", with(api.HeaderID, "msg_other"), body},
			{"a tampered timestamp", with(api.HeaderTimestamp, fmt.Sprint(now.Unix()+1)), body},
			{"a non-numeric timestamp", with(api.HeaderTimestamp, "yesterday"), body},
			{"an empty signature", with(api.HeaderSignature, "v1,"), body},
			{"a wrong version", with(api.HeaderSignature, strings.Replace(valid.Get(api.HeaderSignature), "v1,", "v2,", 1)), body},
			{"garbage signature", with(api.HeaderSignature, "v1,!!!not-base64!!!"), body},
			{"a bare signature", with(api.HeaderSignature, strings.TrimPrefix(valid.Get(api.HeaderSignature), "v1,")), body},
		}
		for _, c := range cases {
			got := badPost(t, h.Base, ch.ID, bytes.NewReader(c.body), c.h)
			if got.Status != http.StatusUnauthorized || badErrCode(got) == "" {
				t.Errorf("%s: %d %s, want 401 with a JSON error", c.name, got.Status, got.Body)
			}
		}
		s := badSentinel(t, h, sup, ch)
		if s.convs != 1 || len(s.in) != 1 {
			t.Fatalf("after %d rejected posts the channel holds %d conversations and %d messages, want only the sentinel's 1 and 1",
				len(cases), s.convs, len(s.in))
		}

		// A signed request replayed inside the window is accepted and stored once.
		id := "replayed-" + kit.RandHex(4)
		b2, _ := json.Marshal(kit.TextMsg(id, "cust-replay", "replay"))
		hd := badSigned(t, ch.Secret, time.Now(), b2)
		for i := 0; i < 3; i++ {
			if got := badPost(t, h.Base, ch.ID, bytes.NewReader(b2), hd); got.Status != 200 {
				t.Fatalf("replay %d: %d %s", i, got.Status, got.Body)
			}
		}
		// Several signatures (secret rotation): one matching is enough.
		multi := badSigned(t, ch.Secret, time.Now(), body)
		multi.Set(api.HeaderSignature, "v1,"+strings.Repeat("A", 43)+"= "+multi.Get(api.HeaderSignature))
		if got := badPost(t, h.Base, ch.ID, bytes.NewReader(body), multi); got.Status != 200 {
			t.Fatalf("a list of signatures with one valid: %d %s", got.Status, got.Body)
		}
		kit.Eventually(t, 15*time.Second, "the replayed message is stored once", func() bool {
			n := 0
			for _, m := range badCount(t, sup, ch.ID).in {
				if m["external_id"] == id {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("a replayed message is stored %d times", n)
			}
			return n == 1
		})
	})
}

func TestWebhookRejectsBadBodies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		post := func(body []byte) kit.Resp {
			return badPost(t, h.Base, ch.ID, bytes.NewReader(body), badSigned(t, ch.Secret, time.Now(), body))
		}
		good := `{"id":"g1","contact":{"id":"c1"},"type":"text","text":"hi"}`
		atts := func(n int, url string) string {
			var a []string
			for i := 0; i < n; i++ {
				a = append(a, fmt.Sprintf(`{"url":%q}`, url))
			}
			return `{"id":"a1","contact":{"id":"c1"},"attachments":[` + strings.Join(a, ",") + `]}`
		}
		cases := map[string]string{
			"empty body":                   ``,
			"not JSON":                     `hello`,
			"truncated JSON":               `{"id":"x","contact":{"id":"c"},"text":"hi"`,
			"an array":                     `[` + good + `]`,
			"null":                         `null`,
			"a string":                     `"text"`,
			"an object for text":           `{"id":"x","contact":{"id":"c"},"text":{"$regex":"x"}}`,
			"an object for id":             `{"id":{"$ne":null},"contact":{"id":"c"},"text":"hi"}`,
			"an object for contact id":     `{"id":"x","contact":{"id":{"$gt":""}},"text":"hi"}`,
			"a number for text":            `{"id":"x","contact":{"id":"c"},"text":42}`,
			"a string for contact":         `{"id":"x","contact":"c","text":"hi"}`,
			"an array for group":           `{"id":"x","contact":{"id":"c"},"text":"hi","group":["a"]}`,
			"trailing garbage":             good + `garbage`,
			"a second object":              good + good,
			"a trailing bracket":           good + `]`,
			"no id":                        `{"contact":{"id":"c"},"text":"hi"}`,
			"a blank id":                   `{"id":"  ","contact":{"id":"c"},"text":"hi"}`,
			"no contact":                   `{"id":"x","text":"hi"}`,
			"no text or attachments":       `{"id":"x","contact":{"id":"c"}}`,
			"blank text":                   `{"id":"x","contact":{"id":"c"},"text":"  \n "}`,
			"an unknown type":              `{"id":"x","contact":{"id":"c"},"type":"exe","text":"hi"}`,
			"text over 20000 bytes":        `{"id":"x","contact":{"id":"c"},"text":"` + strings.Repeat("长", 7000) + `"}`,
			"an id over 255 bytes":         `{"id":"` + strings.Repeat("x", 256) + `","contact":{"id":"c"},"text":"hi"}`,
			"a javascript: attachment":     atts(1, "javascript:alert(1)"),
			"a file: attachment":           atts(1, "file:///etc/passwd"),
			"11 attachments":               atts(11, "https://example.com/a.png"),
			"100k-deep nesting":            `{"id":"x","contact":{"id":"c"},"text":"hi","x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
			"a number too big for a field": `{"id":"x","contact":{"id":"c"},"attachments":[{"url":"https://e.com/a","size":1e400}]}`,
		}
		for name, body := range cases {
			got := post([]byte(body))
			if got.Status != http.StatusBadRequest || badErrCode(got) != "bad_request" {
				t.Errorf("%s: %d %.300s, want 400 bad_request", name, got.Status, got.Body)
			}
		}
		if s := badSentinel(t, h, adm, ch); s.convs != 1 || len(s.in) != 1 {
			t.Fatalf("after %d rejected bodies the channel holds %d conversations and %d messages, want the sentinel's only",
				len(cases), s.convs, len(s.in))
		}

		// Oversize: 413 however it is sent, even when signed.
		big := []byte(`{"id":"big","contact":{"id":"c"},"text":"` + strings.Repeat("x", 1<<20) + `"}`)
		if got := post(big); got.Status != http.StatusRequestEntityTooLarge || badErrCode(got) != "too_large" {
			t.Errorf("a %d-byte body: %d %.200s, want 413", len(big), got.Status, got.Body)
		}
		chunked := badPost(t, h.Base, ch.ID, io.MultiReader(bytes.NewReader(big)), badSigned(t, ch.Secret, time.Now(), big))
		if chunked.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("a chunked %d-byte body: %d %.200s, want 413", len(big), chunked.Status, chunked.Body)
		}
		if got := badPost(t, h.Base, ch.ID, bytes.NewReader(big), http.Header{}); got.Status != http.StatusRequestEntityTooLarge &&
			got.Status != http.StatusUnauthorized {
			t.Errorf("an unsigned oversize body: %d, want 413 or 401", got.Status)
		}

		// Unknown channels are 404s, signed or not.
		for _, id := range []string{"ch_" + strings.Repeat("a", 24), "nope", "%2e%2e", strings.Repeat("x", 300)} {
			body := []byte(good)
			got := badPost(t, h.Base, id, bytes.NewReader(body), badSigned(t, ch.Secret, time.Now(), body))
			if got.Status != http.StatusNotFound || badErrCode(got) == "" {
				t.Errorf("channel %q: %d %s, want 404", id, got.Status, got.Body)
			}
		}
		if s := badCount(t, adm, ch.ID); s.convs != 1 || len(s.in) != 1 {
			t.Fatalf("the channel holds %d conversations and %d messages, want the sentinel's only", s.convs, len(s.in))
		}
	})
}

// The body limit follows KEFU_MAX_BODY_BYTES.
func TestWebhookBodyLimitIsConfigurable(t *testing.T) {
	t.Parallel()
	e := kit.NewEnv(t, kit.Embedded)
	e.Vars["KEFU_MAX_BODY_BYTES"] = "4096"
	h := e.Start()
	adm := h.Admin()
	ch := adm.NewAPIChannel("", nil)
	small, _ := json.Marshal(kit.TextMsg("s1", "c1", strings.Repeat("x", 3000)))
	big, _ := json.Marshal(kit.TextMsg("b1", "c1", strings.Repeat("x", 5000)))
	if got := badPost(t, h.Base, ch.ID, bytes.NewReader(small), badSigned(t, ch.Secret, time.Now(), small)); got.Status != 200 {
		t.Fatalf("%d bytes under a 4096 limit: %d %s", len(small), got.Status, got.Body)
	}
	if got := badPost(t, h.Base, ch.ID, bytes.NewReader(big), badSigned(t, ch.Secret, time.Now(), big)); got.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d bytes over a 4096 limit: %d %s, want 413", len(big), got.Status, got.Body)
	}
}

// NUL bytes (PostgreSQL text rejects them) and invalid UTF-8 in every text
// field are accepted and stored cleaned, in both modes; a NUL in an id is
// refused with 400 (dropped, two ids would become one).
func TestWebhookCleansNULAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		cases := []struct {
			name, body       string
			extID, text, who string // what must be stored
		}{
			{"NUL escapes everywhere",
				`{"id":"nul-1","contact":{"id":"c-1","name":"Ma\u0000ry","email":"m\u0000@x.cn","phone":"1\u00002"},"text":"a\u0000b","group":"g\u0000"}`,
				"nul-1", "ab", "Mary"},
			{"raw invalid UTF-8 bytes",
				"{\"id\":\"bad-\xff-2\",\"contact\":{\"id\":\"c-2\",\"name\":\"Jos\xe9\"},\"text\":\"caf\xe9 \xc3\x28 \xed\xa0\x80 ok\"}",
				"", "ok", "Jos"},
			{"lone surrogate escapes",
				`{"id":"sur-3","contact":{"id":"c-3","name":"\ud800x"},"text":"\udfff hi \ud83d"}`,
				"sur-3", "hi", "x"},
			{"RTL override and zero-width characters",
				`{"id":"rtl-4","contact":{"id":"c-4","name":"\u202egnp.exe"},"text":"\u202e\u200b右到左"}`,
				"rtl-4", "右到左", "gnp.exe"},
			{"NUL only around the text",
				`{"id":"only-5","contact":{"id":"c-5"},"text":"\u0000\u0000 x \u0000"}`,
				"only-5", "x", ""},
		}
		for _, c := range cases {
			body := []byte(c.body)
			got := badPost(t, h.Base, ch.ID, bytes.NewReader(body), badSigned(t, ch.Secret, time.Now(), body))
			if got.Status != 200 {
				t.Errorf("%s: %d %s, want 200", c.name, got.Status, got.Body)
			}
		}
		// A NUL in an id is refused, not dropped: "nul-1" is stored, and
		// "n\0ul-1" must not be taken for it (nor "c\0-1" for customer c-1).
		for _, body := range []string{`{"id":"n\u0000ul-1","contact":{"id":"c-1"},"text":"other"}`,
			`{"id":"nul-6","contact":{"id":"c\u0000-1"},"text":"other"}`} {
			got := badPost(t, h.Base, ch.ID, bytes.NewReader([]byte(body)), badSigned(t, ch.Secret, time.Now(), []byte(body)))
			if got.Status != 400 || !strings.Contains(string(got.Body), "NUL") {
				t.Errorf("an id with a NUL byte %s: %d %s, want 400 naming the NUL", body, got.Status, got.Body)
			}
		}
		var stored badStored
		kit.Eventually(t, 15*time.Second, "every message is stored", func() bool {
			stored = badCount(t, adm, ch.ID)
			return len(stored.in) == len(cases)
		})
		for _, msg := range stored.in {
			raw, _ := json.Marshal(msg)
			text, _ := msg["text"].(string)
			ext, _ := msg["external_id"].(string)
			if strings.ContainsRune(string(raw), 0) || strings.Contains(string(raw), `\u0000`) || !utf8.ValidString(text) || !utf8.ValidString(ext) {
				t.Errorf("a stored message still has NUL or invalid UTF-8: %s", raw)
			}
		}
		for _, c := range cases {
			var msg map[string]any
			for _, m := range stored.in {
				ext, _ := m["external_id"].(string)
				text, _ := m["text"].(string)
				if (c.extID != "" && ext == c.extID) || (c.extID == "" && strings.Contains(text, c.text) && strings.Contains(ext, "bad-")) {
					msg = m
				}
			}
			if msg == nil {
				t.Errorf("%s: no stored message with external id %q", c.name, c.extID)
				continue
			}
			if text, _ := msg["text"].(string); !strings.Contains(text, c.text) {
				t.Errorf("%s: stored text %q does not contain %q", c.name, text, c.text)
			}
			conv := adm.Must(200, "GET", fmt.Sprintf("/api/v1/conversations/%s", msg["conversation_id"]), nil)
			name := conv.Str("contact.name")
			if strings.ContainsRune(name, 0) || !utf8.ValidString(name) || !strings.Contains(name, c.who) {
				t.Errorf("%s: stored contact name %q, want it cleaned and containing %q", c.name, name, c.who)
			}
		}
		// The same NUL-laden message again is the same message (deduplicated).
		body := []byte(cases[0].body)
		if got := badPost(t, h.Base, ch.ID, bytes.NewReader(body), badSigned(t, ch.Secret, time.Now(), body)); got.Status != 200 {
			t.Fatalf("resend: %d %s", got.Status, got.Body)
		}
		if s := badSentinel(t, h, adm, ch); len(s.in) != len(cases)+1 {
			t.Fatalf("after resending a cleaned message the channel holds %d messages, want %d", len(s.in), len(cases)+1)
		}
		var fs struct {
			Failed []any `json:"failed_messages"`
		}
		adm.Must(200, "GET", "/api/v1/failed-messages", nil).JSON(t, &fs)
		if len(fs.Failed) != 0 {
			t.Fatalf("cleaned messages ended up as failed messages: %v", fs.Failed)
		}
	})
}

// badBodies maps every REST route that reads a JSON body to a body whose
// field has the wrong type; routes that read no body are listed with "".
// A route missing here fails the test.
var badBodies = map[string]string{
	"POST /api/v1/auth/login":                 `{"email":{"$ne":null},"password":{"$ne":null}}`,
	"POST /api/v1/auth/logout":                "",
	"PUT /api/v1/me/status":                   `{"status":{"$ne":"offline"}}`,
	"POST /api/v1/conversations/:id/messages": `{"content":{"$regex":"x"}}`,
	"POST /api/v1/conversations/:id/transfer": `{"agent_id":{"$ne":null}}`,
	"POST /api/v1/conversations/:id/close":    `{"reason":["x"]}`,
	"POST /api/v1/conversations/:id/typing":   `{"typing":"yes"}`,
	"POST /api/v1/tickets/:id/assign":         `{"agent_id":{"$gt":""}}`,
	"POST /api/v1/tickets/:id/solve":          "",
	"POST /api/v1/tenants":                    `{"name":{"$ne":1},"admin_email":"x@y.z","admin_password":"xxxxxxxx"}`,
	"POST /api/v1/agents":                     `{"email":{"$gt":""},"password":"agent-pass-1"}`,
	"PATCH /api/v1/agents/:id":                `{"max_chats":"many"}`,
	"POST /api/v1/groups":                     `{"name":{"$ne":null}}`,
	"POST /api/v1/channels":                   `{"type":"api","name":{"x":1}}`,
	"PATCH /api/v1/channels/:id":              `{"default_group_id":{"$ne":null}}`,
	"POST /api/v1/channels/:id/rotate-secret": "",
	"POST /api/v1/deliveries/:id/redeliver":   "",
	"POST /api/v1/failed-messages/:id/retry":  "",
	"POST /api/v1/api-tokens":                 `{"name":["x"]}`,
	"DELETE /api/v1/api-tokens/:id":           "",
	"POST /api/v1/conversations/:id/pickup":   "",
	"POST /api/v1/routing/rules":              `{"name":{"$ne":null}}`,
	"PATCH /api/v1/routing/rules/:id":         `{"targets":"all"}`,
	"DELETE /api/v1/routing/rules/:id":        "",
	"PATCH /api/v1/groups/:id":                `{"max_queue":"many"}`,
	"PUT /api/v1/automations":                 `{"greeting":{"after_seconds":"soon"}}`,
	"PUT /api/v1/channels/:id/automations":    `{"greeting":"yes"}`,
	"DELETE /api/v1/channels/:id/automations": "",
	"POST /webhooks/api/:channel_id":          "", // TestWebhookRejectsBadBodies
	"POST /webhooks/wechat/:channel_id":       "", // TestWechatInbound (XML)
	"POST /webhooks/weibo/:channel_id":        "", // TestWeiboInbound (signed in the query; bad bodies there)
	"POST /webhooks/qq/:channel_id":           "", // TestQQInbound (signed JSON)
	"POST /webhooks/wecom_kf/:channel_id":     "", // TestWecomKfInbound (signed, encrypted XML)
	"POST /api/v1/attachments":                `{"file":"not multipart"}`,
	// Agent tools, part A.
	"POST /api/v1/conversations/:id/notes":          `{"text":["x"]}`,
	"POST /api/v1/conversations/:id/blacklist":      `{"reason":{"$ne":null}}`,
	"POST /api/v1/conversations/:id/rating-request": "",
	"POST /api/v1/canned-replies":                   `{"title":{"$ne":null},"text":"x"}`,
	"PATCH /api/v1/canned-replies/:id":              `{"shared":"yes"}`,
	"DELETE /api/v1/canned-replies/:id":             "",
	"POST /api/v1/categories":                       `{"name":["x"]}`,
	"DELETE /api/v1/categories/:id":                 "",
	"DELETE /api/v1/blacklist/:id":                  "",
	"PATCH /api/v1/contacts/:id":                    `{"tags":"vip","custom":["x"]}`,
	"POST /api/v1/contacts":                         `{"name":{"$ne":null},"tags":"vip"}`,
	"POST /api/v1/tickets":                          `{"subject":["x"],"contact_id":{"$ne":null}}`,
	"PATCH /api/v1/tickets/:id":                     `{"status":{"$ne":"closed"},"priority":3}`,
	"POST /api/v1/tickets/:id/reopen":               "",
	"POST /api/v1/ticket-views":                     `{"name":["x"],"filter":{"status":{"$ne":null}}}`,
	"PATCH /api/v1/ticket-views/:id":                `{"shared":"yes","filter":"all"}`,
	"DELETE /api/v1/ticket-views/:id":               "",
	// Customer center: custom fields, follow-ups, merges, import (a sheet, not JSON).
	"POST /api/v1/custom-fields":           `{"key":{"$ne":null},"label":"x","options":"a,b"}`,
	"PATCH /api/v1/custom-fields/:id":      `{"required":"yes","options":"a"}`,
	"DELETE /api/v1/custom-fields/:id":     "",
	"POST /api/v1/contacts/:id/followups":  `{"note":["x"],"next_at":"tomorrow"}`,
	"POST /api/v1/contacts/:id/merge":      `{"merged_id":{"$ne":null}}`,
	"POST /api/v1/contact-merges/:id/undo": "",
	"POST /api/v1/contacts/import":         "", // a CSV or XLSX body; TestCustomerCenterAPI sends bad sheets
	"POST /api/v1/kb/articles":             `{"question":{"$ne":null},"similar":"x"}`,
	"PATCH /api/v1/kb/articles/:id":        `{"answer":["x"]}`,
	"POST /api/v1/kb/articles/:id/restore": `{"version":"1"}`,
	"DELETE /api/v1/kb/articles/:id":       "",
	"PUT /api/v1/kb/articles/:id/rich":     `{"html":["<b>x</b>"]}`,
	"PUT /api/v1/contact-visibility":       `{"agents_unowned":"yes","supervisors_all":{"$ne":false}}`,
	"PUT /api/v1/kb/lexicon":               `{"synonyms":"运费=邮费","stop_words":{"x":1}}`,
	"DELETE /api/v1/kb/unanswered":         "",
	"PUT /api/v1/channels/:id/robot":       `{"mode":{"$ne":"off"},"greeting":["x"]}`,
	"PUT /api/v1/groups/:id/robot":         `{"mode":["first"],"threshold":"high"}`,
	"DELETE /api/v1/groups/:id/robot":      "",
	"POST /api/v1/robot/keywords":          `{"match":["exact"],"pattern":{"$ne":""}}`,
	// Quality inspection (质检).
	"POST /api/v1/qa/templates":               `{"name":{"$ne":null},"items":"all"}`,
	"PATCH /api/v1/qa/templates/:id":          `{"items":{"x":1}}`,
	"DELETE /api/v1/qa/templates/:id":         "",
	"POST /api/v1/qa/batches":                 `{"template_id":{"$ne":null},"count":"all"}`,
	"POST /api/v1/qa/reviews/:id/score":       `{"items":"all","comment":["x"]}`,
	"POST /api/v1/qa/reviews/:id/acknowledge": "",
	"POST /api/v1/qa/reviews/:id/appeal":      `{"reason":["x"]}`,
	"POST /api/v1/qa/reviews/:id/resolve":     `{"score":"high"}`,
	"PUT /api/v1/qa/words":                    `{"words":"滚"}`,
	"PUT /api/v1/robot/keywords/:id":          `{"priority":"high","always":"yes"}`,
	"DELETE /api/v1/robot/keywords/:id":       "",
	"POST /api/v1/kb/import":                  `{"file":"not multipart"}`,
	// Admin console, part B.
	"POST /api/v1/me/totp/setup":                    "",
	"POST /api/v1/me/totp/enable":                   `{"code":123456}`,
	"POST /api/v1/conversations/:id/read":           `{"seq":"last"}`,
	"POST /api/v1/me/password":                      `{"current_password":["x"],"new_password":"brand-new-pass"}`,
	"POST /api/v1/me/avatar":                        `{"file":"not multipart"}`,
	"DELETE /api/v1/me/avatar":                      "", // reads no body
	"PUT /api/v1/me/profile":                        `{"greeting":{"after_seconds":"soon"}}`,
	"PUT /api/v1/ratings/settings":                  `{"levels":"five"}`,
	"POST /api/v1/ratings/link-keys":                "",
	"DELETE /api/v1/ratings/link-keys/:id":          "",
	"POST /api/v1/rate/:token":                      `{"score":"five","reasons":"x"}`,
	"PUT /api/v1/reports/schedule":                  `{"recipients":"boss@shop.test"}`,
	"PUT /api/v1/sla/policies":                      `{"policies":{"priority":"urgent"}}`,
	"POST /api/v1/tickets/:id/follow":               "",
	"DELETE /api/v1/tickets/:id/follow":             "",
	"PUT /api/v1/email/recipients":                  `{"recipients":"boss@example.com"}`,
	"POST /api/v1/email/test":                       `{"config":{"smtp_port":"25"}}`,
	"POST /api/v1/email/mailboxes/:channel_id/poll": "",
	"POST /api/v1/me/totp/disable":                  `{"code":{"$ne":""}}`,
	"POST /api/v1/tickets/:id/reply":                `{"text":["x"]}`,
	"POST /api/v1/tickets/:id/comments":             `{"text":{"x":1}}`,
	"PUT /api/v1/settings":                          `{"require_totp":"yes"}`,
	"POST /api/v1/agents/:id/reset-password":        "",
	"POST /api/v1/agents/:id/deactivate":            `{"reassign_to":["ag_x"]}`,
	"POST /api/v1/agents/:id/reactivate":            "",
	"POST /api/v1/channels/:id/deactivate":          "",
	"POST /api/v1/channels/:id/reactivate":          "",
	"POST /api/v1/webhooks":                         `{"url":"http://x.example","events":"message.created"}`,
	"PATCH /api/v1/webhooks/:id":                    `{"active":"no"}`,
	"DELETE /api/v1/webhooks/:id":                   "",
	"POST /api/v1/webhooks/:id/rotate-secret":       "",
	// Web channel (connectors/web): visitors and the widget's endpoints.
	"POST /api/v1/visitors/:id/invite":         `{"text":{"$ne":null}}`,
	"POST /api/v1/visitors/:id/chat":           `{"text":["x"]}`,
	"POST /webhooks/web/:channel_id/upload":    "", // TestWebUploads (multipart)
	"OPTIONS /webhooks/web/:channel_id/config": "",
	"OPTIONS /webhooks/web/:channel_id/upload": "",
	"OPTIONS /app/v1/:app_key/*path":           "",
	// App channel (connectors/app): its routes take an app user's token, not
	// an agent's; e2e/app TestAppRejectsBadBodies sends them bad bodies.
	"POST /api/v1/channels/:id/rotate_identity_secret": "",
	"POST /app/v1/:app_key/identify":                   "",
	"POST /app/v1/:app_key/conversations":              "",
	"POST /app/v1/:app_key/messages":                   "",
	"POST /app/v1/:app_key/uploads":                    "",
	"POST /app/v1/:app_key/read":                       "",
	"POST /app/v1/:app_key/rating":                     "",
	"POST /app/v1/:app_key/feedback":                   "",
	"POST /app/v1/:app_key/leave_message":              "",
	"PUT /app/v1/:app_key/push_token":                  "",
	"DELETE /app/v1/:app_key/push_token":               "",
	// Masking preview, sessions.
	"POST /api/v1/automations/mask-preview":   `{"text":["x"]}`,
	"DELETE /api/v1/agents/:id/sessions":      "",
	"DELETE /api/v1/agents/:id/sessions/:sid": "",
}

func TestRESTRejectsMalformedBodies(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
	ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售前"})
	agent := adm.NewAgent("bad@kefu.test", 5, "售前")
	agent.SetStatus("online")
	agentID := agent.MeID()
	s := agent.Dial(-1)
	ch.Post(t, h.Base, kit.TextMsg("m1", "c1", "hi"))
	convID := kit.Dig(s.WaitFor("conversation.assigned", 15*time.Second, nil), "data", "conversation", "id").(string)
	ids := map[string]string{"conversations": convID, "agents": agentID, "channels": ch.ID, "tickets": "tk_x",
		"deliveries": "msg_x", "failed-messages": "fm_x", "api-tokens": "tk_x"}
	raw := func(method, path, body string) kit.Resp {
		return adm.DoRaw(method, path, "application/json", strings.NewReader(body))
	}
	for _, r := range kit.Routes(t) {
		if r.Method == "GET" {
			continue
		}
		typed, ok := badBodies[r.String()]
		if !ok {
			t.Errorf("route %s is not in badBodies: say which JSON it reads", r.String())
			continue
		}
		if typed == "" {
			continue
		}
		path := r.Path
		for coll, id := range ids {
			path = strings.Replace(path, "/"+coll+"/:id", "/"+coll+"/"+id, 1)
		}
		for _, body := range []string{"{", `{"a":`, `[1,2]`, `"x"`, "\x00\xff", typed} {
			got := raw(r.Method, path, body)
			if got.Status != http.StatusBadRequest || badErrCode(got) == "" {
				t.Errorf("%s %s with body %q: %d %s, want 400 with a JSON error", r.Method, path, body, got.Status, got.Body)
			}
		}
	}
	// Oversize REST bodies are 413s.
	big := `{"content":"` + strings.Repeat("x", 1<<20) + `"}`
	if got := raw("POST", "/api/v1/conversations/"+convID+"/messages", big); got.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 1 MiB reply: %d %.200s, want 413", got.Status, got.Body)
	}
	// Nothing changed: the conversation is still open with one message, the agent as before.
	conv := adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil)
	if conv.Str("status") != "open" || conv.Str("assignee_id") != agentID {
		t.Errorf("malformed requests changed the conversation: %s", conv.Body)
	}
	var ms struct{ Messages []any }
	adm.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).JSON(t, &ms)
	if len(ms.Messages) != 1 {
		t.Errorf("malformed requests added messages: %d", len(ms.Messages))
	}
	// Bad query parameters are 400s.
	for _, p := range []string{"/api/v1/conversations?limit=abc", "/api/v1/conversations?limit=-1", "/api/v1/conversations?status=bogus",
		"/api/v1/conversations/" + convID + "/messages?after_seq=x", "/api/v1/events?after=1e3", "/api/v1/tickets?limit=9999999999999999999999",
		"/api/v1/channels/" + ch.ID + "/deliveries?limit=-5"} {
		if got := adm.Do("GET", p, nil); got.Status != http.StatusBadRequest || badErrCode(got) == "" {
			t.Errorf("GET %s: %d %s, want 400", p, got.Status, got.Body)
		}
	}
	// Unknown routes and methods are JSON 404s, signed in or not (GET of a
	// page path outside /api and /webhooks serves the workbench: TestUIServed).
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/nope"}, {"POST", "/nope"}, {"DELETE", "/"}, {"POST", "/api/v1/conversations"},
		{"DELETE", "/api/v1/conversations/" + convID}, {"GET", "/webhooks/api/" + ch.ID}, {"POST", "/webhooks/nope/" + ch.ID},
		{"POST", "/webhooks/api"}, {"GET", "/api/v1/conversations/" + convID + "/nope"}, {"PUT", "/api/v1/agents"},
	} {
		for _, cl := range []*kit.Client{adm, {T: t, Base: h.Base}} {
			got := cl.Do(c.method, c.path, nil)
			if got.Status != http.StatusNotFound || badErrCode(got) != "not_found" {
				t.Errorf("%s %s: %d %s, want a JSON 404", c.method, c.path, got.Status, got.Body)
			}
		}
	}
}

// NUL bytes and invalid UTF-8 anywhere a request carries text — path ids,
// query parameters, JSON string fields — are never a 5xx (PostgreSQL rejects
// both in text, and a 5xx makes platforms retry forever): unknown ids are
// 404s, and stored names are cleaned.
func TestNULAndInvalidUTF8NeverA5xx(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		no5xx := func(what string, r kit.Resp) {
			t.Helper()
			if r.Status >= 500 {
				t.Errorf("%s: %d %s", what, r.Status, r.Body)
			}
		}
		// Path ids, on every route that takes one.
		for _, r := range kit.Routes(t) {
			if !strings.Contains(r.Path, ":") {
				continue
			}
			for _, id := range []string{"%00", "x%00y", "%ff", "%c3%28", "%ed%a0%80"} {
				p := kit.FillPath(r.Path, id)
				var got kit.Resp
				if strings.HasPrefix(p, "/webhooks/") {
					body := []byte(`{"id":"m","contact":{"id":"c"},"text":"hi"}`)
					got = badPost(t, h.Base, strings.TrimPrefix(p, "/webhooks/api/"), bytes.NewReader(body), badSigned(t, ch.Secret, time.Now(), body))
				} else {
					got = adm.Do(r.Method, p, map[string]any{})
				}
				if got.Status != http.StatusNotFound && got.Status != http.StatusBadRequest {
					t.Errorf("%s %s: %d %s, want 404 (or 400)", r.Method, p, got.Status, got.Body)
				}
			}
		}
		// Query parameters.
		for _, p := range []string{"/api/v1/conversations?assignee=%00", "/api/v1/conversations?assignee=%ff", "/api/v1/conversations?status=%00",
			"/api/v1/tickets?status=%00", "/api/v1/tickets?assignee=%ff", "/api/v1/tickets?channel_id=a%00b",
			"/api/v1/tickets?type=a%00b", "/api/v1/tickets?group_id=%ff%00", "/api/v1/tickets?q=%00%ff", "/api/v1/tickets?field=a&field_value=%00",
			"/api/v1/tickets?saved=%00"} {
			no5xx("GET "+p, adm.Do("GET", p, nil))
		}
		// JSON string fields.
		nul := "a\x00b\xff"
		anon := &kit.Client{T: t, Base: h.Base}
		no5xx("login", anon.Do("POST", "/api/v1/auth/login", map[string]any{"email": nul + "@x.cn", "password": nul}))
		no5xx("status", adm.Do("PUT", "/api/v1/me/status", map[string]any{"status": nul}))
		g := adm.Do("POST", "/api/v1/groups", map[string]any{"name": "组" + nul})
		no5xx("group", g)
		ag := adm.Do("POST", "/api/v1/agents", map[string]any{"email": "nul@kefu.test", "password": "pass\x00word", "name": "客服" + nul,
			"employee_no": nul, "groups": []string{nul}})
		no5xx("agent with a NUL group", ag)
		ag = adm.Do("POST", "/api/v1/agents", map[string]any{"email": "nul@kefu.test", "password": "pass\x00word", "name": "客服" + nul, "employee_no": nul})
		no5xx("agent", ag)
		no5xx("agent with a NUL email", adm.Do("POST", "/api/v1/agents", map[string]any{"email": "n\x00ul@kefu.test", "password": "agent-pass-1"}))
		if id := ag.Str("id"); id != "" {
			no5xx("patch agent", adm.Do("PATCH", "/api/v1/agents/"+id, map[string]any{"name": nul, "employee_no": nul, "groups": []string{nul}}))
			no5xx("patch agent", adm.Do("PATCH", "/api/v1/agents/"+id, map[string]any{"name": nul, "employee_no": nul}))
		}
		no5xx("channel", adm.Do("POST", "/api/v1/channels", map[string]any{"type": "api", "name": nul, "offline_message": nul,
			"config": map[string]any{"callback_url": ""}}))
		no5xx("channel with a NUL group", adm.Do("POST", "/api/v1/channels", map[string]any{"type": "api", "name": "n", "default_group_id": nul}))
		no5xx("channel type", adm.Do("POST", "/api/v1/channels", map[string]any{"type": nul, "name": "n"}))
		no5xx("patch channel", adm.Do("PATCH", "/api/v1/channels/"+ch.ID, map[string]any{"name": nul, "offline_message": nul}))
		no5xx("token", adm.Do("POST", "/api/v1/api-tokens", map[string]any{"name": nul}))
		no5xx("tenant", adm.Do("POST", "/api/v1/tenants", map[string]any{"name": nul, "admin_email": "t@kefu.test", "admin_password": "tenant-pass-1", "admin_name": nul}))
		for _, path := range []string{"/api/v1/groups", "/api/v1/agents", "/api/v1/channels", "/api/v1/api-tokens"} {
			r := adm.Must(200, "GET", path, nil)
			if bytes.Contains(r.Body, []byte(`\u0000`)) || !utf8.Valid(r.Body) {
				t.Errorf("GET %s shows NUL or invalid UTF-8: %s", path, r.Body)
			}
		}
		// A conversation to reply, transfer and close with NUL-laden text.
		if st, b := ch.Post(t, h.Base, kit.TextMsg("n1", "c1", "hi")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		var convID string
		kit.Eventually(t, 15*time.Second, "the conversation exists", func() bool {
			var l struct{ Conversations []struct{ ID string } }
			for _, st := range []string{"offline", "queued", "open"} {
				adm.Must(200, "GET", "/api/v1/conversations?status="+st, nil).JSON(t, &l)
				if len(l.Conversations) > 0 {
					convID = l.Conversations[0].ID
				}
			}
			return convID != ""
		})
		no5xx("reply", adm.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "回复" + nul, "client_message_id": nul}))
		no5xx("transfer", adm.Do("POST", "/api/v1/conversations/"+convID+"/transfer", map[string]any{"agent_id": nul, "reason": nul}))
		no5xx("transfer to group", adm.Do("POST", "/api/v1/conversations/"+convID+"/transfer", map[string]any{"group_id": nul, "reason": nul}))
		var tickets struct{ Tickets []struct{ ID string } }
		adm.Must(200, "GET", "/api/v1/tickets", nil).JSON(t, &tickets)
		for _, tk := range tickets.Tickets {
			no5xx("assign ticket", adm.Do("POST", "/api/v1/tickets/"+tk.ID+"/assign", map[string]any{"agent_id": nul}))
		}
		no5xx("close", adm.Do("POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": nul}))
		msgs := adm.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil)
		if bytes.Contains(msgs.Body, []byte(`\u0000`)) || !utf8.Valid(msgs.Body) {
			t.Errorf("stored messages show NUL or invalid UTF-8: %s", msgs.Body)
		}
	})
}
