// Package stream turns the best-effort event broadcast into an ordered,
// gap-free stream per tenant for the sockets of this process. Event ids are
// gap-free per tenant and committed in order (the tenant counter row lock is
// held to commit), so a missing id means a notification was lost or is still
// in flight: the stream waits briefly, then reads the gap from the database.
// A client's resume point is therefore a true watermark: replay from the
// database plus live events never skips or repeats one.
package stream

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// Source is where missing events are read from: the database.
type Source interface {
	EventsRange(ctx context.Context, tenantID string, from, to int64) ([]hub.Event, error)
	EventsAfter(ctx context.Context, a *hub.Agent, after int64, limit int) ([]hub.Event, error)
	LastEventID(ctx context.Context, tenantID string) (int64, error)
}

// GapWait is how long an out-of-order event waits for the ones before it
// before the stream reads them from the database.
const GapWait = 150 * time.Millisecond

// SubBuffer bounds the events queued for one socket; a slower socket is
// dropped and resumes from its last id.
const SubBuffer = 512

// Hub fans ordered events out to local subscribers.
type Hub struct {
	src     Source
	log     *slog.Logger
	mu      sync.Mutex
	tenants map[string]*tenant
	conns   func(delta int)
}

type tenant struct {
	id        string
	next      int64
	pending   map[int64]hub.Event
	gapSince  time.Time
	lastCheck time.Time
	subs      map[*Sub]struct{}
}

// TailCheck is how often a tenant stream asks the database whether events
// were committed whose broadcast never arrived (a lost tail has no later
// event to reveal the gap).
const TailCheck = 500 * time.Millisecond

// New returns a stream hub reading gaps from src. conns is told of every
// subscriber that comes and goes (for the websocket gauge); it may be nil.
func New(src Source, log *slog.Logger, conns func(int)) *Hub {
	if conns == nil {
		conns = func(int) {}
	}
	return &Hub{src: src, log: log, tenants: map[string]*tenant{}, conns: conns}
}

// Sub is one subscriber (an agent socket). It has two lanes. C carries
// the stored events (conversations, messages …) in order, and the small
// ephemeral ones (typing, queue.changed); a subscriber too slow for its
// stored events is dropped (Done closes) and resumes from its last id, while
// an ephemeral event that finds C half full is dropped alone (it is never
// replayed anyway), so typing cannot crowd the stored events out. Visitor updates
// never use C: they wait in a lane of their own, one entry per visitor
// (a newer state replaces an older one still waiting), bounded by
// MaxPendingVisitors, signalled on Visitors and taken with TakeVisitors
// when the socket has nothing else to send. However many visitors come and
// go, they cannot delay, drop or close an agent's conversations.
type Sub struct {
	Agent *hub.Agent
	C     chan hub.Event
	Done  chan struct{}
	// Visitors is signalled when visitor updates wait for TakeVisitors.
	Visitors  chan struct{}
	mu        sync.Mutex
	replaying bool
	backlog   []hub.Event
	closed    bool
	vis       map[string]json.RawMessage // visitor id → latest state waiting
	visOrder  []string                   // the waiting ids, oldest first
	visLost   int                        // updates dropped over MaxPendingVisitors
	h         *Hub
}

// MaxPendingVisitors bounds the visitor updates waiting for one socket
// (about 0.7 MB); past it further visitors' updates are dropped (the
// workbench reloads its visitor list every 30 s anyway).
const MaxPendingVisitors = 1000

// Subscribe registers an agent. Events after `after` that the agent may see
// are returned as the replay (from the database); the caller sends them,
// then calls Live for the events that arrived meanwhile, then reads C.
// after < 0 means "no replay, start now". It returns the watermark the
// client is at once the replay is sent.
func (h *Hub) Subscribe(ctx context.Context, a *hub.Agent, after int64) (*Sub, []hub.Event, int64, error) {
	s := &Sub{Agent: a, C: make(chan hub.Event, SubBuffer), Done: make(chan struct{}), Visitors: make(chan struct{}, 1),
		replaying: true, h: h}
	t, err := h.register(ctx, s)
	if err != nil {
		return nil, nil, 0, err
	}
	h.mu.Lock()
	upto := t.next - 1
	h.mu.Unlock()
	if after < 0 || after > upto {
		after = upto
	}
	var replay []hub.Event
	for from := after; from < upto; {
		evs, err := h.src.EventsAfter(ctx, a, from, 500)
		if err != nil {
			s.Close()
			return nil, nil, 0, err
		}
		for _, e := range evs {
			if e.ID <= upto {
				replay = append(replay, e)
			}
		}
		if len(evs) < 500 || evs[len(evs)-1].ID >= upto {
			break
		}
		from = evs[len(evs)-1].ID
	}
	s.mu.Lock()
	kept := s.backlog[:0]
	for _, e := range s.backlog {
		if e.ID == 0 || e.ID > upto {
			kept = append(kept, e)
		}
	}
	s.backlog = kept
	s.mu.Unlock()
	return s, replay, upto, nil
}

func (h *Hub) register(ctx context.Context, s *Sub) (*tenant, error) {
	tid := s.Agent.TenantID
	h.mu.Lock()
	t, ok := h.tenants[tid]
	h.mu.Unlock()
	if !ok {
		last, err := h.src.LastEventID(ctx, tid)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		if t, ok = h.tenants[tid]; !ok {
			t = &tenant{id: tid, next: last + 1, pending: map[int64]hub.Event{}, subs: map[*Sub]struct{}{}}
			h.tenants[tid] = t
		}
		h.mu.Unlock()
	}
	h.mu.Lock()
	t.subs[s] = struct{}{}
	h.mu.Unlock()
	h.conns(1)
	return t, nil
}

// Live ends the replay phase: it returns the events that arrived during the
// replay; after it, events flow on C.
func (s *Sub) Live() []hub.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.backlog
	s.backlog, s.replaying = nil, false
	return b
}

func (s *Sub) push(e hub.Event) {
	if !e.VisibleTo(s.Agent) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.replaying {
		if len(s.backlog) < 10*SubBuffer {
			s.backlog = append(s.backlog, e)
		} else if e.ID != 0 {
			s.closeLocked()
		}
		return
	}
	if e.ID == 0 && len(s.C) >= cap(s.C)/2 {
		return // ephemeral noise never takes the room stored events need
	}
	select {
	case s.C <- e:
	default:
		s.closeLocked() // too slow: drop it; the client resumes from its last id
	}
}

// visitor is one visitor's state in a visitor.updated event.
type visitor struct {
	id  string
	raw json.RawMessage
}

// visitorsOf reads the visitors a visitor.updated event carries:
// {"visitors": [...]} (or {"visitor": {...}}), each with its "id".
func visitorsOf(e *hub.Event) []visitor {
	var p struct {
		Visitors []json.RawMessage `json:"visitors"`
		Visitor  json.RawMessage   `json:"visitor"`
	}
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	if len(p.Visitors) == 0 && len(p.Visitor) > 0 {
		p.Visitors = []json.RawMessage{p.Visitor}
	}
	out := make([]visitor, 0, len(p.Visitors))
	for _, raw := range p.Visitors {
		var v struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &v) == nil && v.ID != "" {
			out = append(out, visitor{v.ID, raw})
		}
	}
	return out
}

// pushVisitors queues visitor states on the visitor lane: a visitor
// already waiting keeps its place and takes the newer state.
func (s *Sub) pushVisitors(e *hub.Event, vs []visitor) {
	if !e.VisibleTo(s.Agent) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.vis == nil {
		s.vis = map[string]json.RawMessage{}
	}
	for _, v := range vs {
		if _, ok := s.vis[v.id]; ok {
			s.vis[v.id] = v.raw
		} else if len(s.vis) < MaxPendingVisitors {
			s.vis[v.id] = v.raw
			s.visOrder = append(s.visOrder, v.id)
		} else {
			s.visLost++
		}
	}
	s.signalVisitorsLocked()
}

func (s *Sub) signalVisitorsLocked() {
	if len(s.visOrder) == 0 {
		return
	}
	select {
	case s.Visitors <- struct{}{}:
	default: // already signalled
	}
}

// TakeVisitors takes up to max waiting visitor states (oldest first),
// signalling Visitors again when more wait.
func (s *Sub) TakeVisitors(max int) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(max, len(s.visOrder))
	out := make([]json.RawMessage, n)
	for i, id := range s.visOrder[:n] {
		out[i] = s.vis[id]
		delete(s.vis, id)
	}
	if n == len(s.visOrder) {
		s.visOrder = nil // let the backing array go
	} else {
		s.visOrder = s.visOrder[n:]
	}
	s.signalVisitorsLocked()
	return out
}

// VisitorsLost is how many visitor updates this subscriber dropped because
// MaxPendingVisitors were already waiting.
func (s *Sub) VisitorsLost() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.visLost
}

func (s *Sub) closeLocked() {
	if !s.closed {
		s.closed = true
		close(s.Done)
	}
}

// Close unregisters the subscriber.
func (s *Sub) Close() {
	s.mu.Lock()
	s.closeLocked()
	s.mu.Unlock()
	h := s.h
	h.mu.Lock()
	if t, ok := h.tenants[s.Agent.TenantID]; ok {
		if _, had := t.subs[s]; had {
			delete(t.subs, s)
			h.conns(-1)
		}
		if len(t.subs) == 0 {
			delete(h.tenants, t.id)
		}
	}
	h.mu.Unlock()
}

// Publish feeds events from the broadcast (any order, maybe repeated).
// Ephemeral events (id 0, e.g. typing) pass straight through; visitor
// updates go to the subscribers' visitor lanes.
func (h *Hub) Publish(evs []hub.Event) {
	var vis map[int][]visitor // parsed before taking the lock
	for i := range evs {
		if evs[i].Type == hub.EvVisitorUpdated && evs[i].ID == 0 && h.listens(evs[i].TenantID) {
			if vis == nil {
				vis = map[int][]visitor{}
			}
			vis[i] = visitorsOf(&evs[i])
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, e := range evs {
		t, ok := h.tenants[e.TenantID]
		if !ok {
			continue // nobody here listens to this tenant
		}
		if vs, ok := vis[i]; ok {
			for s := range t.subs {
				s.pushVisitors(&evs[i], vs)
			}
			continue
		}
		if e.ID == 0 {
			t.deliver(e)
			continue
		}
		if e.ID >= t.next {
			t.pending[e.ID] = e
		}
		t.flush()
	}
}

// listens reports whether a tenant has subscribers here.
func (h *Hub) listens(tenantID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.tenants[tenantID]
	return ok
}

func (t *tenant) deliver(e hub.Event) {
	for s := range t.subs {
		s.push(e)
	}
}

func (t *tenant) flush() {
	for {
		e, ok := t.pending[t.next]
		if !ok {
			break
		}
		delete(t.pending, t.next)
		t.deliver(e)
		t.next++
	}
	if len(t.pending) == 0 {
		t.gapSince = time.Time{}
	} else if t.gapSince.IsZero() {
		t.gapSince = time.Now()
	}
}

// Run fills gaps from the database until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	tick := time.NewTicker(GapWait / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			h.fillGaps(ctx)
		}
	}
}

type gap struct {
	tenant   string
	from, to int64
	age      time.Duration
}

func (h *Hub) fillGaps(ctx context.Context) {
	var gaps []gap
	var tails []string
	h.mu.Lock()
	for _, t := range h.tenants {
		if t.gapSince.IsZero() && time.Since(t.lastCheck) >= TailCheck {
			t.lastCheck = time.Now()
			tails = append(tails, t.id)
		}
		if t.gapSince.IsZero() || time.Since(t.gapSince) < GapWait {
			continue
		}
		lowest := int64(-1)
		for id := range t.pending {
			if lowest < 0 || id < lowest {
				lowest = id
			}
		}
		gaps = append(gaps, gap{t.id, t.next, lowest - 1, time.Since(t.gapSince)})
	}
	h.mu.Unlock()
	gaps = append(gaps, h.tailGaps(ctx, tails)...)
	for _, g := range gaps {
		evs, err := h.src.EventsRange(ctx, g.tenant, g.from, g.to)
		if err != nil {
			h.log.Warn("fill event gap", "tenant", g.tenant, "err", err)
			continue
		}
		h.Publish(evs)
		if len(evs) == 0 && g.age > 10*time.Second {
			h.skip(g)
		}
	}
}

// tailGaps finds committed events past what the streams delivered.
func (h *Hub) tailGaps(ctx context.Context, tenants []string) []gap {
	var gaps []gap
	for _, id := range tenants {
		last, err := h.src.LastEventID(ctx, id)
		if err != nil {
			h.log.Warn("tail check", "tenant", id, "err", err)
			continue
		}
		h.mu.Lock()
		if t, ok := h.tenants[id]; ok && last >= t.next {
			gaps = append(gaps, gap{tenant: id, from: t.next, to: last})
		}
		h.mu.Unlock()
	}
	return gaps
}

// skip gives up on ids the database does not have after a long wait, so
// one lost id cannot stall a tenant's stream. It should never happen.
func (h *Hub) skip(g gap) {
	h.log.Error("event ids missing from the database; skipping", "tenant", g.tenant, "from", g.from, "to", g.to)
	h.mu.Lock()
	if t, ok := h.tenants[g.tenant]; ok && t.next == g.from {
		t.next = g.to + 1
		t.flush()
	}
	h.mu.Unlock()
}

// TenantNext returns the next expected id of a tenant stream (tests).
func (h *Hub) TenantNext(tenantID string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.tenants[tenantID]; ok {
		return t.next
	}
	return 0
}
