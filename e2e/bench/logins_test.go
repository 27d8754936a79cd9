package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Five hundred wrong sign-ins at once keep the hub under 300 MB resident
// (argon2id takes 19 MiB per hash; unbounded, 200 at once took 2.5 GB):
// every one is answered 401, or 429 with Retry-After, never 5xx.
func TestLoginFloodMemory(t *testing.T) {
	base, cmd := testHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := RunLogins(ctx, LoginsConfig{URL: base, Logins: 500, PID: cmd.Process.Pid}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	r.WriteText(&sb)
	t.Log(sb.String())
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if r.RSSPeakMB <= 0 || r.RSSPeakMB >= 300 {
		t.Fatalf("hub peak RSS %.0f MB under 500 concurrent wrong sign-ins, want < 300 MB", r.RSSPeakMB)
	}
	n := 0
	for a, c := range r.Answers {
		if !strings.HasPrefix(a, "401 ") && !strings.HasPrefix(a, "429 ") {
			t.Errorf("%d answers %q, want 401 or 429", c, a)
		}
		n += c
	}
	if n != 500 || r.NoRetry != 0 {
		t.Fatalf("answers %v (%d 429 without Retry-After), want 500 answers", r.Answers, r.NoRetry)
	}
}
