package identity

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// A sign-in with an unknown email is checked against dummyHash: it must be
// a hash checkPassword really computes (the parameters a real one has, a
// salt and a key that decode), or unknown emails would answer faster than
// known ones — and no password may match it.
func TestDummyHashCostsARealCheck(t *testing.T) {
	real := HashPassword("password1")
	rp, dp := strings.Split(real, "$"), strings.Split(dummyHash, "$")
	if len(dp) != 6 || dp[1] != rp[1] || dp[2] != rp[2] || dp[3] != rp[3] {
		t.Fatalf("dummy hash %q does not have a real hash's algorithm and parameters (%q)", dummyHash, real)
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(dp[4])
	key, err2 := enc.DecodeString(dp[5])
	if err1 != nil || err2 != nil || len(salt) != 16 || len(key) != argonKeyLen {
		t.Fatalf("dummy hash salt %d bytes (%v), key %d bytes (%v)", len(salt), err1, len(key), err2)
	}
	for _, pw := range []string{"", "not-a-real-password", "password1", fmt.Sprint(argonMemory)} {
		if CheckPassword(dummyHash, pw) {
			t.Fatalf("%q matches the dummy hash", pw)
		}
	}
	if !CheckPassword(real, "password1") {
		t.Fatal("a real hash does not match its password")
	}
}
