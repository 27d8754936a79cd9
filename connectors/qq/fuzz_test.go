package qq

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

// fuzzSeeds are hostile shapes; testdata holds the documented ones.
var fuzzSeeds = []string{
	`{"op":13,"d":{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"}}`,
	`{"op":0,"t":"GROUP_AT_MESSAGE_CREATE","d":{"id":"m","author":{"member_openid":"u"},"group_openid":"g","attachments":[{"content_type":"voice","url":"//x/y"}]}}`,
	`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"id":"m","author":{"user_openid":"u"},"attachments":[{"content_type":"image/png","url":"javascript:alert(1)"}]}}`,
	"{\"op\":0,\"t\":\"C2C_MESSAGE_CREATE\",\"d\":{\"id\":\"m\\u0000\",\"author\":{\"user_openid\":\"u\xff\"},\"content\":\"\\u0000\xfe\"}}",
	`{"op":0,"t":"FRIEND_ADD","d":{"openid":"u","timestamp":"x"}}`,
	`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"id":"m","author":{"user_openid":"u"},"attachments":` + strings.Repeat(`[`, 200) + `}}`,
	`{"op":1e400}`,
	``,
}

// FuzzParse feeds bodies through parse → normalize, correctly signed and
// verified first as the handler does: it must never panic, every error
// must be one the handler answers 400 for, and what is published must be
// storable (after the hub's Sanitize) with attachments only on http(s).
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	const secret = "fuzzSecret0123"
	now := time.Unix(1725442341, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := Verify(secret, "1725442341", Sign(secret, "1725442341", body), body, now, time.Minute); err != nil {
			t.Fatalf("a correctly signed body failed verification: %v", err)
		}
		p, err := Parse(body)
		var bad *MalformedError
		if err != nil {
			if !errors.As(err, &bad) {
				t.Fatalf("Parse error %T %v is not a MalformedError", err, err)
			}
			return
		}
		if p.Op == OpHeartbeat {
			return
		}
		if p.Op == OpValidation {
			if v, err := p.Validation(); err != nil || v.PlainToken == "" {
				t.Fatalf("an accepted op 13 has no plain_token: %v", err)
			}
			return
		}
		d, err := normalize(testChannel, p)
		if err != nil {
			if !errors.As(err, &bad) {
				t.Fatalf("normalize error %T %v is not a MalformedError", err, err)
			}
			return
		}
		if d.ignore {
			return
		}
		in := d.in
		if in.ExternalID == "" || in.Contact.ExternalID == "" {
			t.Fatalf("published without ids: %+v", in)
		}
		in.Sanitize()
		for _, s := range []string{in.ExternalID, in.Contact.ExternalID, in.Text, in.Contact.Name} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("unstorable text %q after Sanitize", s)
			}
		}
		for _, m := range d.media {
			if !strings.HasPrefix(m.Source, "https://") && !strings.HasPrefix(m.Source, "http://") {
				t.Fatalf("media fetched from %q", m.Source)
			}
		}
		_ = hub.Clean(in.Text)
	})
}

// FuzzVerify: any signature header and body is answered, never a panic,
// and only the right signature passes.
func FuzzVerify(f *testing.F) {
	f.Add("1725442341", "00", []byte(`{}`))
	f.Add("", strings.Repeat("f", 128), []byte(nil))
	f.Add("-1", Sign("s3cretKey", "-1", []byte("x")), []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		err := Verify("s3cretKey", ts, sig, body, time.Now(), time.Minute)
		if err == nil && sig != Sign("s3cretKey", ts, body) {
			t.Fatalf("a signature other than the key's passed: %q", sig)
		}
	})
}
