package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/kefu-hub/kefu/hub"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable wraps failures to reach the database, so callers can answer
// 5xx (platforms retry) rather than 4xx.
var ErrUnavailable = fmt.Errorf("database: %w", hub.ErrUnavailable)

// retryable reports a PostgreSQL deadlock or serialization failure, or a
// busy SQLite database: the transaction is worth running again.
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

// NoRows reports sql.ErrNoRows.
func NoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// In expands an IN (?) query for both dialects and rebinds it.
func In(x interface{ Rebind(string) string }, q string, args ...any) (string, []any, error) {
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

// TypedRows returns n rows of placeholders cast to types, "(?::text,
// ?::int), (?::text, ?::int)", for a PostgreSQL `UPDATE … FROM (VALUES …)`
// that writes many rows in one statement (its VALUES are otherwise untyped).
func TypedRows(n int, types ...string) string {
	row := "(?::" + strings.Join(types, ", ?::") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// Like is a case-insensitive LIKE pattern matching s anywhere, for
// `LOWER(col) LIKE ? ESCAPE '\'`; the wildcards of s match themselves.
func Like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}

// JSONText is an expression reading a top-level text value of a JSON
// object column, its key the next placeholder (a plain [a-z0-9_] key).
func (s *Store) JSONText(col string) string {
	if s.Postgres {
		return `(` + col + `::jsonb ->> ?)`
	}
	return `json_extract(` + col + `, '$.' || ?)`
}
