package secrets

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ring(t *testing.T, cur []byte, old ...[]byte) *Keyring {
	t.Helper()
	k, err := New(cur, old...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	a, b := NewKey(), NewKey()
	ka := ring(t, a)
	sealed, err := ka.Seal("whsec_c2VjcmV0", "channels/ch_1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "whsec") || !strings.HasPrefix(sealed, ka.CurrentPrefix()) {
		t.Fatalf("sealed = %q", sealed)
	}
	if again, _ := ka.Seal("whsec_c2VjcmV0", "channels/ch_1"); again == sealed {
		t.Error("two seals of one value are equal (nonce reused)")
	}
	if got, err := ka.Open(sealed, "channels/ch_1"); err != nil || got != "whsec_c2VjcmV0" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := ka.Open(sealed, "channels/ch_2"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("opening in another row: %v, want ErrCorrupt", err)
	}
	alt := []byte(sealed)
	alt[len(alt)-5] ^= 1 // another base64 letter or digit
	if _, err := ka.Open(string(alt), "channels/ch_1"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("altered value: %v, want ErrCorrupt", err)
	}
	if _, err := ring(t, b).Open(sealed, "channels/ch_1"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("wrong key: %v, want ErrUnknownKey", err)
	}
	rotated := ring(t, b, a)
	if got, err := rotated.Open(sealed, "channels/ch_1"); err != nil || got != "whsec_c2VjcmV0" {
		t.Errorf("old key: Open = %q, %v", got, err)
	}
	if got, _ := ka.Open("plain-old-row", "x/1"); got != "plain-old-row" {
		t.Errorf("a row stored in clear opens as %q", got)
	}
	if s, _ := ka.Seal("", "x/1"); s != "" {
		t.Errorf("empty seals as %q, want empty (no secret set)", s)
	}
}

func TestParseKey(t *testing.T) {
	k := NewKey()
	for _, s := range []string{encodeKey(k), strings.TrimRight(encodeKey(k), "="), "  " + encodeKey(k) + "\n",
		strings.ToUpper(hexOf(k))} {
		if got, err := ParseKey(s); err != nil || string(got) != string(k) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "short", encodeKey(k[:16]), "CHANGE-ME-openssl-rand-base64-32"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestLoad(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	t.Run("embedded creates a 0600 key file once", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		k1, err := Load(Source{DataDir: dir}, log)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, FileName))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, %v; want mode 0600", st, err)
		}
		k2, err := Load(Source{DataDir: dir}, log)
		if err != nil || k2.CurrentID() != k1.CurrentID() {
			t.Fatalf("second start: key %v, %v; want the same key %s", k2, err, k1.CurrentID())
		}
		// Moving to KEFU_SECRET_KEY: the file's key still opens old values.
		sealed, _ := k1.Seal("v", "t/1")
		k3, err := Load(Source{Key: encodeKey(NewKey()), DataDir: dir}, log)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k3.Open(sealed, "t/1"); err != nil || got != "v" || k3.CurrentID() == k1.CurrentID() {
			t.Errorf("env key beside the file: Open = %q, %v", got, err)
		}
	})
	t.Run("cluster requires the key", func(t *testing.T) {
		if _, err := Load(Source{}, log); err == nil || !strings.Contains(err.Error(), "KEFU_SECRET_KEY is required") {
			t.Errorf("Load without key or data dir: %v", err)
		}
	})
	t.Run("bad keys are named", func(t *testing.T) {
		if _, err := Load(Source{Key: "nope"}, log); err == nil || !strings.Contains(err.Error(), "KEFU_SECRET_KEY:") {
			t.Errorf("bad key: %v", err)
		}
		if _, err := Load(Source{Key: encodeKey(NewKey()), Old: []string{"nope"}}, log); err == nil ||
			!strings.Contains(err.Error(), "KEFU_SECRET_KEY_OLD") {
			t.Errorf("bad old key: %v", err)
		}
	})
}
