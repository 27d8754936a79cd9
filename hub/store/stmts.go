package store

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// On SQLite, compiling a statement costs about as much as running it, so
// every statement the hub runs is prepared once and reused: the hub's SQL
// is a fixed set (plus a few shapes of multi-row inserts), bounded by
// maxPrepared. The writer is a single connection, and a transaction holds
// it, so a statement first seen inside a transaction runs unprepared and
// is prepared after the commit. PostgreSQL parses cheaply server-side and
// its pool has many connections: there statements run directly.
const maxPrepared = 1000

type stmtCache struct {
	mu     sync.Mutex
	writer map[string]*sqlx.Stmt
	reader map[string]*sqlx.Stmt
	want   map[string]bool // seen in a transaction, to prepare after it
}

func newStmtCache() stmtCache {
	return stmtCache{writer: map[string]*sqlx.Stmt{}, reader: map[string]*sqlx.Stmt{}, want: map[string]bool{}}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]*sqlx.Stmt{c.writer, c.reader} {
		for q, st := range m {
			st.Close()
			delete(m, q)
		}
	}
}

// stmt is q's prepared form for this transaction (nil: run it directly).
func (s *Store) stmt(ctx context.Context, tx *Tx, q string) *sqlx.Stmt {
	if s.Postgres {
		return nil
	}
	c := &s.stmts
	c.mu.Lock()
	st, ok := c.writer[q]
	if !ok && len(c.writer)+len(c.want) < maxPrepared {
		c.want[q] = true
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	return tx.StmtxContext(ctx, st)
}

// prepareWanted prepares on the writer what transactions ran unprepared;
// called after a commit, when the writer's connection is free.
func (s *Store) prepareWanted() {
	c := &s.stmts
	c.mu.Lock()
	if len(c.want) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.want))
	for q := range c.want {
		qs = append(qs, q)
	}
	clear(c.want)
	c.mu.Unlock()
	for _, q := range qs {
		st, err := s.W.Preparex(q)
		if err != nil {
			continue // it keeps running unprepared; its error shows where it runs
		}
		c.mu.Lock()
		if _, dup := c.writer[q]; dup {
			st.Close()
		} else {
			c.writer[q] = st
		}
		c.mu.Unlock()
	}
}

// readStmt is q's prepared form on the reader pool (nil: run it directly).
func (s *Store) readStmt(q string) *sqlx.Stmt {
	if s.Postgres {
		return nil
	}
	c := &s.stmts
	c.mu.Lock()
	st, ok := c.reader[q]
	full := len(c.reader) >= maxPrepared
	c.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := s.R.Preparex(q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, dup := c.reader[q]; dup {
		st.Close()
		return old
	}
	c.reader[q] = st
	return st
}
