package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// column is a column as both dialects can describe it.
type column struct {
	Type    string // the SQLite spelling
	NotNull bool
	Default string
}

// schema is what must match between the dialects after migrating.
type schema struct {
	Columns map[string]map[string]column // table → column → definition
	PK      map[string]string            // table → primary key columns
	Unique  map[string][]string          // table → unique column sets (constraints and unique indexes), with predicates
	Indexes map[string]string            // index name → table(columns) [predicate]
	FKs     map[string][]string          // table → "column → table(column)"
}

// pgTypes maps information_schema types to the SQLite declarations.
var pgTypes = map[string]string{"text": "TEXT", "bigint": "INTEGER", "integer": "INTEGER", "boolean": "BOOLEAN",
	"timestamp with time zone": "TIMESTAMP", "jsonb": "TEXT", "bytea": "BLOB", "double precision": "DOUBLE PRECISION"}

var (
	casts  = regexp.MustCompile(`::[a-z ]+`)
	spaces = regexp.MustCompile(`\s+`)
)

// norm puts a default or predicate into one spelling: no casts, no
// parentheses, lower case, single spaces.
func norm(s string) string {
	s = casts.ReplaceAllString(s, "")
	s = strings.NewReplacer("(", "", ")", "").Replace(s)
	return strings.TrimSpace(spaces.ReplaceAllString(strings.ToLower(s), " "))
}

// The two migration histories are one source (PostgreSQL types, mapped for
// SQLite). After migrating, both databases must have the same tables,
// columns (types mapped), nullability, defaults, keys, unique sets,
// indexes and foreign keys, so the dialects can never drift. Full-text
// search tables and indexes are left out: each dialect has its own (an FTS5
// virtual table and its shadow tables in SQLite, a table with a tsvector
// column or a GIN index in PostgreSQL), and the knowledge base's and the
// customer list's tests search both.
func TestSchemasMatch(t *testing.T) {
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" {
		t.Skip("needs PostgreSQL (KEFU_TEST_EMBEDDED_ONLY=1)")
	}
	ctx := context.Background()
	lite := readSQLite(t, ctx, storetest.Open(t, "sqlite", store.Options{}).Store)
	pg := readPostgres(t, ctx, storetest.Open(t, "postgres", store.Options{}).Store)
	if len(lite.Columns) < 30 {
		t.Fatalf("only %d tables read from SQLite: the introspection is broken", len(lite.Columns))
	}
	compare(t, "table/column", lite.Columns, pg.Columns)
	compare(t, "primary key", lite.PK, pg.PK)
	compare(t, "unique", lite.Unique, pg.Unique)
	compare(t, "index", lite.Indexes, pg.Indexes)
	compare(t, "foreign key", lite.FKs, pg.FKs)
}

func compare[V any](t *testing.T, what string, lite, pg map[string]V) {
	t.Helper()
	keys := map[string]bool{}
	for k := range lite {
		keys[k] = true
	}
	for k := range pg {
		keys[k] = true
	}
	for k := range keys {
		a, b := fmt.Sprintf("%+v", lite[k]), fmt.Sprintf("%+v", pg[k])
		if a != b {
			t.Errorf("%s %s differs:\n  sqlite:   %s\n  postgres: %s", what, k, a, b)
		}
	}
}

func newSchema() schema {
	return schema{Columns: map[string]map[string]column{}, PK: map[string]string{}, Unique: map[string][]string{},
		Indexes: map[string]string{}, FKs: map[string][]string{}}
}

func readSQLite(t *testing.T, ctx context.Context, s *store.Store) schema {
	out := newSchema()
	var tables []string
	err := s.Select(ctx, &tables, `SELECT name FROM sqlite_master m WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%'
			AND (m.name = v.name OR m.name LIKE v.name || '\_%' ESCAPE '\'))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		var cols []struct {
			CID     int     `db:"cid"`
			Name    string  `db:"name"`
			Type    string  `db:"type"`
			NotNull bool    `db:"notnull"`
			Default *string `db:"dflt_value"`
			PK      int     `db:"pk"`
		}
		if err := s.Select(ctx, &cols, `SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, tb); err != nil {
			t.Fatal(err)
		}
		out.Columns[tb] = map[string]column{}
		pk := map[int]string{}
		for _, c := range cols {
			d := ""
			if c.Default != nil {
				d = norm(*c.Default)
			}
			out.Columns[tb][c.Name] = column{Type: strings.ToUpper(c.Type), NotNull: c.NotNull || c.PK > 0, Default: d}
			if c.PK > 0 {
				pk[c.PK] = c.Name
			}
		}
		out.PK[tb] = joinOrdered(pk)
		readSQLiteIndexes(t, ctx, s, tb, &out)
		var fks []struct {
			Table string `db:"table"`
			From  string `db:"from"`
			To    string `db:"to"`
		}
		if err := s.Select(ctx, &fks, `SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`, tb); err != nil {
			t.Fatal(err)
		}
		for _, f := range fks {
			out.FKs[tb] = append(out.FKs[tb], f.From+" → "+f.Table+"("+f.To+")")
		}
		sort.Strings(out.FKs[tb])
	}
	return out
}

func readSQLiteIndexes(t *testing.T, ctx context.Context, s *store.Store, tb string, out *schema) {
	var idx []struct {
		Name   string `db:"name"`
		Unique bool   `db:"unique"`
		Origin string `db:"origin"`
	}
	if err := s.Select(ctx, &idx, `SELECT name, "unique", origin FROM pragma_index_list(?)`, tb); err != nil {
		t.Fatal(err)
	}
	for _, ix := range idx {
		if ix.Origin == "pk" {
			continue
		}
		var cols []string
		if err := s.Select(ctx, &cols, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.Name); err != nil {
			t.Fatal(err)
		}
		var sqls []sql.NullString
		if err := s.Select(ctx, &sqls, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, ix.Name); err != nil {
			t.Fatal(err)
		}
		pred := ""
		if len(sqls) == 1 && sqls[0].Valid {
			if _, w, ok := strings.Cut(strings.ToUpper(sqls[0].String), " WHERE "); ok {
				pred = " where " + norm(w)
			}
		}
		def := strings.Join(cols, ", ") + pred
		if ix.Unique {
			out.Unique[tb] = append(out.Unique[tb], def)
			sort.Strings(out.Unique[tb])
		}
		if ix.Origin == "c" {
			out.Indexes[ix.Name] = tb + "(" + def + ")"
		}
	}
}

func readPostgres(t *testing.T, ctx context.Context, s *store.Store) schema {
	out := newSchema()
	var cols []struct {
		Table   string  `db:"table_name"`
		Name    string  `db:"column_name"`
		Type    string  `db:"data_type"`
		NotNull string  `db:"is_nullable"`
		Default *string `db:"column_default"`
	}
	err := s.Select(ctx, &cols, `SELECT table_name, column_name, data_type, is_nullable, column_default
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'goose_db_version'
		AND table_name NOT IN (SELECT table_name FROM information_schema.columns WHERE data_type = 'tsvector')`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if out.Columns[c.Table] == nil {
			out.Columns[c.Table] = map[string]column{}
		}
		d := ""
		if c.Default != nil {
			d = norm(*c.Default)
		}
		typ, ok := pgTypes[c.Type]
		if !ok {
			typ = "unmapped " + c.Type
		}
		out.Columns[c.Table][c.Name] = column{Type: typ, NotNull: c.NotNull == "NO", Default: d}
	}
	var cons []struct {
		Table string `db:"tbl"`
		Type  string `db:"contype"`
		Def   string `db:"def"`
	}
	err = s.Select(ctx, &cons, `SELECT c.conrelid::regclass::text AS tbl, c.contype::text AS contype,
		pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f') AND c.conrelid::regclass::text <> 'goose_db_version'
		AND c.conrelid::regclass::text NOT IN (SELECT table_name FROM information_schema.columns WHERE data_type = 'tsvector')`)
	if err != nil {
		t.Fatal(err)
	}
	keyCols := regexp.MustCompile(`KEY \(([^)]*)\)`)
	fk := regexp.MustCompile(`FOREIGN KEY \(([^)]*)\) REFERENCES ([a-z_]+)\(([^)]*)\)`)
	for _, c := range cons {
		switch c.Type {
		case "p":
			out.PK[c.Table] = keyCols.FindStringSubmatch(c.Def)[1]
		case "u":
			cs := strings.TrimSuffix(strings.TrimPrefix(c.Def, "UNIQUE ("), ")")
			out.Unique[c.Table] = append(out.Unique[c.Table], cs)
			sort.Strings(out.Unique[c.Table])
		case "f":
			m := fk.FindStringSubmatch(c.Def)
			out.FKs[c.Table] = append(out.FKs[c.Table], m[1]+" → "+m[2]+"("+m[3]+")")
			sort.Strings(out.FKs[c.Table])
		}
	}
	for tb := range out.Columns {
		if _, ok := out.PK[tb]; !ok {
			out.PK[tb] = ""
		}
	}
	var idx []struct {
		Name  string `db:"indexname"`
		Table string `db:"tablename"`
		Def   string `db:"indexdef"`
	}
	if err := s.Select(ctx, &idx, `SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'
		AND indexname NOT IN (SELECT conname FROM pg_constraint)
		AND tablename NOT IN (SELECT table_name FROM information_schema.columns WHERE data_type = 'tsvector')`); err != nil {
		t.Fatal(err)
	}
	def := regexp.MustCompile(`USING btree \((.*?)\)(?: WHERE (.*))?$`)
	for _, ix := range idx {
		m := def.FindStringSubmatch(ix.Def)
		if m == nil {
			continue // a search index (GIN): SQLite has an FTS5 table instead
		}
		d := strings.ReplaceAll(m[1], `"`, "")
		if m[2] != "" {
			d += " where " + norm(m[2])
		}
		if strings.HasPrefix(ix.Def, "CREATE UNIQUE") {
			out.Unique[ix.Table] = append(out.Unique[ix.Table], d)
			sort.Strings(out.Unique[ix.Table])
		}
		out.Indexes[ix.Name] = ix.Table + "(" + d + ")"
	}
	return out
}

func joinOrdered(m map[int]string) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return strings.Join(out, ", ")
}
