package kit

import (
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the embedded mode's database file
)

// StoreDB opens the hub's database directly (read-only use), to check what
// is really stored.
func StoreDB(t testing.TB, e *Env) *sqlx.DB {
	t.Helper()
	return openDB(t, e, "&_pragma=query_only(1)")
}

// ExecSQL runs a statement (with ? placeholders) on the hub's database, for
// rows no API creates (like a poisoned bus message).
func ExecSQL(t testing.TB, e *Env, q string, args ...any) {
	t.Helper()
	d := openDB(t, e, "&_pragma=foreign_keys(1)&_time_format=sqlite") // as the hub writes
	defer d.Close()
	if _, err := d.Exec(d.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// openDB opens the Env's PostgreSQL database, or the SQLite file under its
// data dir (kefu.db) with extra pragmas.
func openDB(t testing.TB, e *Env, pragmas string) *sqlx.DB {
	t.Helper()
	var d *sqlx.DB
	var err error
	if u := e.Vars["KEFU_DATABASE_URL"]; u != "" {
		d, err = sqlx.Open("postgres", u)
	} else {
		d, err = sqlx.Open("sqlite", "file:"+filepath.Join(e.Vars["KEFU_DATA_DIR"], "kefu.db")+
			"?_pragma=busy_timeout(10000)"+pragmas)
	}
	if err != nil {
		t.Fatal(err)
	}
	d.SetMaxOpenConns(2)
	t.Cleanup(func() { d.Close() })
	return d
}

// AssertGapFreeSeq checks every conversation of a channel numbers its
// messages 1..n.
func AssertGapFreeSeq(t testing.TB, d *sqlx.DB, channelID string) {
	t.Helper()
	var rows []struct {
		Conv string `db:"conversation_id"`
		N    int64  `db:"n"`
		Min  int64  `db:"lo"`
		Max  int64  `db:"hi"`
		Seqs int64  `db:"seqs"`
		Last int64  `db:"last_seq"`
	}
	q := `SELECT m.conversation_id, COUNT(*) AS n, MIN(m.seq) AS lo, MAX(m.seq) AS hi, COUNT(DISTINCT m.seq) AS seqs,
		MAX(c.last_seq) AS last_seq FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.channel_id = ? GROUP BY m.conversation_id`
	if err := d.Select(&rows, d.Rebind(q), channelID); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no messages stored")
	}
	for _, r := range rows {
		if r.Min != 1 || r.Max != r.N || r.Seqs != r.N || r.Last != r.N {
			t.Fatalf("conversation %s: %d messages with seq %d..%d (%d distinct), last_seq %d: not gap-free",
				r.Conv, r.N, r.Min, r.Max, r.Seqs, r.Last)
		}
	}
}
