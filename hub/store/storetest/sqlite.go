package storetest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kefu-hub/kefu/hub/store"
)

// SeedSQLite gives an end-to-end test's hub a data directory whose SQLite
// database is a copy of one migrated once per test process, as
// FreshPostgres gives it a copy of a migrated template: the hub under test
// then finds every migration applied instead of running them all at each
// first start (a second of a loaded box's CPU per test, hundreds of times a
// run). The hub's own migration of an empty database stays tested by
// hub/store and by the e2e deployments that ask for an empty one.
var sqliteTemplate struct {
	once  sync.Once
	files map[string][]byte // kefu.db and any write-ahead log beside it
	err   error
}

// SeedSQLite puts a migrated database into the data directory dir.
func SeedSQLite(t testing.TB, dir string) {
	t.Helper()
	tpl := &sqliteTemplate
	tpl.once.Do(func() {
		d, err := os.MkdirTemp("", "kefu-sqlite-template-")
		if err != nil {
			tpl.err = err
			return
		}
		defer os.RemoveAll(d)
		s, err := store.Open(context.Background(), "", d, store.Options{})
		if err != nil {
			tpl.err = err
			return
		}
		tpl.err = s.Migrate(context.Background())
		s.Close()
		if tpl.err != nil {
			return
		}
		names, _ := filepath.Glob(filepath.Join(d, "kefu.db*"))
		tpl.files = map[string][]byte{}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				tpl.err = err
				return
			}
			tpl.files[filepath.Base(n)] = b
		}
	})
	if tpl.err != nil {
		t.Fatalf("migrated SQLite template: %v", tpl.err)
	}
	for name, b := range tpl.files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
