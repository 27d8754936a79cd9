package app

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/hub"
)

func TestUserHashAndRotation(t *testing.T) {
	// The README's example: user 42 of an app whose secret is "asec_demo".
	if h := UserHash("asec_demo", "42"); h != readmeHash {
		t.Fatalf("hash %q", h)
	}
	c := New(testDeps(), push.Options{})
	ch := &hub.Channel{ID: "ch_1"}
	if err := c.Setup(ch, nil, false); err != nil {
		t.Fatal(err)
	}
	old := parseSecrets(ch.Secret).Current
	tok := mintToken(ch, user{ChannelID: ch.ID, Ext: "u:42", Exp: time.Now().Add(time.Hour).Unix()})
	if err := c.Setup(ch, ch.Config, true); err != nil {
		t.Fatal(err)
	}
	s := parseSecrets(ch.Secret)
	if s.Current == old || s.Previous != old {
		t.Fatalf("rotated secrets %+v", s)
	}
	now := time.Now()
	if !validHash(s.valid(now), "42", UserHash(old, "42")) || !validHash(s.valid(now), "42", UserHash(s.Current, "42")) {
		t.Fatal("both secrets are valid right after a rotation")
	}
	if _, ok := readToken(ch, tok, now); !ok {
		t.Fatal("a token of the previous secret is valid right after a rotation")
	}
	later := now.Add(previousValid + time.Minute)
	if validHash(s.valid(later), "42", UserHash(old, "42")) {
		t.Fatal("the previous secret is still valid a day later")
	}
	if _, ok := readToken(ch, tok, later); ok {
		t.Fatal("a token of the previous secret is valid a day later")
	}
	if validHash(s.valid(now), "42", "") || validHash(s.valid(now), "43", UserHash(s.Current, "42")) {
		t.Fatal("a wrong hash passed")
	}
}

func TestJWT(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n := now.Unix()
	for name, c := range map[string]struct {
		claims map[string]any
		key    string
		ok     bool
	}{
		"good":          {map[string]any{"sub": "7", "iat": n, "exp": n + 600}, "k", true},
		"expired":       {map[string]any{"sub": "7", "iat": n - 7200, "exp": n - 3600}, "k", false},
		"too long":      {map[string]any{"sub": "7", "iat": n, "exp": n + 7200}, "k", false},
		"issued ahead":  {map[string]any{"sub": "7", "iat": n + 600, "exp": n + 900}, "k", false},
		"other key":     {map[string]any{"sub": "7", "iat": n, "exp": n + 600}, "x", false},
		"no subject":    {map[string]any{"iat": n, "exp": n + 600}, "k", false},
		"no expiry":     {map[string]any{"sub": "7", "iat": n}, "k", false},
		"within a skew": {map[string]any{"sub": "7", "exp": n - 30}, "k", true},
	} {
		_, err := parseJWT([]string{"k"}, SignJWT(c.key, c.claims), now)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", name, err, c.ok)
		}
	}
	// alg none is refused even with a valid-looking body.
	if _, err := parseJWT([]string{"k"}, "eyJhbGciOiJub25lIn0.eyJzdWIiOiI3IiwiZXhwIjoxODAwMDAwNjAwfQ.", now); err == nil {
		t.Error("alg none accepted")
	}
}

func testDeps() connectors.Deps { return connectors.Deps{Now: time.Now} }

// readmeHash is the README's example: hex(HMAC-SHA256("asec_demo", "42")).
const readmeHash = "ce5f08ec839fee2a885786768f5be95fa3f61f9adb927ed0590e21109589e1d7"
