package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// A day in the tenant's time zone selects what happened in it on both
// dialects, also when that day's date is not UTC's: 17:05 UTC on
// 2026-12-06 is 01:05 on 2026-12-07 in Shanghai. (SQLite compares times as
// text: a bound written in +08:00 against stored UTC text matched nothing.)
func TestTimesCompareAcrossZones(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		s, ctx := d.Store, context.Background()
		typ := "TIMESTAMP"
		if s.Postgres {
			typ = "TIMESTAMPTZ"
		}
		if _, err := s.W.ExecContext(ctx, `CREATE TABLE zoned (id TEXT PRIMARY KEY, at `+typ+` NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		shanghai := time.FixedZone("CST", 8*3600)
		at := time.Date(2026, 12, 6, 17, 5, 0, 0, time.UTC)
		if _, err := s.Exec(ctx, `INSERT INTO zoned (id, at) VALUES (?, ?)`, "utc", at); err != nil {
			t.Fatal(err)
		}
		// Written with its zone's offset, read back as the same instant.
		if _, err := s.Exec(ctx, `INSERT INTO zoned (id, at) VALUES (?, ?)`, "cst", at.Add(time.Minute).In(shanghai)); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 12, 7, 0, 0, 0, 0, shanghai)
		var ids []string
		q := `SELECT id FROM zoned WHERE at >= ? AND at < ? ORDER BY at`
		if err := s.Select(ctx, &ids, q, day, day.AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 || ids[0] != "utc" || ids[1] != "cst" {
			t.Fatalf("Shanghai's 2026-12-07 holds %v, want [utc cst]", ids)
		}
		err := s.Write(ctx, func(tx *store.Tx) error {
			return tx.Select(ctx, &ids, q, day.AddDate(0, 0, -1), day)
		})
		if err != nil || len(ids) != 0 {
			t.Fatalf("Shanghai's 2026-12-06 holds %v (%v), want none", ids, err)
		}
	})
}
