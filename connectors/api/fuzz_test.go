package api

// Fuzz targets for everything the API channel reads from the network: the
// inbound body (FuzzParse, FuzzPayloadFields) and the signature headers
// (FuzzVerify). Run each with, e.g.:
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s ./connectors/api/
//
// Seeds are the f.Add calls plus testdata/fuzz/<target>.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

var parseSeeds = []string{
	`{"id":"m1","contact":{"id":"u1","name":"王小明","email":"w@x.cn","phone":"138"},"type":"text","text":"你好","group":"售前"}`,
	`{"id":"m1","contact":{"id":"u1"},"text":"hi"}`,
	`{"id":"m1","contact":{"id":"u1"},"type":"image","attachments":[{"url":"https://e.com/a.png","name":"a","type":"image/png","size":1}]}`,
	`{"id":"m\u00001","contact":{"id":"u1","name":"\u0000"},"text":"a\u0000b"}`,
	"{\"id\":\"m1\",\"contact\":{\"id\":\"u1\",\"name\":\"\xff\xfe\"},\"text\":\"\xc3\x28\"}",
	`{"id":"m1","contact":{"id":"u1"},"text":"\ud800\udfff\ud83d"}`,
	`{"id":"m1","contact":{"id":"u1"},"text":{"$regex":"x"}}`,
	`{"id":{"$ne":null},"contact":{"id":"u1"},"text":"hi"}`,
	`{"id":"m1","contact":{"id":"u1"},"text":"hi"}garbage`,
	`{"id":"m1","contact":{"id":"u1"},"text":"hi"}{}`,
	`{"id":"  ","contact":{"id":"u1"},"text":"hi"}`,
	`{"contact":{"id":"u1"},"text":"hi"}`,
	`{"id":"m1","contact":{"id":"u1"},"attachments":[{"url":"javascript:alert(1)"}]}`,
	`{"id":"m1","contact":{"id":"u1"},"attachments":[{"url":"https://e.com","size":1e400}]}`,
	`{"id":"m1","contact":{"id":"u1"},"text":"hi","x":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}`,
	`{"id":"m1","id":"m2","contact":{"id":"u1"},"contact":null,"text":"dup keys"}`,
	`{"ID":"m1","Contact":{"ID":"u1"},"TEXT":"case-insensitive keys"}`,
	`{"id":"m1","contact":{"id":"u1"},"type":"","text":"\u202eevil\u200b"}`,
	`null`, `[]`, `""`, `0`, ``, `{`, `{"id":"m1","contact":{"id":"u1"},"text":"hi",}`,
}

// FuzzParse feeds arbitrary bytes to the inbound parser. Properties: it
// never panics; input that is not one JSON value is an error; anything it
// accepts satisfies every invariant the hub relies on (ids present, trimmed
// and bounded, no NUL, valid UTF-8, a known type, bounded text and
// attachments with http(s) URLs), normalizes field for field, and parses
// back to the same payload when re-encoded.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Parse(body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("Parse accepted invalid JSON %q", body)
		}
		var generic map[string]any
		if json.Unmarshal(body, &generic) != nil {
			t.Fatalf("Parse accepted %q, which is not a JSON object", body)
		}
		checkPayload(t, p)
		ch := &hub.Channel{ID: "ch_f", TenantID: "tn_f", Type: "api"}
		in := p.Normalize(ch)
		if in.TenantID != "tn_f" || in.ChannelID != "ch_f" || in.ExternalID != p.ID || in.Contact.ExternalID != p.Contact.ID ||
			in.Contact.Name != p.Contact.Name || in.Contact.Email != p.Contact.Email || in.Contact.Phone != p.Contact.Phone ||
			in.Type != p.Type || in.Text != p.Text || in.Group != p.Group || len(in.Attachments) != len(p.Attachments) {
			t.Fatalf("Normalize(%+v) = %+v", p, in)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		q, err := Parse(again)
		if err != nil {
			t.Fatalf("an accepted payload re-encoded as %s is rejected: %v", again, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("not stable under re-encoding:\n%+v\n%+v", p, q)
		}
	})
}

// checkPayload asserts what Parse promises about an accepted payload.
func checkPayload(t *testing.T, p *Payload) {
	t.Helper()
	for name, s := range map[string]string{"id": p.ID, "contact.id": p.Contact.ID, "contact.name": p.Contact.Name,
		"contact.email": p.Contact.Email, "contact.phone": p.Contact.Phone, "type": p.Type, "text": p.Text, "group": p.Group} {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			t.Fatalf("%s %q has NUL or invalid UTF-8", name, s)
		}
	}
	for name, s := range map[string]string{"id": p.ID, "contact.id": p.Contact.ID} {
		if s == "" || s != strings.TrimSpace(s) || len(s) > maxIDLen {
			t.Fatalf("%s %q is empty, untrimmed or too long", name, s)
		}
	}
	for name, s := range map[string]string{"contact.name": p.Contact.Name, "contact.email": p.Contact.Email,
		"contact.phone": p.Contact.Phone, "group": p.Group} {
		if len(s) > maxNameLen {
			t.Fatalf("%s is %d bytes", name, len(s))
		}
	}
	if !messageTypes[p.Type] {
		t.Fatalf("type %q", p.Type)
	}
	if len(p.Text) > maxTextLen || (strings.TrimSpace(p.Text) == "" && len(p.Attachments) == 0) {
		t.Fatalf("text of %d bytes with %d attachments", len(p.Text), len(p.Attachments))
	}
	if len(p.Attachments) > maxAttachments {
		t.Fatalf("%d attachments", len(p.Attachments))
	}
	for _, a := range p.Attachments {
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || len(a.URL) > 2048 {
			t.Fatalf("attachment url %q", a.URL)
		}
	}
}

// wire is what a string becomes after a JSON round trip (invalid UTF-8
// turns into U+FFFD) and NUL removal: what the hub may store.
func wire(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return strings.ReplaceAll(out, "\x00", "")
}

// FuzzPayloadFields builds well-formed bodies from arbitrary field values
// and checks Parse against the documented rules: it errs exactly when a
// rule is broken (errors only for bad input), and keeps the values.
func FuzzPayloadFields(f *testing.F) {
	f.Add("m1", "u1", "王小明", "text", "你好", uint8(0), false)
	f.Add(" m1 ", "\tu1", "", "", "hi", uint8(0), false)
	f.Add("", "u1", "n", "text", "hi", uint8(0), false)
	f.Add("m\x001", "u\x00", "\xff", "image", "", uint8(1), false)
	f.Add("m1", "u1", "n", "file", " ", uint8(11), false)
	f.Add("m1", "u1", "n", "file", "", uint8(2), true)
	f.Add(strings.Repeat("x", 255), "u1", strings.Repeat("n", 256), "text", "t", uint8(0), false)
	f.Add("m1", "u1", "n", "video", strings.Repeat("长", 6667), uint8(0), false)
	f.Add("\x00", "u1", "n", "TEXT", "\x00", uint8(0), false)
	f.Fuzz(func(t *testing.T, id, contactID, name, typ, text string, natt uint8, badURL bool) {
		attURL := "https://cdn.example.com/f.png"
		if badURL {
			attURL = "javascript:alert(1)"
		}
		atts := make([]map[string]any, int(natt)%16)
		for i := range atts {
			atts[i] = map[string]any{"url": attURL}
		}
		body, err := json.Marshal(map[string]any{"id": id, "contact": map[string]any{"id": contactID, "name": name},
			"type": typ, "text": text, "attachments": atts})
		if err != nil {
			t.Fatal(err)
		}
		wid, wcid, wname, wtyp, wtext := strings.TrimSpace(wire(id)), strings.TrimSpace(wire(contactID)), wire(name), wire(typ), wire(text)
		if wtyp == "" {
			wtyp = "text"
		}
		var broken []string
		rule := func(ok bool, why string) {
			if !ok {
				broken = append(broken, why)
			}
		}
		rule(wid != "" && len(wid) <= maxIDLen, "id")
		rule(wcid != "" && len(wcid) <= maxIDLen, "contact.id")
		rule(!strings.Contains(id+contactID, "\x00"), "no NUL in the ids")
		rule(len(wname) <= maxNameLen, "contact.name")
		rule(messageTypes[wtyp], "type")
		rule(len(wtext) <= maxTextLen, "text length")
		rule(strings.TrimSpace(wtext) != "" || len(atts) > 0, "text or attachments")
		rule(len(atts) <= maxAttachments, "attachment count")
		rule(len(atts) == 0 || !badURL, "attachment url")
		p, err := Parse(body)
		if (err == nil) != (len(broken) == 0) {
			t.Fatalf("Parse(%s) = %v, but the rules broken are %v", body, err, broken)
		}
		if err != nil {
			return
		}
		checkPayload(t, p)
		if p.ID != wid || p.Contact.ID != wcid || p.Contact.Name != wname || p.Type != wtyp || p.Text != wtext || len(p.Attachments) != len(atts) {
			t.Fatalf("Parse(%s) = %+v: values changed beyond cleaning", body, p)
		}
	})
}

// FuzzVerify feeds arbitrary header values to the signature check.
// Properties: it never panics; it accepts only a timestamp within the
// tolerance and a v1 signature equal to HMAC-SHA256(id.ts.body) under the
// channel's secret (computed here independently); a correctly signed
// message always verifies when fresh, whatever other signatures ride along,
// and never under another secret or with another body.
func FuzzVerify(f *testing.F) {
	f.Add("msg_1", int64(1_750_000_000), []byte(`{"id":"m1"}`), "v1,AAAA", "1750000000")
	f.Add("", int64(0), []byte(nil), "", "")
	f.Add("msg 2", int64(-1), []byte("\x00"), "v1,", "-1")
	f.Add("msg.3", int64(1_750_000_300), []byte("x"), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "1750000300")
	f.Add("m", int64(9223372036854775807), []byte("y"), "v2,abc v1,=== v1,,,, \t", "9223372036854775807")
	f.Add("m", int64(-9223372036854775808), []byte("z"), " v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ", "+1750000000")
	f.Add("\xff\x00", int64(1_749_999_700), []byte("w"), "v1,\xff", "0x68")
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another channel's signing key!!!"))
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	now := time.Unix(1_750_000_000, 0)
	const tol = 5 * time.Minute
	f.Fuzz(func(t *testing.T, id string, ts int64, body []byte, sigHeader, tsHeader string) {
		// Arbitrary headers: accepted only if they carry the right MAC.
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, tsHeader)
		h.Set(HeaderSignature, sigHeader)
		if Verify(secret, h, body, now, tol) == nil {
			n, err := strconv.ParseInt(tsHeader, 10, 64)
			if err != nil || n < now.Add(-tol).Unix() || n > now.Add(tol).Unix() {
				t.Fatalf("accepted timestamp %q", tsHeader)
			}
			m := hmac.New(sha256.New, key)
			fmt.Fprintf(m, "%s.%d.", id, n)
			m.Write(body)
			want, ok := m.Sum(nil), false
			for _, s := range strings.Fields(sigHeader) {
				if v, sig, _ := strings.Cut(s, ","); v == "v1" {
					if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
						ok = true
					}
				}
			}
			if !ok {
				t.Fatalf("accepted signature header %q for id %q ts %q body %q", sigHeader, id, tsHeader, body)
			}
		}

		// A real signature, maybe among fuzzed ones.
		at := time.Unix(ts, 0)
		h = http.Header{}
		if err := SetHeaders(h, secret, id, at, body); err != nil {
			t.Fatal(err)
		}
		fresh := !at.Before(now.Add(-tol)) && !at.After(now.Add(tol))
		err := Verify(secret, h, body, now, tol)
		if id != "" && fresh && err != nil {
			t.Fatalf("a fresh, correctly signed message (id %q ts %d) fails: %v", id, ts, err)
		}
		if (id == "" || !fresh) && err == nil {
			t.Fatalf("verified with id %q ts %d (fresh=%v)", id, ts, fresh)
		}
		if id == "" || !fresh {
			return
		}
		h.Set(HeaderSignature, sigHeader+" "+h.Get(HeaderSignature)+" "+sigHeader)
		if err := Verify(secret, h, body, now, tol); err != nil {
			t.Fatalf("a correct signature among %q fails: %v", sigHeader, err)
		}
		if err := Verify(other, h, body, now, tol); err == nil {
			t.Fatalf("verified under another channel's secret")
		}
		if err := Verify(secret, h, append(append([]byte(nil), body...), '!'), now, tol); err == nil {
			t.Fatalf("verified a changed body")
		}
	})
}
