package store

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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

// in is In for s's dialect. On SQLite a list of strings (ids) goes
// as one JSON argument, `IN (SELECT value FROM json_each(?))` — SQLite
// still looks each value up in the column's index — so the statement's
// text is the same whatever the list's length and is prepared once (see
// stmt), instead of compiled for every length: compiling one of these
// lookups cost about as much as running it, and the inbox's and routing's
// batches run several. A list anywhere but in `IN (?)`, an empty one or
// one of other values is expanded as In does.
func (s *Store) in(x interface{ Rebind(string) string }, q string, args ...any) (string, []any, error) {
	if s.Postgres {
		return In(x, q, args...)
	}
	var b strings.Builder
	out := make([]any, 0, len(args))
	arg := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		if arg >= len(args) {
			return In(x, q, args...)
		}
		a := args[arg]
		arg++
		list, ok := jsonList(a)
		if !ok && expands(a) {
			return In(x, q, args...)
		}
		if !ok {
			b.WriteByte('?')
			out = append(out, a)
			continue
		}
		before := strings.ToUpper(strings.TrimRight(b.String(), " \t\n"))
		if !strings.HasSuffix(before, "IN (") && !strings.HasSuffix(before, "IN(") ||
			!strings.HasPrefix(strings.TrimLeft(q[i+1:], " \t\n"), ")") {
			return In(x, q, args...)
		}
		b.WriteString("SELECT value FROM json_each(?)")
		out = append(out, list)
	}
	if arg != len(args) {
		return In(x, q, args...)
	}
	return b.String(), out, nil
}

// expands reports whether sqlx.In expands a: a slice but a []byte or a
// driver.Valuer.
func expands(a any) bool {
	switch a.(type) {
	case []byte, driver.Valuer:
		return false
	}
	return a != nil && reflect.ValueOf(a).Kind() == reflect.Slice
}

// jsonList is a non-empty slice of strings as a JSON array;
// ok is false for any other argument.
func jsonList(a any) (string, bool) {
	if !expands(a) {
		return "", false
	}
	v := reflect.ValueOf(a)
	if v.Len() == 0 {
		return "", false
	}
	if v.Type().Elem().Kind() != reflect.String {
		return "", false // a JSON number would not take a TEXT column's affinity, as a bound value does
	}
	j, err := json.Marshal(a)
	if err != nil {
		return "", false
	}
	return string(j), true
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
