package identity

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestTOTPStep(t *testing.T) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Kefu", AccountName: "a@kefu.test"})
	if err != nil {
		t.Fatal(err)
	}
	sec := key.Secret()
	now := time.Unix(1_800_000_015, 0) // mid-step
	step := now.Unix() / totpPeriod
	code := func(at time.Time) string {
		c, err := TOTPCode(sec, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name string
		code string
		want int64
	}{
		{"current", code(now), step},
		{"previous step (clock skew)", code(now.Add(-30 * time.Second)), step - 1},
		{"next step (clock skew)", code(now.Add(30 * time.Second)), step + 1},
		{"two steps old", code(now.Add(-60 * time.Second)), 0},
		{"two steps ahead", code(now.Add(60 * time.Second)), 0},
		{"empty", "", 0},
		{"too short", code(now)[:5], 0},
		{"not digits", "abcdef", 0},
	} {
		if got := totpStep(sec, c.code, now); got != c.want {
			t.Errorf("%s: step %d, want %d", c.name, got, c.want)
		}
	}
}

// A policy's locks start at the Free-th failure and double per failure, up
// to the maximum.
func TestPolicyLocks(t *testing.T) {
	p := Policy{Free: 5, Lock: time.Minute, MaxLock: 30 * time.Minute, Window: time.Hour}
	want := []time.Duration{0, 0, 0, 0, 0, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for n, w := range want {
		if got := p.lockFor(n); got != w {
			t.Errorf("failure %d locks for %s, want %s", n, got, w)
		}
	}
	if got := p.lockFor(1000); got != 30*time.Minute {
		t.Errorf("failure 1000 locks for %s", got)
	}
}
