// Package db opens Kefu's database — SQLite in embedded mode, PostgreSQL in a
// cluster — applies the embedded migrations and keeps the few dialect
// differences in one place. Queries are written once with ? placeholders.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kefu-hub/kefu/deploy"
)

// ErrUnavailable wraps failures to reach the database, so callers can answer
// 5xx (platforms retry) rather than 4xx.
var ErrUnavailable = errors.New("database unavailable")

// DB is the writer and reader pools plus the dialect. On PostgreSQL both
// pools are the same; on SQLite the writer is a single connection so that
// write transactions queue in Go instead of failing with SQLITE_BUSY.
type DB struct {
	W, R     *sqlx.DB
	Postgres bool
}

func init() { sqlx.BindDriver("sqlite", sqlx.QUESTION) }

// Open connects to PostgreSQL when url is set, else to SQLite under dataDir.
func Open(ctx context.Context, url, dataDir string) (*DB, error) {
	if url != "" {
		return openPostgres(ctx, url)
	}
	return openSQLite(ctx, dataDir)
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	// Binary parameters save lib/pq a round trip per statement (measured
	// 18% faster ingest).
	if !strings.Contains(url, "binary_parameters") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "binary_parameters=yes"
	}
	d, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	d.SetMaxOpenConns(32)
	d.SetMaxIdleConns(32)
	d.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("ping postgres: %w: %w", ErrUnavailable, err)
	}
	return &DB{W: d, R: d, Postgres: true}, nil
}

func openSQLite(ctx context.Context, dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, "kefu.db")
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite"
	w, err := sqlx.Open("sqlite", base+"&_txlock=immediate")
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
	return &DB{W: w, R: r}, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	if d.R != d.W {
		d.R.Close()
	}
	return d.W.Close()
}

// Migrate applies the embedded migrations. On PostgreSQL an advisory lock
// makes it safe when several hub processes start at once.
func (d *DB) Migrate(ctx context.Context) error {
	dialect, dir, opts := goose.DialectSQLite3, "sqlite", []goose.ProviderOption{}
	if d.Postgres {
		dialect, dir = goose.DialectPostgres, "postgres"
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, d.W.DB, deploy.Migrations(dir), opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Ping checks the store answers (for /readyz).
func (d *DB) Ping(ctx context.Context) error { return d.W.PingContext(ctx) }

// Tx runs fn in a write transaction and commits it; it retries a few times
// when PostgreSQL reports a deadlock or serialization failure.
func (d *DB) Tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = d.tx(ctx, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

func (d *DB) tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.W.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w: %w", ErrUnavailable, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w: %w", ErrUnavailable, err)
	}
	return nil
}

func retryable(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY // extended codes keep the primary in the low byte
	}
	return false
}

// IsUnique reports a unique-constraint violation in either dialect.
func IsUnique(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// ForUpdate is the row-lock suffix: PostgreSQL locks rows, SQLite already
// holds the database write lock for the whole (immediate) transaction.
func (d *DB) ForUpdate() string {
	if d.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// NoRows reports sql.ErrNoRows.
func NoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// In expands an IN (?) query for both dialects and rebinds it.
func In(x *sqlx.DB, q string, args ...any) (string, []any, error) {
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return "", nil, fmt.Errorf("expand IN: %w", err)
	}
	return x.Rebind(q), args, nil
}

// Placeholders returns "?, ?, ?" for n values.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
