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

func TestTOTPGuard(t *testing.T) {
	var g totpGuard
	now := time.Unix(1_800_000_000, 0)
	for i := range totpMaxFailures {
		if !g.allow("ag_1", now) {
			t.Fatalf("refused after %d failures", i)
		}
		g.failed("ag_1", now)
	}
	if g.allow("ag_1", now.Add(time.Minute)) {
		t.Fatalf("allowed after %d failures within the window", totpMaxFailures)
	}
	if !g.allow("ag_2", now) {
		t.Fatal("another agent is locked too")
	}
	if !g.allow("ag_1", now.Add(totpLockWindow+time.Second)) {
		t.Fatal("still locked after the window")
	}
	g.failed("ag_1", now)
	g.reset("ag_1")
	if f := g.m["ag_1"]; f != nil {
		t.Fatalf("a success did not clear the failures: %+v", f)
	}
}
