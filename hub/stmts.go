package hub

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmtCache keeps the hot statements of the inbox prepared. On SQLite
// preparing (parsing) a statement costs as much as running it, and the
// writer is one connection, so each statement is prepared once and reused
// in every transaction. PostgreSQL parses server-side cheaply and its pool
// has many connections, so there statements run directly.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
}

// prepare readies a hot query on the SQLite writer. It must run outside any
// transaction: the writer has a single connection.
func (s *Store) prepare(q string) {
	if s.db.Postgres {
		return
	}
	st, err := s.db.W.Preparex(q)
	if err != nil {
		panic(fmt.Sprintf("prepare hot query: %v\n%s", err, q)) // our own SQL: a bug, found by any test
	}
	s.cache.mu.Lock()
	s.cache.stmts[q] = st
	s.cache.mu.Unlock()
}

// stmt returns the prepared form of q bound to tx, or nil to run q directly.
func (s *Store) stmt(ctx context.Context, tx *sqlx.Tx, q string) (*sqlx.Stmt, error) {
	s.cache.mu.Lock()
	st, ok := s.cache.stmts[q]
	s.cache.mu.Unlock()
	if !ok {
		return nil, nil //nolint:nilnil // not a hot query, or PostgreSQL: run it directly
	}
	return tx.StmtxContext(ctx, st), nil
}

// txGet, txSelect and txExec run a hot query through the statement cache.
func (s *Store) txGet(ctx context.Context, tx *sqlx.Tx, dest any, q string, args ...any) error {
	st, err := s.stmt(ctx, tx, q)
	if err != nil {
		return err
	}
	if st == nil {
		return tx.GetContext(ctx, dest, tx.Rebind(q), args...)
	}
	return st.GetContext(ctx, dest, args...)
}

func (s *Store) txSelect(ctx context.Context, tx *sqlx.Tx, dest any, q string, args ...any) error {
	st, err := s.stmt(ctx, tx, q)
	if err != nil {
		return err
	}
	if st == nil {
		return tx.SelectContext(ctx, dest, tx.Rebind(q), args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

func (s *Store) txExec(ctx context.Context, tx *sqlx.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.ExecContext(ctx, tx.Rebind(q), args...)
	}
	return st.ExecContext(ctx, args...)
}
