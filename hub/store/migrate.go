package store

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The migrations are written once, for PostgreSQL; SQLite runs the same
// files with four type names mapped (sqliteTypes). Everything else in them
// is SQL both dialects speak, and TestSchemasMatch proves the two schemas
// stay the same after every migration.
//
//go:embed migrations/*.sql
var migrations embed.FS

// sqliteTypes maps the PostgreSQL column types the migrations use to the
// SQLite ones (whose names also decide how the driver scans times).
var sqliteTypes = map[string]string{"TIMESTAMPTZ": "TIMESTAMP", "BIGINT": "INTEGER", "JSONB": "TEXT", "BYTEA": "BLOB"}

var typeWord = regexp.MustCompile(`\b(TIMESTAMPTZ|BIGINT|JSONB|BYTEA)\b`)

// Migrations returns the migration files for a dialect.
func Migrations(postgres bool) fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	if postgres {
		return sub
	}
	return mappedFS{sub}
}

// Migrate applies the embedded migrations. On PostgreSQL an advisory lock
// makes it safe when several hub processes start at once.
func (s *Store) Migrate(ctx context.Context) error {
	dialect, opts := goose.DialectSQLite3, []goose.ProviderOption{}
	if s.Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.W.DB, Migrations(s.Postgres), opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// mappedFS serves the migration files with the SQLite type names.
type mappedFS struct{ fs.FS }

func (m mappedFS) Open(name string) (fs.File, error) {
	f, err := m.FS.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return f, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	b = typeWord.ReplaceAllFunc(b, func(w []byte) []byte { return []byte(sqliteTypes[string(w)]) })
	return &memFile{Reader: bytes.NewReader(b), info: memInfo{st, int64(len(b))}}, nil
}

// ReadDir lists the directory of the underlying tree.
func (m mappedFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(m.FS, name) }

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct {
	fs.FileInfo
	size int64
}

func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return i.FileInfo.ModTime() }
