package store

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The migrations are written once, for PostgreSQL; SQLite runs the same
// files with four type names mapped (sqliteTypes). Everything else in them
// is SQL both dialects speak, and TestSchemasMatch proves the two schemas
// stay the same after every migration. The one exception is full-text
// search, which each database does its own way (an FTS5 table in SQLite, a
// tsvector with a GIN index in PostgreSQL): lines between "-- +kefu sqlite"
// (or "-- +kefu postgres") and "-- +kefu end" run on that dialect only.
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
	return mappedFS{sub, postgres}
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

// mappedFS serves the migration files for one dialect: the other
// dialect's blocks left out, and for SQLite the SQLite type names.
type mappedFS struct {
	fs.FS
	postgres bool
}

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
	b = dialectBlocks(b, m.postgres)
	if !m.postgres {
		b = typeWord.ReplaceAllFunc(b, func(w []byte) []byte { return []byte(sqliteTypes[string(w)]) })
	}
	return &memFile{Reader: bytes.NewReader(b), info: memInfo{st, int64(len(b))}}, nil
}

// dialectBlocks drops the lines of the other dialect's blocks.
func dialectBlocks(b []byte, postgres bool) []byte {
	if !bytes.Contains(b, []byte("-- +kefu ")) {
		return b
	}
	other := "-- +kefu postgres"
	if postgres {
		other = "-- +kefu sqlite"
	}
	var out bytes.Buffer
	skip := false
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		switch t := string(bytes.TrimSpace(l)); {
		case t == other:
			skip = true
		case strings.HasPrefix(t, "-- +kefu "):
			skip = false
		case !skip:
			out.Write(l)
		}
	}
	return out.Bytes()
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
