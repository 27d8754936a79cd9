package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub"
)

// Tx is a write transaction. Besides reads and writes it collects the
// events the transaction emits (numbered and stored before commit) and the
// outbound deliveries it queued (attempted after commit).
type Tx struct {
	*sqlx.Tx
	s          *Store
	ctx        context.Context
	events     []hub.Event
	deliveries []string
	savepoints int
	committed  []func()
	memo       map[string]any
	before     []func(context.Context) error
}

// Before queues a write that can wait: it runs just before the
// transaction's next statement through its Get, Select, SelectIn or Exec
// (so their reads see it; the embedded sqlx methods do not wait for it),
// savepoint or commit. A caller that would send many one-row statements in
// a row queues them once and writes them together, one round trip each
// kind; an error fails that next statement.
func (tx *Tx) Before(fn func(context.Context) error) { tx.before = append(tx.before, fn) }

// pending runs the writes queued with Before.
func (tx *Tx) pending(ctx context.Context) error {
	fns := tx.before
	tx.before = nil // their own statements run at once
	for _, fn := range fns {
		if err := fn(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Memo is what the transaction remembered under key with SetMemo: a read
// that many of its events would repeat (under the tenant's event lock) is
// made once.
func (tx *Tx) Memo(key string) (any, bool) {
	v, ok := tx.memo[key]
	return v, ok
}

// SetMemo remembers v under key for the rest of the transaction.
func (tx *Tx) SetMemo(key string, v any) {
	if tx.memo == nil {
		tx.memo = map[string]any{}
	}
	tx.memo[key] = v
}

// OnCommit runs f once the transaction has committed (not when it rolls
// back or is retried).
func (tx *Tx) OnCommit(f func()) { tx.committed = append(tx.committed, f) }

// Write runs fn in a write transaction: it numbers and stores the events fn
// emitted (the per-tenant counter is the last lock taken, so no lock
// cycles), runs the event hooks, commits, then announces events and
// deliveries. A deadlock or serialization failure runs fn again (up to five
// times), so fn must not keep state from a failed attempt.
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	s.writing.Add(1)
	defer s.writing.Add(-1)
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var tx *Tx
		tx, err = s.write(ctx, fn)
		if err == nil {
			s.announce(tx)
			s.prepareWanted()
			return nil
		}
		if !retryable(err) || errors.Is(err, ErrConflict) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

// WriteIdle runs fn like Write once no other Write is waiting or running,
// or once within has passed without such a moment: work nobody waits for
// (the reports' statistics) makes way for customers' messages during a
// burst and catches up after it.
func (s *Store) WriteIdle(ctx context.Context, within time.Duration, fn func(tx *Tx) error) error {
	deadline := time.Now().Add(within)
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.Busy() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return s.Write(ctx, fn)
}

// Busy reports whether a Write is waiting or running.
func (s *Store) Busy() bool { return s.writing.Load() > 0 }

func (s *Store) write(ctx context.Context, fn func(tx *Tx) error) (*Tx, error) {
	stx, err := s.W.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w: %w", ErrUnavailable, err)
	}
	tx := &Tx{Tx: stx, s: s, ctx: ctx}
	if err := fn(tx); err != nil {
		stx.Rollback()
		return nil, err
	}
	if err := tx.pending(ctx); err != nil {
		stx.Rollback()
		return nil, err
	}
	if err := s.flushEvents(ctx, tx); err != nil {
		stx.Rollback()
		return nil, err
	}
	for _, h := range s.txHooks {
		if err := h(ctx, tx); err != nil {
			stx.Rollback()
			return nil, err
		}
	}
	if err := stx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w: %w", ErrUnavailable, err)
	}
	s.ck.wrote()
	for _, f := range tx.committed {
		f()
	}
	return tx, nil
}

func (s *Store) announce(tx *Tx) {
	if s.pub == nil {
		return
	}
	if len(tx.events) > 0 {
		s.pub.Events(tx.events)
	}
	if len(tx.deliveries) > 0 {
		s.pub.Deliveries(tx.deliveries)
	}
}

// Store is the store the transaction runs on.
func (tx *Tx) Store() *Store { return tx.s }

// Now is the store's clock.
func (tx *Tx) Now() time.Time { return tx.s.now() }

// Emit records an event of the transaction; payload is marshalled as its
// data. It is numbered and stored when the transaction commits.
func (tx *Tx) Emit(e hub.Event, payload any) {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("marshal %s payload: %v", e.Type, err)) // our own structs always marshal
	}
	e.Payload = b
	tx.events = append(tx.events, e)
}

// Deliver asks for deliveries queued in this transaction to be attempted
// once it commits.
func (tx *Tx) Deliver(ids ...string) { tx.deliveries = append(tx.deliveries, ids...) }

// Events are the events emitted so far (numbered once flushed).
func (tx *Tx) Events() []hub.Event { return tx.events }

// Get runs a single-row query in the transaction (through the prepared
// form when q is a hot statement).
func (tx *Tx) Get(ctx context.Context, dest any, q string, args ...any) error {
	if err := tx.pending(ctx); err != nil {
		return err
	}
	args = tx.s.utc(args)
	if st := tx.s.stmt(ctx, tx, q); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return tx.GetContext(ctx, dest, tx.Rebind(q), args...)
}

// Select runs a query in the transaction.
func (tx *Tx) Select(ctx context.Context, dest any, q string, args ...any) error {
	if err := tx.pending(ctx); err != nil {
		return err
	}
	args = tx.s.utc(args)
	if st := tx.s.stmt(ctx, tx, q); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return tx.SelectContext(ctx, dest, tx.Rebind(q), args...)
}

// SelectIn runs a query with IN (?) lists expanded.
func (tx *Tx) SelectIn(ctx context.Context, dest any, q string, args ...any) error {
	if err := tx.pending(ctx); err != nil {
		return err
	}
	q, args, err := tx.s.in(tx, q, tx.s.utc(args)...)
	if err != nil {
		return err
	}
	if st := tx.s.stmt(ctx, tx, q); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return tx.SelectContext(ctx, dest, q, args...)
}

// Exec runs a statement in the transaction and returns the rows it changed.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if err := tx.pending(ctx); err != nil {
		return 0, err
	}
	args = tx.s.utc(args)
	var res sql.Result
	var err error
	if st := tx.s.stmt(ctx, tx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
	}
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ErrConflict is a transaction that met a deadlock or a serialization
// failure in a part run without a savepoint (see Part). Write does not
// retry it: the caller runs it again, each part in its savepoint.
var ErrConflict = errors.New("store: conflict in a part without a savepoint")

// Part runs fn as a part of the transaction: in its own savepoint (see
// Savepoint) when careful, else as it is, two round trips fewer on
// PostgreSQL. Uncareful, a deadlock or serialization failure fails the
// whole transaction with ErrConflict. Callers that do many small parts
// run them uncareful first and careful after an ErrConflict: conflicts
// are rare (two processes routing the same tenant's agents at once).
func (tx *Tx) Part(ctx context.Context, careful bool, fn func() error) error {
	if careful || !tx.s.Postgres {
		return tx.Savepoint(ctx, fn)
	}
	err := fn()
	if err != nil && retryable(err) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// ErrRolledBack is a part of a transaction given up (see Savepoint).
var ErrRolledBack = errors.New("store: part of the transaction rolled back")

// Savepoint runs fn as a part of the transaction that can fail alone: on
// PostgreSQL, when fn hits a deadlock or serialization failure (another
// process locked the same rows in another order), what fn did — writes,
// locks, emitted events and deliveries — is rolled back and ErrRolledBack
// is returned, while the rest of the transaction goes on. On SQLite (one
// writer, no deadlocks) fn simply runs.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	if err := tx.pending(ctx); err != nil {
		return err
	}
	if !tx.s.Postgres {
		return fn()
	}
	tx.savepoints++
	name := fmt.Sprintf("part_%d", tx.savepoints)
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	events, deliveries := len(tx.events), len(tx.deliveries)
	err := fn()
	if err == nil {
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
		return nil
	}
	if !retryable(err) {
		return err
	}
	if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
		return fmt.Errorf("roll back to savepoint: %w (after %w)", rerr, err)
	}
	tx.events, tx.deliveries = tx.events[:events], tx.deliveries[:deliveries]
	return fmt.Errorf("%w: %w", ErrRolledBack, err)
}
