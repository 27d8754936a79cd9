package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A new PostgreSQL session reads the catalog entries of each table and
// index the first time one of its statements is planned (the first
// statements of a fresh session took 20-30 ms each to parse, bind or run):
// a fresh hub's first batches of new customers took twice as long as the
// same batches a few seconds later. So every connection the pool opens
// plans, before it is used, a statement over each table of the schema
// (WHERE false: nothing is read but the catalogs), and Warm opens the
// pool's connections at start. Measured on a fresh cluster-mode hub, 100
// web visitors x 5 messages (kefu bench), 3 runs each on a 2-core box:
// first message p99 869 ms (794-874) before, 523 ms (517-657) warmed;
// follow-ups p99 692 ms (676-738) before, 410 ms (396-538) warmed.

// warmConnector opens lib/pq connections and readies each one.
type warmConnector struct {
	driver.Connector
	stmt atomic.Pointer[string] // nil until the schema is known (Warm)
}

func (w *warmConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := w.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if q := w.stmt.Load(); q != nil {
		if err := warmConn(ctx, c, *q); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// warmConn plans the warm-up statement on one connection. Planning takes
// a share lock on each table, which waits behind an exclusive one (a
// migration's ALTER TABLE, LOCK TABLE): a warm-up waited for that lock
// held every connection the pool opened meanwhile, and with it requests
// that touch none of the locked tables. So it waits at most warmLockWait
// and then leaves the connection cold (usable: its statements read the
// catalogs as they come). The SET is one implicit transaction with the
// statement (one simple query), so a timed-out warm-up rolls it back.
func warmConn(ctx context.Context, c driver.Conn, q string) error {
	ec, ok := c.(driver.ExecerContext)
	if !ok {
		return nil
	}
	_, err := ec.ExecContext(ctx, "SET lock_timeout = '"+warmLockWait+"'; "+q+"; RESET lock_timeout", nil)
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return nil
	}
	if err != nil {
		return fmt.Errorf("warm connection: %w", err)
	}
	return nil
}

// warmLockWait is how long a warm-up waits for a table's lock.
const warmLockWait = "100ms"

// Warm readies the PostgreSQL pool once the schema is migrated: from then
// on each connection it opens is warmed first, and the pool's connections
// are opened now, all at once, so that the first customers do not pay for
// it. It takes a few hundred milliseconds of the database's time; the hub
// runs it once it is ready. SQLite has nothing to warm.
func (s *Store) Warm(ctx context.Context) error {
	if s.warm == nil {
		return nil
	}
	var tables []string
	const q = `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`
	if err := s.W.SelectContext(ctx, &tables, q); err != nil {
		return fmt.Errorf("warm: list tables: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = "SELECT 1 FROM " + t + " WHERE false"
	}
	stmt := strings.Join(parts, " UNION ALL ")
	s.warm.stmt.Store(&stmt)
	// The pool's connections, but two left to the hub's own work, are
	// opened here one after another (the connector warms each new one) and
	// held until all are, so that each is a different one; those already
	// open are warmed here. One warm-up at a time: all at once held the
	// database's CPUs long enough to delay the hub's own start-up queries.
	var held []*sqlx.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < max(1, s.conns-2); i++ {
		c, err := s.W.Connx(ctx)
		if err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		held = append(held, c)
		// (a connection the connector has just warmed plans it again, in a
		// millisecond: its catalogs are read)
		err = c.Raw(func(dc any) error { return warmConn(ctx, dc.(driver.Conn), stmt) })
		if err != nil {
			return fmt.Errorf("warm: %w", err)
		}
	}
	return nil
}
