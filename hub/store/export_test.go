package store

import (
	"context"
	"database/sql/driver"
	"strings"
)

// OpenConn opens a connection the way the PostgreSQL pool does.
func OpenConn(ctx context.Context, s *Store) (driver.Conn, error) { return s.warm.Connect(ctx) }

// PreparedLike counts the statements prepared on the writer whose text
// contains sub.
func PreparedLike(s *Store, sub string) int {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	n := 0
	for q := range s.stmts.writer {
		if strings.Contains(q, sub) {
			n++
		}
	}
	return n
}
