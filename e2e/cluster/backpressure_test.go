package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// The inbox falls far behind (here: the messages table is locked, so
// nothing is stored while customers keep posting): above
// KEFU_INBOX_MAX_LAG waiting messages the hub pushes back — webhooks get
// 503 with Retry-After instead of the bus taking more, /readyz is 503 with
// the reason, kefu_inbox_backpressure is 1 — and once the inbox has caught
// up it accepts again. Every message acknowledged is stored exactly once.
func TestInboxBackpressure(t *testing.T) {
	t.Parallel()
	n := kit.StartNATS(t)
	e := env(t, n.URL())
	e.Vars["KEFU_INBOX_MAX_LAG"] = "30"
	h := e.Start()
	kit.DropIdleConns(t)
	ch := h.Admin().NewAPIChannel("", nil)
	if v := metric(h.Base, "kefu_inbox_backpressure"); v != "0" {
		t.Fatalf("kefu_inbox_backpressure = %q before any load", v)
	}

	db, err := sql.Open("postgres", e.Vars["KEFU_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			lock.Rollback()
		}
	}()

	p := newPlatform(t, ch, h.Base)
	for c := 0; c < 6; c++ {
		p.customer(fmt.Sprintf("b%d", c), 10000, 10*time.Millisecond)
	}
	kit.Eventually(t, 15*time.Second, "webhooks answered 503 with Retry-After", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.retryAft > 0
	})
	status, body := readyz(h.Base)
	if status != 503 || !strings.Contains(body, "backpressure") {
		t.Errorf("/readyz %d %s during backpressure, want 503 naming backpressure", status, body)
	}
	if v := metric(h.Base, "kefu_inbox_backpressure"); v != "1" {
		t.Errorf("kefu_inbox_backpressure = %q during backpressure, want 1", v)
	}
	waiting := len(p.all())

	lock.Rollback()
	locked = false
	// Under load the lock can outlast the ack wait (10 s): each partition's
	// delivery is still acknowledged once stored, and the next one follows
	// (hub/bus: TestHandlerOutlastingTheAckWaitIsAcknowledged).
	unlocked := time.Now()
	caughtUp := waitReadyz(t, h.Base, 200, 60*time.Second).Sub(unlocked)
	at := p.count() + 30 // accepted again
	kit.Eventually(t, 20*time.Second, "webhooks accepted again", func() bool { return p.count() >= at })
	p.halt()
	p.wait()
	auditStored(t, e, ch.ID, p.all(), 30*time.Second)
	if v := metric(h.Base, "kefu_inbox_backpressure"); v != "0" {
		t.Errorf("kefu_inbox_backpressure = %q after catching up, want 0", v)
	}
	t.Logf("%d messages accepted before pushing back, %d in all; ready again %s after the lock; answers: %v (%d with Retry-After)",
		waiting, len(p.all()), caughtUp.Round(time.Millisecond), p.answers(), p.retryAft)
}
