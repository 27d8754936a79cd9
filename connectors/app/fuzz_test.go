package app

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

var fuzzNow = time.Unix(1_800_000_000, 0)

// FuzzParseJWT: no input panics the JWT check, and only a token signed
// with the secret, with a subject and an expiry within the hour, passes.
func FuzzParseJWT(f *testing.F) {
	good := SignJWT("asec_k", map[string]any{"sub": "42", "iat": fuzzNow.Unix(), "exp": fuzzNow.Unix() + 600})
	for _, s := range []string{good, "", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", good + "x", "..", "\x00.\xff.\x00",
		SignJWT("asec_k", map[string]any{"sub": "42", "exp": fuzzNow.Unix() + 86400})} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := parseJWT([]string{"asec_k"}, tok, fuzzNow)
		if err != nil {
			return
		}
		if c.Sub == "" || c.Exp <= fuzzNow.Unix()-60 || c.Exp > fuzzNow.Add(maxJWTLife+time.Minute).Unix() {
			t.Fatalf("accepted %q with claims %+v", tok, c)
		}
	})
}

// FuzzReadToken: no input panics the contact token check, and nothing but
// a token minted for the channel passes.
func FuzzReadToken(f *testing.F) {
	ch := &hub.Channel{ID: "ch_1", Secret: "asec_k"}
	good := mintToken(ch, user{ChannelID: "ch_1", Ext: "u:42", ContactID: "ct_1", Exp: fuzzNow.Unix() + 60})
	for _, s := range []string{good, "", "at1.", "at1..", "at1.e30.AAAA", good[:len(good)-2], "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		u, ok := readToken(ch, tok, fuzzNow)
		if ok && (u.ChannelID != "ch_1" || u.Exp <= fuzzNow.Unix()) {
			t.Fatalf("accepted %q as %+v", tok, u)
		}
	})
}

// FuzzFrame: any frame an app sends decodes or is refused, and client ids
// read back from external ids never carry a separator.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{`{"type":"hello","token":"x","conversation":{"id":"c","after_seq":3}}`,
		`{"type":"message","client_id":"a","text":"hi","attachments":[{"id":"at_1"}]}`, `{"type":"read","seq":-1}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr frame
		_ = json.Unmarshal(b, &fr)
		if cid, ok := clientIDOf(messageExternal("u:"+string(b), "abc")); !ok || cid != "abc" {
			t.Fatalf("client id of %q: %q %v", b, cid, ok)
		}
	})
}
