package assign

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign/claims"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// turn is one routing pass over conversations of one tenant. The tenant's
// routing inputs (groups, time zone, rules, the agents of each plan step,
// who served each customer last) are read once per turn, and the agents'
// loads follow the seats the turn claims, so routing a burst of new
// conversations costs a few reads rather than a dozen per conversation.
// Claims stay conditional updates: a turn's view may be stale (another
// process assigned meanwhile) without ever overfilling an agent.
type turn struct {
	r        *Router
	tenantID string
	now      time.Time
	tz       string
	groups   map[string]identity.Group
	rules    []routing.Rule
	ruled    bool
	cands    map[string][]routing.Candidate // by step key, as loaded (committed state)
	fresh    map[string]bool                // steps read again after finding someone full
	mine     map[string]int                 // agent → seats this turn claimed (not committed yet)
	last     map[string]time.Time           // agent → last assignment made by this turn
	full     map[string]bool                // agents a claim found full, busy or gone
	turns    map[string]map[string]int64    // group → agent → round-robin turn taken by this turn
	served   map[string]*served             // contact → who served them last
	today    map[string]int                 // accepted today (daily balance); nil until needed
	ahead    map[string]queueMark           // queue key → the last conversation this turn queued there
	blocked  map[string]bool                // queue keys with nobody free (a drain stops there)
	// clear are the queue keys where this transaction found nobody waiting
	// longer than the conversation it routed (oldest first) and has queued
	// none since: the next conversation there needs no probe.
	clear    map[string]bool
	undo     []claimUndo     // what the pass claimed, in order
	rotating map[string]bool // round-robin groups whose rotation this transaction locked
	taken    []taken         // assignments of this transaction, recorded before it commits
	batch    bool            // claims are written together (PostgreSQL, a part without savepoints)
	later    claims.Batch    // those not written yet
}

// claimUndo is one seat (and round-robin turn) a pass claimed.
type claimUndo struct {
	agent, group string
	prevTurn     int64 // the turn the pass knew before (0: none)
}

// queueMark is the last conversation a turn placed in a queue and how
// many waited ahead of it, so the next one's place is a short count.
type queueMark struct {
	at    time.Time
	id    string
	ahead int
}

// newTurn reads the tenant's routing inputs.
func (s *Router) newTurn(ctx context.Context, tenantID string, contactIDs []string) (*turn, error) {
	groups, err := s.ids.Groups.Settings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	t := &turn{r: s, tenantID: tenantID, now: s.now(), tz: s.ids.Tenants.Timezone(ctx, tenantID), groups: groups,
		blocked: map[string]bool{}}
	if t.served, err = s.lastAgents(ctx, contactIDs); err != nil {
		return nil, err
	}
	t.reset()
	return t, nil
}

// reset starts a transaction of the pass: what the agents hold is read
// again (committed state, including what earlier transactions of the pass
// claimed), and nothing is claimed yet. The queues found blocked stay so.
func (t *turn) reset() {
	t.cands, t.fresh, t.mine = map[string][]routing.Candidate{}, map[string]bool{}, map[string]int{}
	t.last, t.full = map[string]time.Time{}, map[string]bool{}
	t.turns, t.ahead, t.today = map[string]map[string]int64{}, map[string]queueMark{}, nil
	t.undo, t.taken, t.later = t.undo[:0], t.taken[:0], claims.Batch{}
	t.rotating, t.clear = map[string]bool{}, map[string]bool{}
}

// committed ends a transaction of the pass.
func (t *turn) committed() { t.reset() }

// mark is a point a part of the pass can be undone to (see undoTo).
type mark struct{ undo, taken int }

func (t *turn) mark() mark { return mark{len(t.undo), len(t.taken)} }

// undoTo forgets the seats and turns claimed since m (that part of the
// transaction was rolled back); the agents' committed state is read again.
func (t *turn) undoTo(m mark) {
	t.taken = t.taken[:m.taken]
	for _, u := range slices.Backward(t.undo[m.undo:]) {
		t.mine[u.agent]--
		if u.group != "" {
			if u.prevTurn == 0 {
				delete(t.turns[u.group], u.agent)
			} else {
				t.turns[u.group][u.agent] = u.prevTurn
			}
		}
		if t.today != nil {
			t.today[u.agent]--
		}
	}
	t.undo = t.undo[:m.undo]
	t.cands, t.fresh, t.ahead = map[string][]routing.Candidate{}, map[string]bool{}, map[string]queueMark{}
	t.clear = map[string]bool{}
}

// enabledRules are the tenant's routing rules (read once).
func (t *turn) enabledRules(ctx context.Context) ([]routing.Rule, error) {
	if !t.ruled {
		rs, err := t.r.rules.Enabled(ctx, t.tenantID)
		if err != nil {
			return nil, err
		}
		t.rules, t.ruled = rs, true
	}
	return t.rules, nil
}

// candidates are the agents of a plan step with the loads this turn knows.
func (t *turn) candidates(ctx context.Context, step routing.Step) ([]routing.Candidate, error) {
	key := step.Key()
	cs, ok := t.cands[key]
	if !ok {
		var err error
		if cs, err = t.r.ids.Agents.Candidates(ctx, t.tenantID, step); err != nil {
			return nil, err
		}
		t.cands[key] = cs
	}
	out := make([]routing.Candidate, len(cs))
	copy(out, cs)
	for i := range out {
		c := &out[i]
		c.Current += t.mine[c.ID]
		if at, ok := t.last[c.ID]; ok {
			c.LastAssignedAt = at
		}
		if t.full[c.ID] {
			c.Current = max(c.Current, c.Max)
		}
		if step.Kind == routing.KindGroup {
			if n, ok := t.turns[step.ID][c.ID]; ok {
				c.Turn = n
			}
		}
	}
	return out, nil
}

// refreshFull reads again, once per pass, the steps where an online agent
// looks full: a close since the step was read may have freed a seat (and
// round robin must not pass over the agent whose turn it is).
func (t *turn) refreshFull(ts []target) bool {
	again := false
	for _, tg := range ts {
		key := tg.Step.Key()
		if t.fresh[key] {
			continue
		}
		for _, c := range tg.Cands {
			if c.Status == string(hub.StatusOnline) && !c.Disabled && c.Current >= c.Max {
				delete(t.cands, key)
				t.fresh[key], again = true, true
				for _, c := range tg.Cands {
					delete(t.full, c.ID)
				}
				break
			}
		}
	}
	return again
}

// claimed records a seat this turn took, and the round-robin turn it took
// in group (n; "" when the step is not round robin).
func (t *turn) claimed(agentID, group string, n int64) {
	u := claimUndo{agent: agentID, group: group}
	if group != "" {
		if t.turns[group] == nil {
			t.turns[group] = map[string]int64{}
		}
		u.prevTurn = t.turns[group][agentID]
		t.turns[group][agentID] = n
	}
	t.undo = append(t.undo, u)
	t.mine[agentID]++
	t.last[agentID] = t.now
	if t.today != nil {
		t.today[agentID]++
	}
}

// accepted is each agent's accepted conversations today (daily balance).
func (t *turn) accepted(ctx context.Context) (map[string]int, error) {
	if t.today == nil {
		today, err := t.r.AcceptedSince(ctx, t.tenantID, routing.StartOfDay(t.now, t.tz))
		if err != nil {
			return nil, err
		}
		t.today = today
	}
	return t.today, nil
}

// targets loads every step of a conversation's plan from the turn. In tx
// (nil: only looking), a round-robin group's rotation is locked first, so
// the turns read are the ones this transaction will advance.
func (t *turn) targets(ctx context.Context, tx *store.Tx, c *hub.Conversation, rs *routeRow) ([]target, error) {
	hist := t.served[c.ContactID]
	ts := make([]target, len(rs.plan))
	for i, step := range rs.plan {
		tg := target{TargetState: routing.TargetState{Step: step, Policy: routing.Load, Open: true, Hours: "always open"},
			settings: identity.DefaultGroupSettings()}
		switch step.Kind {
		case routing.KindGroup:
			g, ok := t.groups[step.ID]
			if !ok {
				tg.Name, tg.Open, tg.Hours = step.ID+" (deleted)", false, "deleted"
				ts[i] = tg
				continue
			}
			tg.Name, tg.settings, tg.Policy = g.Name, g.Settings, g.Settings.Policy
			tg.Open, tg.Hours = g.Settings.Hours.Open(t.now, t.tz), g.Settings.Hours.String()
		case routing.KindAgent:
			tg.Name = step.ID
		}
		if tg.Policy == routing.RoundRobin && step.Kind == routing.KindGroup {
			// Whose turn it is follows every assignment, closes included:
			// read the rotation again for each conversation, under the
			// group's rotation lock (held to commit), so another process
			// cannot take a turn between the read and the claim.
			if tx != nil && !t.rotating[step.ID] {
				if err := identity.LockRotation(ctx, tx, step.ID); err != nil {
					return nil, err
				}
				t.rotating[step.ID] = true
			}
			delete(t.cands, step.Key())
		}
		var err error
		if tg.Cands, err = t.candidates(ctx, step); err != nil {
			return nil, err
		}
		if step.Kind == routing.KindAgent && len(tg.Cands) == 1 {
			tg.Name = tg.Cands[0].Name
		}
		if tg.Policy == routing.DailyBalance {
			today, err := t.accepted(ctx)
			if err != nil {
				return nil, err
			}
			for k := range tg.Cands {
				tg.Cands[k].Today = today[tg.Cands[k].ID]
			}
		}
		if hist != nil && tg.settings.ReturningFirst && hist.At.After(t.now.Add(-time.Duration(tg.settings.ReturningDays)*24*time.Hour)) {
			tg.Returning = hist.AgentID
		}
		ts[i] = tg
	}
	return ts, nil
}

// place counts who waits ahead of c in queue key (c queued now or
// earlier): the first time with one indexed count, then from the last
// conversation this turn placed there.
func (t *turn) place(ctx context.Context, tx *store.Tx, c *hub.Conversation, key string) (int, error) {
	at := t.now
	if c.QueuedAt != nil {
		at = *c.QueuedAt
	}
	m, ok := t.ahead[key]
	var n int
	if ok && (at.After(m.at) || (at.Equal(m.at) && c.ID > m.id)) {
		// Those between the last placed one and c, plus the last one.
		q := `SELECT COUNT(*) FROM conversation_routing WHERE tenant_id = ? AND waiting AND queue_key = ?
			AND (queued_at > ? OR (queued_at = ? AND conversation_id > ?))
			AND (queued_at < ? OR (queued_at = ? AND conversation_id < ?))`
		if err := tx.Get(ctx, &n, q, c.TenantID, key, m.at, m.at, m.id, at, at, c.ID); err != nil {
			return 0, fmt.Errorf("queue position: %w", err)
		}
		n += m.ahead + 1
	} else {
		var err error
		if n, err = ahead(ctx, tx, c, key, t.now); err != nil {
			return 0, err
		}
	}
	t.ahead[key] = queueMark{at: at, id: c.ID, ahead: n}
	return n, nil
}

type served struct {
	ContactID string    `db:"contact_id"`
	AgentID   string    `db:"agent_id"`
	At        time.Time `db:"created_at"`
}

// lastAgents is who served each contact last (absent: nobody yet).
func (s *Router) lastAgents(ctx context.Context, contactIDs []string) (map[string]*served, error) {
	out := map[string]*served{}
	if len(contactIDs) == 0 {
		return out, nil
	}
	var rows []served
	q := `SELECT contact_id, agent_id, created_at FROM assignments WHERE contact_id IN (?)`
	if err := s.k.SelectIn(ctx, &rows, q, contactIDs); err != nil {
		return nil, fmt.Errorf("last agents: %w", err)
	}
	for i := range rows {
		r := &rows[i]
		if p := out[r.ContactID]; p == nil || r.At.After(p.At) {
			out[r.ContactID] = r
		}
	}
	return out, nil
}

// AcceptedSince counts each agent's accepted conversations since t.
func (s *Router) AcceptedSince(ctx context.Context, tenantID string, t time.Time) (map[string]int, error) {
	var rows []struct {
		AgentID string `db:"agent_id"`
		N       int    `db:"n"`
	}
	q := `SELECT agent_id, COUNT(*) AS n FROM assignments WHERE tenant_id = ? AND created_at >= ? GROUP BY agent_id`
	if err := s.k.Select(ctx, &rows, q, tenantID, t); err != nil {
		return nil, fmt.Errorf("accepted today: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.AgentID] = r.N
	}
	return out, nil
}
