package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// SelectIn answers IN (?) lists the same on both dialects, through the
// reader and in a transaction: strings (quotes and Chinese included) and
// integers, beside plain arguments, two lists in one query, a thousand
// values; an empty list is an error, as it always was. On SQLite the list
// is one JSON argument, so the statement's text does not change with the
// list's length and the writer prepares it once.
func TestSelectInLists(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		if _, err := s.W.ExecContext(ctx, `CREATE TABLE in_rows (id TEXT PRIMARY KEY, n INTEGER NOT NULL, tag TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		var all []string
		err := s.Write(ctx, func(tx *store.Tx) error {
			for i := range 1200 {
				id := fmt.Sprintf("r%04d", i)
				all = append(all, id)
				if _, err := tx.Exec(ctx, `INSERT INTO in_rows (id, n, tag) VALUES (?, ?, ?)`, id, i, string(rune('a'+i%3))); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO in_rows (id, n, tag) VALUES (?, ?, ?)`, "O'Brien 大", 5000, "a")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		type query struct {
			q    string
			args []any
			want []string
		}
		queries := []query{
			{`SELECT id FROM in_rows WHERE tag = ? AND id IN (?) AND n >= ? ORDER BY id`,
				[]any{"a", []string{"r0000", "r0001", "r0003", "nope", "O'Brien 大"}, 0}, []string{"O'Brien 大", "r0000", "r0003"}},
			{`SELECT id FROM in_rows WHERE n IN(?) ORDER BY n`, []any{[]int64{1, 2, 5000, -1}}, []string{"r0001", "r0002", "O'Brien 大"}},
			{`SELECT id FROM in_rows WHERE id IN (?) OR n IN (?) ORDER BY id`,
				[]any{[]string{"r0010"}, []int{11, 12}}, []string{"r0010", "r0011", "r0012"}},
			{`SELECT id FROM in_rows WHERE id IN (?) ORDER BY id`, []any{all[100:1100]}, all[100:1100]},
		}
		for _, c := range queries {
			var got []string
			if err := s.SelectIn(ctx, &got, c.q, c.args...); err != nil {
				t.Fatalf("reader %s: %v", c.q, err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("reader %s: %d rows %.80v, want %d %.80v", c.q, len(got), got, len(c.want), c.want)
			}
			err := s.Write(ctx, func(tx *store.Tx) error {
				got = nil
				return tx.SelectIn(ctx, &got, c.q, c.args...)
			})
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("transaction %s: %d rows (%v), want %d", c.q, len(got), err, len(c.want))
			}
		}
		var none []string
		if err := s.SelectIn(ctx, &none, `SELECT id FROM in_rows WHERE id IN (?)`, []string{}); err == nil {
			t.Fatal("an empty list must be an error")
		}

		// Lists of 1, 2 and 3 values: one statement to prepare on SQLite.
		const probe = `SELECT id FROM in_rows WHERE tag = 'b' AND id IN (?)`
		for n := 1; n <= 3; n++ {
			err := s.Write(ctx, func(tx *store.Tx) error {
				var got []string
				if err := tx.SelectIn(ctx, &got, probe, all[:n*3]); err != nil {
					return err
				}
				if len(got) != n {
					return fmt.Errorf("%d values: %d rows, want %d", n*3, len(got), n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		want := 1
		if d.Name == "postgres" {
			want = 0 // PostgreSQL runs statements directly
		}
		if got := store.PreparedLike(s, "tag = 'b' AND id IN"); got != want {
			t.Fatalf("%d prepared statements for lists of 3 lengths, want %d", got, want)
		}
	})
}
