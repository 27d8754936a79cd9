package ledger

import (
	"fmt"
	"strings"
	"time"
)

// Verdict is what became of every message the hub accepted (a 2xx, or a
// visitor's ack frame), decided once the drain is over and the store has
// been re-checked for a bounded time:
//
//   - on time: an agent socket showed it before the drain ended;
//   - late: an agent socket showed it only after the drain, or it never
//     reached a socket but is in the hub's store;
//   - lost: accepted, never shown, and not in the store after the re-checks;
//   - duplicated: shown twice on agent sockets, or stored twice.
//
// Only lost and duplicated fail a run.
type Verdict struct {
	OnTime         int `json:"on_time"`
	Late           int `json:"late"`
	LateSeen       int `json:"late_seen"`        // reached an agent socket after the drain
	LateStoredOnly int `json:"late_stored_only"` // in the store, never pushed to an agent socket
	// LateStoredWithinS is how long after the drain the last late message
	// was stored (its created_at); 0 when all were stored before it ended.
	LateStoredWithinS float64 `json:"late_stored_within_s"`
	// LateStoredBeforeDrain were stored before the drain ended: the delay
	// was in routing or the push to the socket, not in ingest.
	LateStoredBeforeDrain int     `json:"late_stored_before_drain_end"`
	LateNoStoreTime       int     `json:"late_without_store_time"` // the audit did not read their row
	LateSeenWithinS       float64 `json:"late_seen_within_s"`      // the last late sighting, after the drain
	Lost                  int     `json:"lost"`
	Duplicated            int     `json:"duplicated"`
	DuplicatedSeen        int     `json:"duplicated_seen"`   // shown more than once on agent sockets
	DuplicatedStored      int     `json:"duplicated_stored"` // more than one row in the store
	// SettleS is the time spent after the drain re-checking the store
	// (bounded by -settle-late) and reading it a last time.
	SettleS float64      `json:"settle_s"`
	Audit   AuditSummary `json:"store_audit"`
}

// AuditSummary is how far the store audit got.
type AuditSummary struct {
	Passes         int  `json:"passes"`
	Conversations  int  `json:"conversations"`
	Rows           int  `json:"customer_rows_read"`
	Foreign        int  `json:"foreign_rows"` // rows with external ids this run never sent
	Accepted       int  `json:"accepted"`
	AcceptedStored int  `json:"accepted_found_stored"`
	Complete       bool `json:"complete"` // the last pass listed and read every conversation without error
	// Error is why the last pass was incomplete.
	Error string `json:"error,omitempty"`
}

// Verdict classifies every message; call it once the run is over.
func (l *Ledger) Verdict() Verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	var v Verdict
	var storedAfter, seenAfter time.Duration
	for _, e := range l.entries {
		if e.seen > 1 {
			v.DuplicatedSeen++
		}
		if e.stored > 1 {
			v.DuplicatedStored++
		}
		if e.seen > 1 || e.stored > 1 {
			v.Duplicated++
		}
		if e.acked.IsZero() {
			continue // refused or unanswered: nothing was promised
		}
		v.Audit.Accepted++
		if e.stored > 0 {
			v.Audit.AcceptedStored++
		}
		switch {
		case e.seen > 0 && (l.cutoff.IsZero() || !e.firstSeen.After(l.cutoff)):
			v.OnTime++
			continue
		case e.seen > 0:
			v.LateSeen++
			seenAfter = max(seenAfter, e.firstSeen.Sub(l.cutoff))
		case e.stored > 0:
			v.LateStoredOnly++
		default:
			v.Lost++
			continue
		}
		v.Late++
		switch {
		case e.storedAt.IsZero():
			v.LateNoStoreTime++
		case e.storedAt.After(l.cutoff):
			storedAfter = max(storedAfter, e.storedAt.Sub(l.cutoff))
		default:
			v.LateStoredBeforeDrain++
		}
	}
	v.LateStoredWithinS, v.LateSeenWithinS = storedAfter.Seconds(), seenAfter.Seconds()
	return v
}

// Err is non-nil when a message was lost or duplicated: the run failed.
func (v Verdict) Err() error {
	if v.Lost > 0 || v.Duplicated > 0 {
		return fmt.Errorf("bench: %d accepted messages lost, %d duplicated", v.Lost, v.Duplicated)
	}
	return nil
}

// Summary says it plainly, e.g. "lost 0, late 834 (all stored within
// 12.3 s after the drain; …), duplicated 0".
func (v Verdict) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "on time %d, lost %d, late %d", v.OnTime, v.Lost, v.Late)
	if v.Late > 0 {
		var why []string
		switch stored := v.Late - v.LateNoStoreTime; {
		case stored > 0 && v.LateStoredBeforeDrain == stored:
			why = append(why, "all already stored when the drain ended")
		case stored > 0 && v.LateStoredBeforeDrain > 0:
			why = append(why, fmt.Sprintf("all stored within %.1f s after the drain, %d of them before it ended",
				v.LateStoredWithinS, v.LateStoredBeforeDrain))
		case stored > 0:
			why = append(why, fmt.Sprintf("all stored within %.1f s after the drain", v.LateStoredWithinS))
		}
		if v.LateSeen > 0 {
			why = append(why, fmt.Sprintf("%d reached an agent socket, the last %.1f s after the drain", v.LateSeen, v.LateSeenWithinS))
		}
		if v.LateStoredOnly > 0 {
			why = append(why, fmt.Sprintf("%d stored but never pushed to an agent socket", v.LateStoredOnly))
		}
		if v.LateNoStoreTime > 0 {
			why = append(why, fmt.Sprintf("%d with no store time read", v.LateNoStoreTime))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(why, "; "))
	}
	fmt.Fprintf(&b, ", duplicated %d", v.Duplicated)
	if v.Duplicated > 0 {
		fmt.Fprintf(&b, " (%d shown twice on agent sockets, %d stored twice)", v.DuplicatedSeen, v.DuplicatedStored)
	}
	return b.String()
}

// AuditLine tells how far the store was checked.
func (v Verdict) AuditLine() string {
	a := v.Audit
	s := fmt.Sprintf("%d of %d accepted messages found stored (%d conversations read in %d pass(es), %.1f s after the drain)",
		a.AcceptedStored, a.Accepted, a.Conversations, a.Passes, v.SettleS)
	if !a.Complete {
		s += "; INCOMPLETE (" + a.Error + "): a message counted lost may be stored"
	}
	return s
}

// Line is the last line of a text report: OK or FAIL, and why.
func (v Verdict) Line() string {
	if err := v.Err(); err != nil {
		return "FAIL: " + err.Error()
	}
	if v.Late > 0 {
		return fmt.Sprintf("OK: 0 lost, 0 duplicated (%d late: see above)", v.Late)
	}
	return "OK: 0 lost, 0 late, 0 duplicated"
}
