package store_test

import (
	"context"
	"errors"
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
