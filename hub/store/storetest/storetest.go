// Package storetest opens fresh, migrated stores for tests: SQLite always,
// and PostgreSQL (127.0.0.1:5432, trust, database test) unless
// KEFU_TEST_EMBEDDED_ONLY=1. PostgreSQL being down fails the test, never
// skips it. Each PostgreSQL database is a copy of a template migrated once
// per migration set, so a fresh database costs one CREATE DATABASE.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver

	"github.com/kefu-hub/kefu/hub/secrets"
	"github.com/kefu-hub/kefu/hub/store"
)

// AdminURL is the PostgreSQL database tests create their databases from.
const AdminURL = "postgres://127.0.0.1:5432/test?sslmode=disable"

// Keys is the keyring test stores seal secrets with unless the options
// name another.
var Keys = func() *secrets.Keyring {
	k, err := secrets.New(secrets.NewKey())
	if err != nil {
		panic(err)
	}
	return k
}()

// Ring is a keyring with cur as its current key and old as the keys it
// still opens (a test's rotation of the hub's secret key).
func Ring(tb testing.TB, cur []byte, old ...[]byte) *secrets.Keyring {
	tb.Helper()
	k, err := secrets.New(cur, old...)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// Dialect is one store to run a test on.
type Dialect struct {
	Name  string // "sqlite" or "postgres"
	Store *store.Store
	URL   string // the PostgreSQL URL ("" for SQLite)
	Dir   string // the data directory (SQLite)
}

// Each runs f as a subtest on a fresh store of every dialect.
func Each(t *testing.T, o store.Options, f func(t *testing.T, d Dialect)) {
	t.Helper()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) { f(t, Open(t, name, o)) })
	}
}

// Names are the dialects tests run on here.
func Names() []string {
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" {
		return []string{"sqlite"}
	}
	return []string{"sqlite", "postgres"}
}

// Open returns a fresh migrated store of the dialect, closed when tb ends.
func Open(tb testing.TB, dialect string, o store.Options) Dialect {
	tb.Helper()
	d := Dialect{Name: dialect, Dir: tb.TempDir()}
	if dialect == "postgres" {
		d.URL = FreshPostgres(tb)
	}
	if o.Keys == nil {
		o.Keys = Keys
	}
	s, err := store.Open(context.Background(), d.URL, d.Dir, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	d.Store = s
	return d
}

var (
	tplMu   sync.Mutex
	tplName string
	tplErr  error
)

// FreshPostgres creates an empty, migrated PostgreSQL database dropped when
// tb ends, and returns its URL.
func FreshPostgres(tb testing.TB) string {
	tb.Helper()
	admin, err := sql.Open("postgres", AdminURL)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		tb.Fatalf("PostgreSQL must be reachable at %s (KEFU_TEST_EMBEDDED_ONLY=1 runs SQLite only): %v", AdminURL, err)
	}
	name := "kefu_s_" + randHex(6)
	// Another checkout's tests (another migration set) may drop this
	// template as stale meanwhile: then it is made again.
	for try := 0; ; try++ {
		tplMu.Lock()
		if tplName == "" && tplErr == nil {
			tplName, tplErr = template(admin)
		}
		tpl, terr := tplName, tplErr
		tplMu.Unlock()
		if terr != nil {
			tb.Fatal(terr)
		}
		err := createFrom(admin, name, tpl)
		if err == nil {
			break
		}
		if try == 5 || !strings.Contains(err.Error(), "does not exist") {
			tb.Fatal(err)
		}
		tplMu.Lock()
		if tplName == tpl {
			tplName = ""
		}
		tplMu.Unlock()
	}
	tb.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return URL(name)
}

// URL is the loopback URL of a database.
func URL(name string) string { return "postgres://127.0.0.1:5432/" + name + "?sslmode=disable" }

// createFrom copies the template, retrying while another test process
// briefly holds a connection to it (PostgreSQL refuses to copy then).
func createFrom(admin *sql.DB, name, tpl string) error {
	var err error
	for i := 0; i < 100; i++ {
		if _, err = admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + tpl); err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("create database from template: %w", err)
}

// template returns the name of a database migrated with the current
// migration set, creating it once for every test process and run: it is
// migrated under a temporary name and renamed when complete, so a reader
// never sees half a schema.
func template(admin *sql.DB) (string, error) {
	name := "kefu_tpl_" + migrationsHash()
	var n int
	if err := admin.QueryRow(`SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return "", err
	}
	if n == 1 {
		return name, nil
	}
	tmp := "kefu_tmp_" + randHex(6)
	if _, err := admin.Exec("CREATE DATABASE " + tmp); err != nil {
		return "", err
	}
	s, err := store.Open(context.Background(), URL(tmp), "", store.Options{})
	if err == nil {
		err = s.Migrate(context.Background())
		s.Close()
	}
	if err == nil {
		_, err = admin.Exec("ALTER DATABASE " + tmp + " RENAME TO " + name)
	}
	if err != nil {
		admin.Exec("DROP DATABASE IF EXISTS " + tmp + " WITH (FORCE)")
		if admin.QueryRow(`SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n) == nil && n == 1 {
			return name, nil // another process finished first
		}
		return "", fmt.Errorf("migrate template database: %w", err)
	}
	dropStale(admin, name)
	return name, nil
}

// dropStale removes templates of older migration sets.
func dropStale(admin *sql.DB, keep string) {
	rows, err := admin.Query(`SELECT datname FROM pg_database WHERE datname LIKE 'kefu_tpl_%' AND datname <> $1`, keep)
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			old = append(old, n)
		}
	}
	rows.Close()
	for _, n := range old {
		admin.Exec("DROP DATABASE IF EXISTS " + n)
	}
}

func migrationsHash() string {
	h := sha256.New()
	fsys := store.Migrations(true)
	names, _ := fs.Glob(fsys, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(fsys, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// P99 runs fn in the benchmark's loop and reports the 99th percentile of
// its latency (p99-ms) beside the mean.
func P99(b *testing.B, fn func() error) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
