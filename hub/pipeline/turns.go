package pipeline

import (
	"context"
	"sync"

	"github.com/kefu-hub/kefu/hub/assign"
)

// maxRoutesPerTurn bounds how many stored messages one routing turn takes
// from a tenant; the rest wait for the tenant's next turn.
const maxRoutesPerTurn = 64

// turns hands routing work out one tenant at a time, round robin: a
// tenant's stored messages to route and its queue drains are done in
// bounded turns, so a tenant with thousands of waiting chats cannot delay
// another tenant's assignments. A tenant is worked on by one worker at a
// time in this process.
type turns struct {
	mu      sync.Mutex
	work    map[string]*tenantWork
	ring    []string // tenants with work, in turn order
	busy    map[string]bool
	wake    chan struct{}
	pending int // stored messages waiting for a turn (backlog)
	// over is closed when a tenant's turn in this process ends (see ended).
	over map[string]chan struct{}
}

type tenantWork struct {
	routes []assign.Stored
	drain  bool
	queued bool // in the ring
}

func newTurns() *turns {
	return &turns{work: map[string]*tenantWork{}, busy: map[string]bool{}, wake: make(chan struct{}, 1),
		over: map[string]chan struct{}{}}
}

// add asks for a stored message to be routed.
func (t *turns) add(tenantID string, s assign.Stored) {
	t.mu.Lock()
	w := t.get(tenantID)
	w.routes = append(w.routes, s)
	t.pending++
	t.ready(tenantID, w)
	t.mu.Unlock()
}

// kick asks for a tenant's queues to be drained.
func (t *turns) kick(tenantID string) {
	t.mu.Lock()
	w := t.get(tenantID)
	w.drain = true
	t.ready(tenantID, w)
	t.mu.Unlock()
}

func (t *turns) get(tenantID string) *tenantWork {
	w := t.work[tenantID]
	if w == nil {
		w = &tenantWork{}
		t.work[tenantID] = w
	}
	return w
}

// ready puts a tenant with work in the ring (once) and wakes a worker.
func (t *turns) ready(tenantID string, w *tenantWork) {
	if !w.queued && !t.busy[tenantID] {
		w.queued = true
		t.ring = append(t.ring, tenantID)
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// next waits for a tenant's turn: up to maxRoutesPerTurn stored messages
// and whether to drain. The caller must call done(tenantID) after.
func (t *turns) next(ctx context.Context) (tenantID string, routes []assign.Stored, drain bool, ok bool) {
	for {
		t.mu.Lock()
		if len(t.ring) > 0 {
			tenantID, t.ring = t.ring[0], t.ring[1:]
			w := t.work[tenantID]
			w.queued = false
			n := min(len(w.routes), maxRoutesPerTurn)
			routes = append([]assign.Stored(nil), w.routes[:n]...)
			w.routes = w.routes[n:]
			t.pending -= n
			drain, w.drain = w.drain, false
			t.busy[tenantID] = true
			more := len(t.ring) > 0
			t.mu.Unlock()
			if more {
				select { // another worker can start the next tenant
				case t.wake <- struct{}{}:
				default:
				}
			}
			return tenantID, routes, drain, true
		}
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", nil, false, false
		case <-t.wake:
		}
	}
}

// done ends a tenant's turn; more asks for another drain turn (a queue had
// more to assign than one turn takes). The tenant goes to the back of the
// ring when it has work left.
func (t *turns) done(tenantID string, more bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.busy, tenantID)
	if c := t.over[tenantID]; c != nil {
		close(c)
		delete(t.over, tenantID)
	}
	w := t.work[tenantID]
	if more {
		w.drain = true
	}
	if len(w.routes) == 0 && !w.drain {
		delete(t.work, tenantID)
		return
	}
	t.ready(tenantID, w)
}

// ended is closed when the tenant's routing turn in this process ends (the
// one under way, or else the next): its transaction has let go of the
// conversations it held.
func (t *turns) ended(tenantID string) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.over[tenantID]
	if c == nil {
		c = make(chan struct{})
		t.over[tenantID] = c
	}
	return c
}

// backlog is how many stored messages wait for a routing turn.
func (t *turns) backlog() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending
}
