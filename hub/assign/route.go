package assign

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign/claims"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Route routes one queued conversation (see RouteMany); announce: it was
// just opened or reopened, so conversation.queued is emitted if it waits.
func (s *Router) Route(ctx context.Context, convID string, announce bool) (Decision, error) {
	c, err := s.convs.ByID(ctx, convID)
	if err != nil {
		return Decision{ConversationID: convID, Outcome: Skipped}, err
	}
	ds, _, err := s.RouteMany(ctx, c.TenantID, []Job{{ConversationID: convID, Announce: announce}}, false)
	return ds[0], err
}

// Job is a conversation to route.
type Job struct {
	ConversationID string
	// Announce: the conversation was just opened or reopened; if it waits,
	// conversation.queued is emitted.
	Announce bool
}

// RouteMany routes queued conversations of one tenant along their plans
// (routing.Decide), oldest first, in as few transactions as fit (see
// passSize): each goes to the best eligible agent of the first target that
// has one; when nobody is free it waits in its target's queue (FIFO: it is
// not assigned while an older conversation waits there); when nobody can
// answer at all it goes offline and becomes a ticket. With drain, a queue
// where one conversation had to wait takes nobody behind it in this pass
// (blocked lists those queues). Safe to call from several processes at
// once: the agent's capacity, the round-robin turn and the conversation's
// status are claimed with conditional updates. Decisions are in the order
// of jobs.
func (s *Router) RouteMany(ctx context.Context, tenantID string, jobs []Job, drain bool) ([]Decision, map[string]bool, error) {
	out := make([]Decision, len(jobs))
	for i, j := range jobs {
		out[i] = Decision{ConversationID: j.ConversationID, Outcome: Skipped}
	}
	if len(jobs) == 0 {
		return out, nil, nil
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ConversationID
	}
	convs, err := s.convs.Many(ctx, ids)
	if err != nil {
		return out, nil, err
	}
	var order []int
	var contacts []string
	for i, id := range ids {
		if c, ok := convs[id]; ok && c.TenantID == tenantID && c.Status == hub.ConvQueued {
			order = append(order, i)
			contacts = append(contacts, c.ContactID)
		}
	}
	if len(order) == 0 {
		return out, nil, nil
	}
	sort.SliceStable(order, func(a, b int) bool { return waitsLonger(convs[ids[order[a]]], convs[ids[order[b]]]) })
	rows, err := s.routeStates(ctx, ids)
	if err != nil {
		return out, nil, err
	}
	t, err := s.newTurn(ctx, tenantID, contacts)
	if err != nil {
		return out, nil, err
	}
	p := pass{s: s, t: t, jobs: jobs, ids: ids, rows: rows, drain: drain, out: out}
	size := s.passSize(queuedAt(convs[ids[order[0]]]))
	for start := 0; start < len(order); start += size {
		part := order[start:min(start+size, len(order))]
		careful := false
		for attempt := 0; ; attempt++ {
			err = s.k.Write(ctx, func(tx *store.Tx) error { return p.route(ctx, tx, part, careful) })
			if errors.Is(err, store.ErrConflict) && !careful {
				careful = true // again, each conversation in its savepoint
				continue
			}
			if !errors.Is(err, identity.ErrStaleTurn) || attempt == 20 {
				break
			}
		}
		if err != nil {
			return out, t.blocked, err
		}
		t.committed()
	}
	return out, t.blocked, nil
}

// passSize is how many conversations one routing transaction takes: a turn's
// burst (up to 64) on PostgreSQL, where one costs ~15 statements whatever its
// size; on SQLite, where it holds the writer the inbox waits for, 16 unless
// the oldest has waited over 250 ms (fewer commits clear a backlog sooner).
func (s *Router) passSize(oldest time.Time) int {
	if s.k.Postgres || s.k.Now().Sub(oldest) > 250*time.Millisecond {
		return 64
	}
	return 16
}

// pass is a RouteMany call's state across its transactions.
type pass struct {
	s     *Router
	t     *turn
	jobs  []Job
	ids   []string
	rows  map[string]*routeRow
	drain bool
	out   []Decision
}

// route routes part (indexes of jobs, oldest first) in tx: the
// conversations are locked up front in id order (as the inbox locks them),
// skipping those another process is routing, then each is routed as a part
// of the transaction (store.Tx.Part): careful, each in its own savepoint,
// so a conflict with another process gives up that conversation alone;
// else without (two round trips fewer each), the whole transaction failing
// with store.ErrConflict, after which RouteMany runs it careful.
func (p *pass) route(ctx context.Context, tx *store.Tx, part []int, careful bool) error {
	s, t := p.s, p.t
	t.reset()
	t.batch = s.k.Postgres && !careful
	var lock []string
	for _, i := range part {
		p.out[i] = Decision{ConversationID: p.ids[i], Outcome: Skipped}
		lock = append(lock, p.ids[i])
	}
	locked, err := s.convs.LockFree(ctx, tx, lock)
	if err != nil {
		return err
	}
	// The plans of the part's new conversations are saved together.
	var todo []*hub.Conversation
	for _, i := range part {
		if c := locked[p.ids[i]]; c != nil && c.Status == hub.ConvQueued {
			todo = append(todo, c)
		}
	}
	planned, err := t.ensurePlans(ctx, tx, todo, p.rows)
	if err != nil {
		return err
	}
	for _, i := range part {
		if r := p.rows[p.ids[i]]; p.drain && r != nil && r.QueueKey != "" && t.blocked[r.QueueKey] {
			t.clear = map[string]bool{} // it still waits, longer than those after it
			continue                    // an older conversation waits for this queue's seats
		}
		c := locked[p.ids[i]]
		if c == nil {
			t.clear = map[string]bool{} // another process routes it: it may still wait
			continue
		}
		if c.Status != hub.ConvQueued {
			continue
		}
		mark := t.mark()
		err := tx.Part(ctx, careful, func() error {
			var err error
			p.out[i], err = s.routeIn(ctx, tx, t, c, copyRow(planned[c.ID]), p.jobs[i].Announce)
			return err
		})
		if errors.Is(err, store.ErrRolledBack) {
			// Another process holds rows this one needs (a cluster routing
			// the same tenant): it waits for the next pass.
			p.out[i] = Decision{ConversationID: p.ids[i], Outcome: Skipped, Again: true}
			t.undoTo(mark)
			continue
		}
		if err != nil {
			return err
		}
	}
	return s.record(ctx, tx, t.taken)
}

// waitsLonger orders conversations by how long they have waited.
func waitsLonger(a, b hub.Conversation) bool {
	qa, qb := queuedAt(a), queuedAt(b)
	if !qa.Equal(qb) {
		return qa.Before(qb)
	}
	return a.ID < b.ID
}

func queuedAt(c hub.Conversation) time.Time {
	if c.QueuedAt != nil {
		return *c.QueuedAt
	}
	return c.CreatedAt
}

// copyRow keeps a transaction attempt from changing the row a retry reads.
func copyRow(r *routeRow) *routeRow {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// routeIn decides and applies one conversation's routing in tx.
func (s *Router) routeIn(ctx context.Context, tx *store.Tx, t *turn, c *hub.Conversation, rs *routeRow, announce bool) (Decision, error) {
	d := Decision{ConversationID: c.ID, Outcome: Skipped}
	for attempt := 0; ; attempt++ {
		ts, err := t.targets(ctx, tx, c, rs)
		if err != nil {
			return d, err
		}
		if t.refreshFull(ts[rs.Stage:]) {
			if ts, err = t.targets(ctx, tx, c, rs); err != nil {
				return d, err
			}
		}
		dec := routing.Decide(rs.Stage, states(ts))
		if dec.Outcome == routing.OutcomeOffline && rs.Stage > 0 {
			// It overflowed to targets nobody can serve now: an earlier
			// target that can still take it is better than a ticket.
			if d0 := routing.Decide(0, states(ts)); d0.Outcome != routing.OutcomeOffline {
				dec = d0
			}
		}
		switch dec.Outcome {
		case routing.OutcomeOffline:
			return s.goOffline(ctx, tx, c, rs, ts, dec)
		case routing.OutcomeAssign:
			tg := ts[dec.Step]
			older, err := t.olderWaiting(ctx, tx, c, tg.Step.Key())
			if err != nil {
				return d, err
			}
			if older {
				// FIFO: a seat goes to the conversation waiting longest;
				// this one waits its turn (the drain routes the queue
				// oldest first).
				dec.Step, dec.Reason = dec.Home, "waiting behind earlier conversations for "+ts[dec.Home].label()
				break
			}
			stale := false
			for k, cand := range dec.Ranked {
				reason := tg.Explain(cand, dec.Returning && k == 0)
				ok, err := s.claim(ctx, tx, t, c, tg, cand, dec.Step, reason)
				if errors.Is(err, identity.ErrStaleTurn) && attempt < 5 {
					// Another process gave this agent a turn meanwhile; the
					// group's rotation is ours now (its row is locked), so
					// read the turns again and rank again.
					delete(t.cands, tg.Step.Key())
					stale = true
					break
				}
				if err != nil {
					return d, err
				}
				if ok {
					d.Outcome, d.AgentID, d.Reason = Assigned, cand.ID, reason
					return d, nil
				}
			}
			if stale {
				continue
			}
			dec.Step = dec.Home // everyone got full meanwhile
		}
		for _, k := range dec.Tried {
			t.blocked[k] = true
		}
		t.blocked[ts[dec.Step].Step.Key()] = true
		return s.queue(ctx, tx, t, c, rs, ts, dec, announce)
	}
}

// claim takes the agent's seat (and, for round robin, the agent's turn) and
// gives them the locked conversation; false when the agent filled up or
// left meanwhile. identity.ErrStaleTurn: another process took this turn
// (the seat is given back; rank again).
func (s *Router) claim(ctx context.Context, tx *store.Tx, t *turn, c *hub.Conversation, tg target, cand routing.Candidate, stage int, reason string) (bool, error) {
	rr := tg.Policy == routing.RoundRobin && tg.Step.Kind == routing.KindGroup
	later := t.batch && !rr // the seat as the turn knows it, written with the others (turn.flush)
	if !later {
		if err := identity.ClaimSeat(ctx, tx, c.TenantID, cand.ID, identity.Routed); err != nil {
			if errors.Is(err, identity.ErrNoSeat) {
				t.full[cand.ID] = true
				return false, nil
			}
			return false, err
		}
	}
	var group, n = "", int64(0)
	if rr {
		var err error
		n, err = identity.TakeTurn(ctx, tx, tg.Step.ID, cand)
		if errors.Is(err, identity.ErrStaleTurn) {
			return false, errors.Join(identity.ReleaseSeat(ctx, tx, cand.ID), err)
		}
		if err != nil {
			return false, err
		}
		group = tg.Step.ID
	}
	t.claimed(cand.ID, group, n)
	var gid *string
	if tg.Step.Kind == routing.KindGroup {
		gid = &tg.Step.ID
	}
	var take conversations.Taking
	if later {
		take = conversations.TakeLater(c, cand.ID, gid, tx.Now())
	} else if err := conversations.Take(ctx, tx, c, cand.ID, gid); err != nil {
		return false, err // the conversation is locked: it cannot have moved
	}
	policy := string(tg.Policy)
	if tg.Step.Kind == routing.KindAgent {
		policy = "direct"
	}
	a := assignment{how: "auto", stage: stage, key: tg.Step.Key(), log: logEntry{
		Outcome: "assigned", AgentID: cand.ID, GroupID: deref(gid), RuleID: tg.Step.RuleID, Policy: policy, Reason: reason}}
	// Recorded with the transaction's other assignments, before it commits.
	t.taken = append(t.taken, taken{c, a})
	if later {
		t.later.Add(tx, claims.Claim{TenantID: c.TenantID, Take: take, Stage: stage, Key: a.key, Reason: reason})
		return true, nil
	}
	return true, claims.LeftQueue(ctx, tx, c.ID, stage, a.key, reason)
}

// target is a plan step with its loaded state and group settings.
type target struct {
	routing.TargetState
	settings identity.GroupSettings
}

func (t target) label() string {
	if t.Step.Kind == routing.KindAll {
		return "all agents"
	}
	return t.Step.Kind + " " + t.Name
}

func (t target) groupID() string {
	if t.Step.Kind == routing.KindGroup {
		return t.Step.ID
	}
	return ""
}

func states(ts []target) []routing.TargetState {
	out := make([]routing.TargetState, len(ts))
	for i, t := range ts {
		out[i] = t.TargetState
	}
	return out
}

// assignment is how a conversation reached its agent.
type assignment struct {
	how   string // auto, pickup, transfer
	stage int
	key   string
	log   logEntry
	extra map[string]any // added to the assigned event
}

// timerRef ties a timer to the state it was armed in.
func timerRef(parts ...any) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "|"
		}
		s += fmt.Sprint(p)
	}
	return s
}
