package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// checkpointer copies SQLite's write-ahead log back into the database file
// on a connection of its own, so the single writer never does. Left to
// SQLite, the commit that takes the log past 1,000 pages runs the
// checkpoint itself — writing those pages into the database file and
// syncing it — while every other write waits for the writer (a profile of
// 10,000 visitors arriving had 14 % of the writer's time in those commits).
// A passive checkpoint takes no write lock: it runs beside the writer and
// copies what no reader still needs, and the writer starts the log over
// once all of it is copied. Under a steady stream of writes that moment may
// not come (each commit adds pages while the copy runs): once the log holds
// restartPages, the last few pages are copied on the writer's connection,
// between two of its transactions, and the next one starts the log over.
type checkpointer struct {
	db, w   *sqlx.DB
	log     *slog.Logger
	commits atomic.Int64 // writes committed since the last checkpoint
	stop    chan struct{}
	done    chan struct{}
	closed  sync.Once
}

const (
	// checkpointTick is how often the checkpointer looks at the writes.
	checkpointTick = 200 * time.Millisecond
	// checkpointCommits is how many commits start a checkpoint at the next
	// tick; fewer wait for checkpointIdle. (A checkpoint of a log copied
	// already does nothing; one that copies pages syncs the database file.)
	checkpointCommits = 50
	checkpointIdle    = 2 * time.Second
)

// restartPages is the log's size (4 KB pages) at which the writer copies
// the rest of it itself, so the log starts over.
const restartPages = 2000

func newCheckpointer(db, writer *sqlx.DB) *checkpointer {
	return &checkpointer{db: db, w: writer, stop: make(chan struct{}), done: make(chan struct{})}
}

// start starts checkpointing (log: nil discards warnings).
func (c *checkpointer) start(log *slog.Logger) {
	if c == nil {
		return
	}
	c.log = log
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	go c.run()
}

// wrote notes a committed write: the log grew.
func (c *checkpointer) wrote() {
	if c != nil {
		c.commits.Add(1)
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			// Writes that bypass Write and Exec are not counted: the idle
			// checkpoint catches them.
			if c.commits.Load() < checkpointCommits && now.Sub(last) < checkpointIdle {
				continue
			}
			last = now
			if err := c.checkpoint(context.Background()); err != nil {
				c.log.Warn("SQLite checkpoint; the next one copies the log", "err", err)
			}
		}
	}
}

// checkpoint runs one passive checkpoint beside the writer, and one on the
// writer's connection when the log has grown to restartPages.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	c.commits.Store(0)
	pages, err := passive(ctx, c.db)
	if err != nil || pages < restartPages {
		return err
	}
	_, err = passive(ctx, c.w)
	return err
}

// passive runs a passive checkpoint on db and reports how many pages the
// log held.
func passive(ctx context.Context, db *sqlx.DB) (int, error) {
	var r struct {
		Busy         int `db:"busy"`
		Log          int `db:"log"`
		Checkpointed int `db:"checkpointed"`
	}
	if err := db.GetContext(ctx, &r, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	return r.Log, nil
}

// close stops the checkpointer and closes its connection; SQLite
// checkpoints the log when the last connection closes.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.closed.Do(func() {
		if c.log != nil { // started
			close(c.stop)
			<-c.done
		}
		c.db.Close()
	})
}
