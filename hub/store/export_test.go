package store

import (
	"context"
	"database/sql/driver"
)

// OpenConn opens a connection the way the PostgreSQL pool does.
func OpenConn(ctx context.Context, s *Store) (driver.Conn, error) { return s.warm.Connect(ctx) }
