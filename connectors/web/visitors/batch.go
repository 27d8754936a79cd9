package visitors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// maxBatch bounds the arrivals and departures one transaction writes, so
// it holds the single SQLite writer for a few milliseconds at most and the
// inbox's transactions (waiting for the same connection) go in between.
const maxBatch = 128

// op is one arrival (arrival set) or departure waiting to be written.
type op struct {
	tenantID, id string
	arrival      *Arrival
	visitor      *Visitor // the arrival as written
	err          error
	done         chan struct{}
}

// writer writes arrivals and departures in batches: a caller queues its op
// and waits; one goroutine, started when the queue fills and gone when it
// is empty, writes up to maxBatch queued ops per transaction. A lone
// visitor waits for one small transaction, as before; ten thousand
// visitors connecting at once cost about eighty transactions instead of
// ten thousand, and nothing is read back per arrival.
type writer struct {
	s       *Store
	mu      sync.Mutex
	queue   []*op
	running bool
	batches atomic.Int64 // transactions written (tests)
}

// do queues o and waits until it is written (or ctx ends: the write still
// happens, as it would have for a socket that closed just after).
func (w *writer) do(ctx context.Context, o *op) error {
	o.done = make(chan struct{})
	w.mu.Lock()
	w.queue = append(w.queue, o)
	if !w.running {
		w.running = true
		go w.run()
	}
	w.mu.Unlock()
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return fmt.Errorf("visitor %s: %w", o.id, ctx.Err())
	}
}

func (w *writer) run() {
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxBatch)
		if n == 0 {
			w.queue, w.running = nil, false
			w.mu.Unlock()
			return
		}
		batch := slices.Clone(w.queue[:n])
		clear(w.queue[:n])
		w.queue = w.queue[n:]
		w.mu.Unlock()
		w.batches.Add(1)
		w.s.write(batch)
	}
}

// write records a batch in one transaction and tells each op's caller. An
// op that cannot succeed (a visitor id of another channel) fails alone; a
// database failure fails the batch (the sockets close and reconnect).
func (s *Store) write(batch []*op) {
	// Row locks (PostgreSQL) in id order; a visitor's ops keep their order.
	slices.SortStableFunc(batch, func(a, b *op) int { return strings.Compare(a.id, b.id) })
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	results := make([]*Visitor, len(batch))
	errs := make([]error, len(batch))
	now := s.k.Now()
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		clear(results) // a retried transaction starts over
		clear(errs)
		for i, o := range batch {
			if o.arrival == nil {
				const q = `UPDATE visitors SET left_at = ? WHERE tenant_id = ? AND id = ?`
				if _, err := tx.Exec(ctx, q, now, o.tenantID, o.id); err != nil {
					return fmt.Errorf("visitor left: %w", err)
				}
				continue
			}
			v, err := s.arrive(ctx, tx, o.arrival, now)
			if err != nil && !isRefusal(err) {
				return err
			}
			results[i], errs[i] = v, err
		}
		return nil
	})
	for i, o := range batch {
		switch {
		case err != nil:
			o.err = err
		case errs[i] != nil:
			o.err = errs[i]
		default:
			if v := results[i]; v != nil {
				v.derive(now)
				o.visitor = v
			}
			s.touch(o.tenantID, o.id)
		}
		close(o.done)
	}
}

// writeTimeout bounds one batch's transaction.
const writeTimeout = 10 * time.Second

// isRefusal is an op that cannot succeed, as opposed to a failing database.
func isRefusal(err error) bool { return errors.Is(err, hub.ErrNotFound) }
