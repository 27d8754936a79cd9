package bench

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// auditPassTimeout bounds one read of the store.
const auditPassTimeout = time.Minute

// maxSettleWaits bounds how many -settle-late windows the re-checks may
// take while the hub keeps storing more of the unseen messages.
const maxSettleWaits = 10

// settle tells late from lost once the drain is over; the agent sockets
// must stay open meanwhile. While some accepted message is neither seen
// nor found in the store, it re-reads the store about once a second, for
// at most wait — and longer, a wait at a time up to maxSettleWaits of
// them, while each wait found more of them stored: a hub still working
// through its backlog has not lost what it has not stored yet. Then it
// reads the store a last time, which covers every message (stored twice,
// store times), and returns the verdict.
func settle(ctx context.Context, l *ledger.Ledger, a *storeAudit, wait time.Duration, log *slog.Logger) ledger.Verdict {
	began := time.Now()
	l.MarkDrained(began)
	deadline, windows, atWindow := began.Add(wait), 1, -1
	for ctx.Err() == nil && l.Unresolved() > 0 {
		if err := a.pass(ctx, auditPassTimeout); err != nil {
			log.Warn("store audit", "err", err)
		}
		log.Info("bench: re-checking unseen messages", "not_seen_nor_stored", l.Unresolved(),
			"left", time.Until(deadline).Round(time.Second))
		if l.Unresolved() == 0 {
			break
		}
		if atWindow < 0 {
			atWindow = l.Unresolved() // what the first read left missing
		}
		if !time.Now().Before(deadline) {
			if l.Unresolved() >= atWindow || windows >= maxSettleWaits || wait <= 0 {
				break // no progress in a whole wait, or waited long enough
			}
			log.Info("bench: the hub is still storing accepted messages; waiting on",
				"stored_in_the_last_wait", atWindow-l.Unresolved(), "not_seen_nor_stored", l.Unresolved())
			deadline, windows, atWindow = time.Now().Add(wait), windows+1, l.Unresolved()
		}
		sleep(ctx, min(time.Second, time.Until(deadline)))
	}
	if l.Outstanding() > 0 {
		sleep(ctx, time.Second) // stored but not shown yet: pushes in flight
	}
	if ctx.Err() == nil {
		if err := a.pass(ctx, auditPassTimeout); err != nil {
			log.Warn("store audit", "err", err)
		}
	}
	v := l.Verdict()
	accepted, stored := v.Audit.Accepted, v.Audit.AcceptedStored
	v.Audit = a.sum
	v.Audit.Accepted, v.Audit.AcceptedStored = accepted, stored
	v.SettleS = time.Since(began).Seconds()
	return v
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
