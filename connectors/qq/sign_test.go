package qq

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// The platform's own validation example (bot-docs sign.md), reproduced.
func TestValidationVector(t *testing.T) {
	sig := Sign("DG5g3B4j9X2KOErG", "1725442341", []byte("Arq0D5A61EgUu4OxUvOp"))
	if !strings.HasPrefix(sig, "87befc99c42c651b") || !strings.HasSuffix(sig, "d652c706") || len(sig) != 128 {
		t.Fatalf("signature %s, want the documented 87befc99c42c651b…d652c706", sig)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1725442341, 0)
	const secret = "naOC0ocQE3shWLAfffVLB1rhYPG7"
	body := []byte(`{"op":0,"t":"C2C_MESSAGE_CREATE"}`)
	ts := "1725442341"
	good := Sign(secret, ts, body)
	flip := []byte(good)
	flip[10] ^= 1
	raw, _ := hex.DecodeString(good)
	raw[63] |= 0xe0
	cases := []struct {
		name, secret, ts, sig string
		body                  []byte
		at                    time.Time
		want                  error
	}{
		{"valid", secret, ts, good, body, now, nil},
		{"another secret", "another-secret-entirely", ts, good, body, now, ErrSignature},
		{"body changed", secret, ts, good, []byte(`{"op":0,"t":"FRIEND_DEL"}`), now, ErrSignature},
		{"timestamp changed", secret, "1725442342", good, body, now, ErrSignature},
		{"a bit flipped", secret, ts, string(flip), body, now, ErrSignature},
		{"not hex", secret, ts, "zz" + good[2:], body, now, ErrSignature},
		{"short", secret, ts, good[:64], body, now, ErrSignature},
		{"high bits of the last byte set", secret, ts, hex.EncodeToString(raw), body, now, ErrSignature},
		{"empty", secret, ts, "", body, now, ErrSignature},
		{"stale", secret, ts, good, body, now.Add(10 * time.Minute), ErrStale},
		{"from the future", secret, ts, good, body, now.Add(-10 * time.Minute), ErrStale},
	}
	for _, c := range cases {
		if err := Verify(c.secret, c.ts, c.sig, c.body, c.at, 5*time.Minute); err != c.want {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

// Short secrets repeat to the 32-byte seed; a secret of 32 or more bytes
// is cut.
func TestKeySeed(t *testing.T) {
	if string(Key("abc").Seed()) != "abcabcabcabcabcabcabcabcabcabcab" {
		t.Errorf("seed of abc = %q", Key("abc").Seed())
	}
	long := strings.Repeat("x", 40)
	if string(Key(long).Seed()) != long[:32] {
		t.Errorf("seed of a 40-byte secret = %q", Key(long).Seed())
	}
}

// The closed window's reason names the configured windows.
func TestWindowExplains(t *testing.T) {
	w := Window(time.Hour, 5*time.Minute)
	if !strings.Contains(w.Explain, "用户消息后 60 分钟内回复") || !strings.Contains(w.Explain, "群聊 5 分钟内") {
		t.Errorf("Explain = %q", w.Explain)
	}
	if d, n := w.For(GroupContact("g", "m")); d != 5*time.Minute || n != 5 {
		t.Errorf("a group member's rule: %v, %d", d, n)
	}
	if d, n := w.For("user"); d != time.Hour || n != 5 {
		t.Errorf("a user's rule: %v, %d", d, n)
	}
	if s := zhDuration(90 * time.Second); s != " 90 秒" {
		t.Errorf("zhDuration(90s) = %q", s)
	}
}
