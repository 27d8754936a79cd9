// Package store is the small kernel every noun package of the hub stores
// its tables on: the database handle (SQLite in embedded mode, PostgreSQL in
// a cluster), the few dialect differences, the single SQLite writer, the
// embedded migrations, and Write — a transaction that can emit realtime
// events and queue outbound work, both announced only after commit.
//
// Queries are written once with ? placeholders; the helpers rebind them.
// The kernel owns the event log (events, event_counters); every other table
// belongs to the package that queries it.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/secrets"
)

// Publisher receives what a committed transaction produced: realtime events
// to broadcast and outbound deliveries to attempt. Both are best-effort
// nudges; the database already holds the truth and sweepers catch up.
type Publisher interface {
	Events(evs []hub.Event)
	Deliveries(ids []string)
}

// EventHook runs inside a write transaction for each event it emitted, after
// the event is numbered and stored: the outbound package queues the event's
// webhook deliveries there, so each committed event is delivered once.
type EventHook func(ctx context.Context, tx *Tx, e *hub.Event) error

// TxHook runs inside every write transaction, after its work and events,
// just before it commits: the audit log records the change a request made
// in the transaction that made it.
type TxHook func(ctx context.Context, tx *Tx) error

// Options are what a store is opened with; every field may be left zero.
type Options struct {
	// Publisher is told of committed events and deliveries (nil: nobody).
	Publisher Publisher
	// EventHooks run for every emitted event inside its transaction.
	EventHooks []EventHook
	// Log receives warnings of best-effort work (nil: discarded).
	Log *slog.Logger
	// Now is the clock (nil: time.Now in UTC).
	Now func() time.Time
	// TxHooks run in every write transaction before it commits.
	TxHooks []TxHook
	// Keys seal and open the secrets noun packages keep (Seal, Unseal);
	// nil: a store that cannot keep secrets (migrations only).
	Keys *secrets.Keyring
	// MaxConns bounds the PostgreSQL pool (0: pgConns of the CPUs).
	MaxConns int
}

// Store is the open database: the writer and reader pools plus the
// dialect. On PostgreSQL both pools are the same; on SQLite the writer is a
// single connection, so write transactions queue in Go instead of failing
// with SQLITE_BUSY.
type Store struct {
	// W is the writer pool, R the reader pool.
	W, R *sqlx.DB
	// Postgres is the dialect: PostgreSQL when true, SQLite otherwise.
	Postgres bool
	pub      Publisher
	hooks    []EventHook
	log      *slog.Logger
	now      func() time.Time
	keys     *secrets.Keyring
	txHooks  []TxHook
	stmts    stmtCache
	warm     *warmConnector // PostgreSQL: readies new connections (Warm)
	conns    int            // PostgreSQL: the pool's size
	ck       *checkpointer  // SQLite: copies the write-ahead log back
	writing  atomic.Int64   // Write calls waiting or running (see WriteIdle)
}

func init() { sqlx.BindDriver("sqlite", sqlx.QUESTION) }

// Open connects to PostgreSQL when url is set, else to SQLite under dataDir.
// It does not migrate: call Migrate.
func Open(ctx context.Context, url, dataDir string, o Options) (*Store, error) {
	var s *Store
	var err error
	if url != "" {
		s, err = openPostgres(ctx, url, o.MaxConns)
	} else {
		s, err = openSQLite(ctx, dataDir)
	}
	if err != nil {
		return nil, err
	}
	s.pub, s.hooks, s.log, s.now, s.keys = o.Publisher, o.EventHooks, o.Log, o.Now, o.Keys
	s.ck.start(s.log)
	s.txHooks = o.TxHooks
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	s.stmts = newStmtCache()
	return s, nil
}

func openPostgres(ctx context.Context, url string, maxConns int) (*Store, error) {
	// Binary parameters save lib/pq a round trip per statement (measured
	// 18% faster ingest).
	if !strings.Contains(url, "binary_parameters") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "binary_parameters=yes"
	}
	pc, err := pq.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	wc := &warmConnector{Connector: pc}
	d := sqlx.NewDb(sql.OpenDB(wc), "postgres")
	n := maxConns
	if n <= 0 {
		n = pgConns(runtime.GOMAXPROCS(0))
	}
	d.SetMaxOpenConns(n)
	d.SetMaxIdleConns(n)
	d.SetConnMaxIdleTime(time.Minute)
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("ping postgres: %w: %w", ErrUnavailable, err)
	}
	return &Store{W: d, R: d, Postgres: true, warm: wc, conns: n}, nil
}

// pgConns is the PostgreSQL pool's size for a hub with cpus CPUs: 8 a CPU,
// from 16 to 32. The pool keeps every connection it opened (until it has
// been idle a minute). A new connection is slow at first — it reads the
// catalogs for each table, operator and trigger function it meets — and a
// pool that kept 8 of its 32 closed each one past the eighth as soon as it
// was handed back: in a burst, connections were opened and closed all the
// time, and 100 visitors' first messages waited 1.2 s (p99) for them, 0.6 s
// with a pool of 16 it keeps. More connections than that only queue for the
// CPUs; several hubs share the server's connection limit (100 by default).
func pgConns(cpus int) int { return min(32, max(16, 8*cpus)) }

func openSQLite(ctx context.Context, dataDir string) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, "kefu.db")
	if err := stmtJournalsInMemory(); err != nil {
		slog.Warn("SQLite runs with its default statement journals", "err", err)
	}
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite"
	// The writer never checkpoints the write-ahead log: the checkpointer's
	// own connection does.
	w, err := sqlx.Open("sqlite", base+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	r, err := sqlx.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(8)
	if err := w.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("ping sqlite: %w", err)
	}
	c, err := sqlx.Open("sqlite", base)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite checkpointer: %w", err)
	}
	c.SetMaxOpenConns(1)
	return &Store{W: w, R: r, ck: newCheckpointer(c, w)}, nil
}

// Close closes the pools (on SQLite the checkpointer's connection last).
func (s *Store) Close() error {
	s.stmts.close()
	if s.R != s.W {
		s.R.Close()
	}
	err := s.W.Close()
	s.ck.close() // the last connection: SQLite copies the log back
	return err
}

// Ping checks the store answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error { return s.W.PingContext(ctx) }

// Now is the store's clock, in UTC.
func (s *Store) Now() time.Time { return s.now() }

// Log is the store's logger.
func (s *Store) Log() *slog.Logger { return s.log }

// Announce broadcasts events that are not stored (typing, visitor updates,
// invites): ephemeral, id 0, never replayed.
func (s *Store) Announce(evs ...hub.Event) {
	if s.pub != nil && len(evs) > 0 {
		s.pub.Events(evs)
	}
}

// Nudge asks for deliveries committed outside Write (a redelivery) to be
// attempted now; the sweeper would find them anyway.
func (s *Store) Nudge(ids ...string) {
	if s.pub != nil && len(ids) > 0 {
		s.pub.Deliveries(ids)
	}
}

// Get runs a single-row read on the reader pool.
func (s *Store) Get(ctx context.Context, dest any, q string, args ...any) error {
	args = s.utc(args)
	if st := s.readStmt(q); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return s.R.GetContext(ctx, dest, s.R.Rebind(q), args...)
}

// Select runs a read on the reader pool.
func (s *Store) Select(ctx context.Context, dest any, q string, args ...any) error {
	args = s.utc(args)
	if st := s.readStmt(q); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return s.R.SelectContext(ctx, dest, s.R.Rebind(q), args...)
}

// SelectIn runs a read with IN (?) lists expanded.
func (s *Store) SelectIn(ctx context.Context, dest any, q string, args ...any) error {
	q, args, err := s.in(s.R, q, s.utc(args)...)
	if err != nil {
		return err
	}
	if st := s.readStmt(q); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return s.R.SelectContext(ctx, dest, q, args...)
}

// Exec runs one statement on the writer outside any transaction (a
// single-row change that emits nothing).
func (s *Store) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.W.ExecContext(ctx, s.W.Rebind(q), s.utc(args)...)
	if err != nil {
		return 0, err
	}
	s.ck.wrote()
	n, _ := res.RowsAffected()
	return n, nil
}

// utc gives SQLite every time argument in UTC. SQLite keeps times as text
// and compares them as text, so a bound in another zone (a day's start in
// the tenant's time zone) would compare wrongly with the stored UTC times:
// in Asia/Shanghai, once the local date ran ahead of UTC's, "today" matched
// nothing. PostgreSQL compares instants and takes them as they are.
func (s *Store) utc(args []any) []any {
	if s.Postgres {
		return args
	}
	var out []any
	for i, a := range args {
		var u any
		switch t := a.(type) {
		case time.Time:
			if t.Location() == time.UTC {
				continue
			}
			u = t.UTC()
		case *time.Time:
			if t == nil || t.Location() == time.UTC {
				continue
			}
			v := t.UTC()
			u = &v
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = u
	}
	if out == nil {
		return args
	}
	return out
}

// ForUpdate is the row-lock suffix: PostgreSQL locks rows, SQLite already
// holds the database write lock for the whole (immediate) transaction.
func (s *Store) ForUpdate() string {
	if s.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// ForUpdateSkipLocked locks the rows no other transaction holds and skips
// the others (work another process is doing); SQLite's writer holds them all.
func (s *Store) ForUpdateSkipLocked() string {
	if s.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Querier reads, in a transaction or on the reader pool: both *Store and
// *Tx are one, so a read helper serves either.
type Querier interface {
	Get(ctx context.Context, dest any, q string, args ...any) error
	Select(ctx context.Context, dest any, q string, args ...any) error
	SelectIn(ctx context.Context, dest any, q string, args ...any) error
}

var (
	_ Querier = (*Store)(nil)
	_ Querier = (*Tx)(nil)
)
