package visitors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Agents' live visitor lists follow visitor.updated events. A visitor's
// state changes in bursts (ten thousand visitors arriving at once, a
// visitor's tabs opening and closing), so changes are not told one by one:
// the visitors whose state changed are collected for AnnounceEvery, then
// read once and told in a few events per tenant, each carrying up to
// announceChunk visitors as they are at that moment (a visitor changed five
// times in the window is told once, in its latest state). The payload is
// {"visitors": [...]}, plus "visitor" when it carries exactly one.
const (
	// AnnounceEvery is how long changed visitors gather before a round.
	AnnounceEvery = 250 * time.Millisecond
	// announceChunk is how many visitors one event carries.
	announceChunk = 100
	// announceMax is how many visitors of one tenant a round tells; the
	// rest wait for the next round (at most 1,600 a second per tenant),
	// so an arrival storm reaches agents as a bounded trickle.
	announceMax = 400
)

// announcer holds the visitors waiting to be told.
type announcer struct {
	mu        sync.Mutex
	dirty     map[string]map[string]struct{} // tenant → visitor ids
	scheduled bool
	stopped   bool
	round     sync.Mutex // one round at a time: a newer state never goes out before an older one
}

// touch marks a visitor as changed; a round within AnnounceEvery tells the
// tenant's agents.
func (s *Store) touch(tenantID, id string) {
	a := &s.ann
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dirty == nil {
		a.dirty = map[string]map[string]struct{}{}
	}
	set := a.dirty[tenantID]
	if set == nil {
		set = map[string]struct{}{}
		a.dirty[tenantID] = set
	}
	set[id] = struct{}{}
	s.scheduleLocked()
}

func (s *Store) scheduleLocked() {
	a := &s.ann
	if !a.scheduled && !a.stopped {
		a.scheduled = true
		time.AfterFunc(AnnounceEvery, s.tick)
	}
}

func (s *Store) tick() {
	s.ann.mu.Lock()
	stopped := s.ann.stopped
	s.ann.mu.Unlock()
	if stopped {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.announceRound(ctx, announceMax); err != nil {
		s.k.Log().Warn("announce visitors; they are told again in the next round", "err", err)
	}
}

// Flush tells agents now about every visitor waiting to be told (tests,
// and a stopping process before its database closes).
func (s *Store) Flush(ctx context.Context) error {
	for {
		more, err := s.announceRound(ctx, 0)
		if err != nil || !more {
			return err
		}
	}
}

// Stop ends the rounds (waiting for one under way); changes after it are
// not told. The web connector stops its store when it stops.
func (s *Store) Stop() {
	s.ann.mu.Lock()
	s.ann.stopped = true
	s.ann.mu.Unlock()
	s.ann.round.Lock() // wait for a round under way
	defer s.ann.round.Unlock()
}

// announceRound tells up to max waiting visitors per tenant (0: all). It
// reports whether some still wait (they have their own round scheduled).
func (s *Store) announceRound(ctx context.Context, max int) (bool, error) {
	a := &s.ann
	a.round.Lock()
	defer a.round.Unlock()
	a.mu.Lock()
	take := map[string][]string{}
	for tid, set := range a.dirty {
		for id := range set {
			if max > 0 && len(take[tid]) >= max {
				break
			}
			take[tid] = append(take[tid], id)
			delete(set, id)
		}
		if len(set) == 0 {
			delete(a.dirty, tid)
		}
	}
	a.scheduled = false
	more := len(a.dirty) > 0
	if more {
		s.scheduleLocked()
	}
	a.mu.Unlock()
	var errs []error
	for tid, ids := range take {
		slices.Sort(ids)
		for chunk := range slices.Chunk(ids, announceChunk) {
			if err := s.announce(ctx, tid, chunk); err != nil {
				errs = append(errs, err)
				for _, id := range chunk {
					s.touch(tid, id)
				}
			}
		}
	}
	return more, errors.Join(errs...)
}

var announceSelect = visitorSelect + ` WHERE v.tenant_id = ? AND v.id IN (` + store.Placeholders(announceChunk) + `)`

// announce reads some of a tenant's visitors with their state and tells
// the tenant's agents in one event.
func (s *Store) announce(ctx context.Context, tenantID string, ids []string) error {
	// Always announceChunk ids (padded with "", no visitor's id), so the
	// statement has one shape and is prepared once.
	args := make([]any, 0, announceChunk+1)
	args = append(args, tenantID)
	for i := range announceChunk {
		id := ""
		if i < len(ids) {
			id = ids[i]
		}
		args = append(args, id)
	}
	var vs []Visitor
	if err := s.k.Select(ctx, &vs, announceSelect, args...); err != nil {
		return fmt.Errorf("read visitors to announce: %w", err)
	}
	if len(vs) == 0 {
		return nil
	}
	if err := s.states(ctx, vs); err != nil {
		return fmt.Errorf("visitor states: %w", err)
	}
	p := map[string]any{"visitors": vs}
	if len(vs) == 1 {
		p["visitor"] = &vs[0] // the single-visitor shape of earlier versions
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode visitors: %w", err)
	}
	s.k.Announce(hub.Event{TenantID: tenantID, Type: hub.EvVisitorUpdated, Payload: payload})
	return nil
}
