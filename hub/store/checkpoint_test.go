package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// SQLite's write-ahead log is copied back into the database file beside the
// writer, never by it: the writer's connection does not checkpoint, and yet
// the log stays small while 5,000 transactions of 4 KB rows are written over
// two seconds (each writes three pages: with no checkpoint at all the log
// grows to 62 MB), and closing the store leaves everything in the database
// file.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	dir, ctx := t.TempDir(), context.Background()
	s, err := store.Open(ctx, "", dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := s.W.GetContext(ctx, &auto, `PRAGMA wal_autocheckpoint`); err != nil || auto != 0 {
		t.Fatalf("the writer checkpoints every %d pages (%v), want never (0)", auto, err)
	}
	if _, err := s.Exec(ctx, `CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const rows, size = 5000, 4000
	body := strings.Repeat("x", size)
	wal := filepath.Join(dir, "kefu.db-wal")
	largest := int64(0)
	for i := 0; i < rows; i++ {
		err := s.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO blobs (id, body) VALUES (?, ?)`, i, body)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(wal); err == nil {
			largest = max(largest, st.Size())
		}
		if i%125 == 0 {
			time.Sleep(50 * time.Millisecond) // as a busy hub writes: 2.5 MB a second
		}
	}
	// The file keeps its high-water mark: the log grew at most this far.
	t.Logf("the log grew to %.1f MB at most", float64(largest)/(1<<20))
	if largest > 24<<20 {
		t.Fatalf("the write-ahead log grew to %d MB: nothing copied it back in time", largest>>20)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(wal); err == nil && st.Size() > 0 {
		t.Fatalf("after close the log still holds %d bytes", st.Size())
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	again, err := store.Open(ctx, "", dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n int
	if err := again.Get(ctx, &n, `SELECT COUNT(*) FROM blobs`); err != nil || n != rows {
		t.Fatalf("%d rows after reopening (%v), want %d", n, err, rows)
	}
}
