package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Scope is what a count of failed sign-ins is kept for.
type Scope string

// Scopes of the sign-in guard.
const (
	// ScopeAccount counts wrong passwords for one email (known or not, so
	// a lock tells nothing about which emails exist).
	ScopeAccount Scope = "account"
	// ScopeAddress counts wrong passwords from one client address, whatever
	// the email: password spraying over many accounts.
	ScopeAddress Scope = "address"
	// ScopeTOTP counts wrong two-factor codes of one agent (whose password
	// was right).
	ScopeTOTP Scope = "totp"
)

// Policy is how one scope throttles: the Free-th failure in a row locks
// for Lock, and each further failure after a lock ends doubles it, up to
// MaxLock. Failures are forgotten Window after the last
// one, or at a success (for the account and TOTP scopes).
type Policy struct {
	Free    int
	Lock    time.Duration
	MaxLock time.Duration
	Window  time.Duration
}

// DefaultPolicies are the sign-in guard's limits: a person who mistypes a
// few times is never locked; a guesser gets about one try per half hour
// after the first dozen. An address may fail more often than an account
// (an office behind one NAT), but not without bound.
var DefaultPolicies = map[Scope]Policy{
	ScopeAccount: {Free: 5, Lock: time.Minute, MaxLock: 30 * time.Minute, Window: time.Hour},
	ScopeAddress: {Free: 20, Lock: time.Minute, MaxLock: 30 * time.Minute, Window: time.Hour},
	ScopeTOTP:    {Free: 5, Lock: 5 * time.Minute, MaxLock: time.Hour, Window: time.Hour},
}

// lockFor is the lock the n-th failure in a row starts (0: none yet).
func (p Policy) lockFor(n int) time.Duration {
	if n < p.Free {
		return 0
	}
	d := p.Lock
	for i := p.Free; i < n && d < p.MaxLock; i++ {
		d *= 2
	}
	return min(d, p.MaxLock)
}

// LockedError is a sign-in refused, without checking it, while its
// account, address or TOTP codes are locked.
type LockedError struct {
	Scope Scope
	Until time.Time
	// RetryAfter is how long from now the lock lasts (at least a second).
	RetryAfter time.Duration
}

// Is makes a lock of TOTP codes ErrTOTPLocked.
func (e *LockedError) Is(target error) bool { return target == ErrTOTPLocked && e.Scope == ScopeTOTP }

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins (%s): locked for %s", e.Scope, e.RetryAfter.Round(time.Second))
}

// guardKey is one counted thing: a scope and its key.
type guardKey struct {
	Scope Scope
	Key   string
}

// guard keeps the counts in the auth_throttle table, so every process of a
// cluster shares them.
type guard struct {
	k        *store.Store
	policies map[Scope]Policy
}

// check refuses with a *LockedError when any of keys is locked now.
func (g *guard) check(ctx context.Context, keys ...guardKey) error {
	now := g.k.Now()
	for _, key := range keys {
		if key.Key == "" {
			continue
		}
		var until []time.Time
		const q = `SELECT locked_until FROM auth_throttle WHERE scope = ? AND k = ? AND locked_until > ?`
		if err := g.k.Select(ctx, &until, q, key.Scope, key.Key, now); err != nil {
			return fmt.Errorf("read sign-in locks: %w", err)
		}
		if len(until) > 0 {
			return locked(key.Scope, until[0], now)
		}
	}
	return nil
}

func locked(scope Scope, until, now time.Time) *LockedError {
	return &LockedError{Scope: scope, Until: until, RetryAfter: max(until.Sub(now), time.Second)}
}

// fail counts a failure of key in tx and returns the lock it started, if
// any. The row is read for update, so two processes failing at once both
// count.
func (g *guard) fail(ctx context.Context, tx *store.Tx, key guardKey) (*LockedError, error) {
	if key.Key == "" {
		return nil, nil
	}
	now, p := tx.Now(), g.policies[key.Scope]
	const ins = `INSERT INTO auth_throttle (scope, k, failures, last_failure) VALUES (?, ?, 0, ?) ON CONFLICT (scope, k) DO NOTHING`
	if _, err := tx.Exec(ctx, ins, key.Scope, key.Key, now); err != nil {
		return nil, fmt.Errorf("count failed sign-in: %w", err)
	}
	var row struct {
		Failures int        `db:"failures"`
		Last     time.Time  `db:"last_failure"`
		Until    *time.Time `db:"locked_until"`
	}
	q := `SELECT failures, last_failure, locked_until FROM auth_throttle WHERE scope = ? AND k = ?` + tx.Store().ForUpdate()
	if err := tx.Get(ctx, &row, q, key.Scope, key.Key); err != nil {
		return nil, fmt.Errorf("count failed sign-in: %w", err)
	}
	if row.Until != nil && row.Until.After(now) {
		return nil, nil // locked meanwhile by another attempt: that one counted
	}
	n := row.Failures + 1
	if now.Sub(row.Last) > p.Window {
		n = 1
	}
	var until *time.Time
	if d := p.lockFor(n); d > 0 {
		t := now.Add(d)
		until = &t
	}
	const up = `UPDATE auth_throttle SET failures = ?, last_failure = ?, locked_until = ? WHERE scope = ? AND k = ?`
	if _, err := tx.Exec(ctx, up, n, now, until, key.Scope, key.Key); err != nil {
		return nil, fmt.Errorf("count failed sign-in: %w", err)
	}
	if until == nil {
		return nil, nil
	}
	return locked(key.Scope, *until, now), nil
}

// clear forgets key's failures (a success, or an admin's reset).
func (g *guard) clear(ctx context.Context, x interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
}, key guardKey) error {
	if _, err := x.Exec(ctx, `DELETE FROM auth_throttle WHERE scope = ? AND k = ?`, key.Scope, key.Key); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}
