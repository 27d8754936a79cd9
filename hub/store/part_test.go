package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// conflict fails the statement as a deadlock victim or a serialization
// failure does (SQLSTATE 40001); SQLite runs no such thing.
const conflict = `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`

// A routing pass runs each conversation as a part of one transaction. Run
// uncareful (no savepoint), a conflict fails the whole transaction with
// ErrConflict at once — Write must not retry it in the same mode, and
// nothing of it is stored; run careful, only the part is rolled back and
// the rest of the transaction commits.
func TestPartConflict(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		if _, err := s.W.ExecContext(ctx, `CREATE TABLE part_rows (id TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		rows := func() (ids []string) {
			t.Helper()
			if err := s.Select(ctx, &ids, `SELECT id FROM part_rows ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		part := func(tx *store.Tx, careful bool, id string, fail bool) error {
			return tx.Part(ctx, careful, func() error {
				if _, err := tx.Exec(ctx, `INSERT INTO part_rows (id) VALUES (?)`, id); err != nil {
					return err
				}
				if fail && s.Postgres {
					_, err := tx.Exec(ctx, conflict)
					return err
				}
				return nil
			})
		}

		runs := 0
		err := s.Write(ctx, func(tx *store.Tx) error {
			runs++
			if err := part(tx, false, "a", false); err != nil {
				return err
			}
			return part(tx, false, "b", true)
		})
		if !s.Postgres {
			if err != nil || runs != 1 || len(rows()) != 2 {
				t.Fatalf("SQLite: err %v, runs %d, rows %v", err, runs, rows())
			}
			return
		}
		if !errors.Is(err, store.ErrConflict) || runs != 1 {
			t.Fatalf("uncareful conflict: err %v after %d runs; want ErrConflict after 1", err, runs)
		}
		if got := rows(); len(got) != 0 {
			t.Fatalf("a failed transaction stored %v", got)
		}

		err = s.Write(ctx, func(tx *store.Tx) error {
			if err := part(tx, true, "a", false); err != nil {
				return err
			}
			if err := part(tx, true, "b", true); !errors.Is(err, store.ErrRolledBack) {
				t.Errorf("careful conflict: %v, want ErrRolledBack", err)
			}
			return part(tx, true, "c", false)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(); len(got) != 2 || got[0] != "a" || got[1] != "c" {
			t.Fatalf("careful: stored %v, want [a c] (b rolled back alone)", got)
		}
	})
}

// A write queued with Before runs ahead of the transaction's next
// statement (which sees it) or, if none comes, its commit; an error from
// it fails that statement and nothing of the transaction is kept.
func TestBeforeRunsAheadOfTheNextStatement(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		if _, err := s.W.ExecContext(ctx, `CREATE TABLE later_rows (id TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		insert := func(tx *store.Tx, id string) func(context.Context) error {
			return func(ctx context.Context) error {
				_, err := tx.Exec(ctx, `INSERT INTO later_rows (id) VALUES (?)`, id)
				return err
			}
		}
		err := s.Write(ctx, func(tx *store.Tx) error {
			tx.Before(insert(tx, "a"))
			var n int
			if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM later_rows`); err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("the next read saw %d rows, want the queued one", n)
			}
			tx.Before(insert(tx, "b")) // no statement after it: written before the commit
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Write(ctx, func(tx *store.Tx) error {
			tx.Before(insert(tx, "c"))
			tx.Before(insert(tx, "a")) // a duplicate key: fails the next statement
			_, err := tx.Exec(ctx, `INSERT INTO later_rows (id) VALUES (?)`, "d")
			return err
		})
		if err == nil {
			t.Fatal("a failing queued write did not fail the transaction")
		}
		var ids []string
		if err := s.Select(ctx, &ids, `SELECT id FROM later_rows ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(ids, ",") != "a,b" {
			t.Fatalf("rows %v, want a,b (the failed transaction keeps nothing)", ids)
		}
	})
}

// TypedRows types a multi-row VALUES list for PostgreSQL, row by row.
func TestTypedRows(t *testing.T) {
	if got, want := store.TypedRows(2, "text", "int"), "(?::text, ?::int), (?::text, ?::int)"; got != want {
		t.Fatalf("TypedRows(2, text, int) = %q, want %q", got, want)
	}
	if got := store.TypedRows(1, "timestamptz"); got != "(?::timestamptz)" {
		t.Fatalf("TypedRows(1, timestamptz) = %q", got)
	}
}
