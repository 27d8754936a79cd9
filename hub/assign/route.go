package assign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Route assigns a queued conversation along its plan (routing.Decide): to
// the best eligible agent of the first target that has one; when nobody is
// free it waits in its target's queue; when nobody can answer at all it goes
// offline and becomes a ticket. Safe to call from several processes at once:
// the agent's capacity, the round-robin turn and the conversation's status
// are claimed with conditional updates in one transaction.
func (s *Router) Route(ctx context.Context, convID string, announce bool) (Decision, error) {
	for attempt := 0; ; attempt++ {
		d, err := s.route(ctx, convID, announce)
		if !errors.Is(err, identity.ErrStaleTurn) || attempt == 20 {
			return d, err
		}
	}
}

func (s *Router) route(ctx context.Context, convID string, announce bool) (Decision, error) {
	d := Decision{ConversationID: convID, Outcome: Skipped}
	c, err := s.convs.ByID(ctx, convID)
	if err != nil || c.Status != hub.ConvQueued {
		return d, err
	}
	rs, err := s.routeState(ctx, c)
	if err != nil {
		return d, err
	}
	ts, err := s.loadTargets(ctx, c, rs)
	if err != nil {
		return d, err
	}
	dec := routing.Decide(rs.Stage, states(ts))
	if dec.Outcome == routing.OutcomeOffline && rs.Stage > 0 {
		// It overflowed to targets nobody can serve now: an earlier target
		// that can still take it is better than a ticket.
		if d0 := routing.Decide(0, states(ts)); d0.Outcome != routing.OutcomeOffline {
			dec = d0
		}
	}
	switch dec.Outcome {
	case routing.OutcomeOffline:
		return s.goOffline(ctx, c, rs, ts, dec)
	case routing.OutcomeAssign:
		t := ts[dec.Step]
		older, err := s.olderWaiting(ctx, c, t.Step.Key())
		if err != nil {
			return d, err
		}
		if older {
			// FIFO: a seat goes to the conversation waiting longest; this
			// one waits its turn (the drain routes the queue oldest first).
			dec.Step, dec.Reason = dec.Home, "waiting behind earlier conversations for "+ts[dec.Home].label()
			break
		}
		for k, cand := range dec.Ranked {
			reason := t.Explain(cand, dec.Returning && k == 0)
			err := s.tryAssign(ctx, c, t, cand, dec.Step, reason)
			switch {
			case errors.Is(err, errFull):
				continue
			case errors.Is(err, conversations.ErrMoved):
				return d, nil
			case err != nil:
				return d, err
			}
			d.Outcome, d.AgentID, d.Reason = Assigned, cand.ID, reason
			return d, nil
		}
		dec.Step = dec.Home // everyone got full meanwhile
	}
	return s.queue(ctx, c, rs, ts, dec, announce)
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

// loadTargets loads every step of the plan.
func (s *Router) loadTargets(ctx context.Context, c *hub.Conversation, rs *routeRow) ([]target, error) {
	groups, err := s.ids.Groups.Settings(ctx, c.TenantID)
	if err != nil {
		return nil, err
	}
	tz := s.ids.Tenants.Timezone(ctx, c.TenantID)
	now := s.now()
	hist, err := s.lastAgent(ctx, c.ContactID)
	if err != nil {
		return nil, err
	}
	ts := make([]target, len(rs.plan))
	var today map[string]int
	for i, step := range rs.plan {
		t := target{TargetState: routing.TargetState{Step: step, Policy: routing.Load, Open: true, Hours: "always open"},
			settings: identity.DefaultGroupSettings()}
		switch step.Kind {
		case routing.KindGroup:
			g, ok := groups[step.ID]
			if !ok {
				t.Name, t.Open, t.Hours = step.ID+" (deleted)", false, "deleted"
				ts[i] = t
				continue
			}
			t.Name, t.settings, t.Policy = g.Name, g.Settings, g.Settings.Policy
			t.Open, t.Hours = g.Settings.Hours.Open(now, tz), g.Settings.Hours.String()
		case routing.KindAgent:
			t.Name = step.ID
		}
		if t.Cands, err = s.ids.Agents.Candidates(ctx, c.TenantID, step); err != nil {
			return nil, err
		}
		if step.Kind == routing.KindAgent && len(t.Cands) == 1 {
			t.Name = t.Cands[0].Name
		}
		if t.Policy == routing.DailyBalance {
			if today == nil {
				if today, err = s.acceptedSince(ctx, c.TenantID, routing.StartOfDay(now, tz)); err != nil {
					return nil, err
				}
			}
			for k := range t.Cands {
				t.Cands[k].Today = today[t.Cands[k].ID]
			}
		}
		if hist != nil && t.settings.ReturningFirst && hist.At.After(now.Add(-time.Duration(t.settings.ReturningDays)*24*time.Hour)) {
			t.Returning = hist.AgentID
		}
		ts[i] = t
	}
	return ts, nil
}

type served struct {
	AgentID string    `db:"agent_id"`
	At      time.Time `db:"created_at"`
}

// lastAgent is who served the contact last (nil: nobody yet).
func (s *Router) lastAgent(ctx context.Context, contactID string) (*served, error) {
	var rows []served
	q := `SELECT agent_id, created_at FROM assignments WHERE contact_id = ? ORDER BY created_at DESC LIMIT 1`
	if err := s.k.Select(ctx, &rows, q, contactID); err != nil {
		return nil, fmt.Errorf("last agent: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil //nolint:nilnil // a new customer
	}
	return &rows[0], nil
}

// acceptedSince counts each agent's accepted conversations since t.
func (s *Router) acceptedSince(ctx context.Context, tenantID string, t time.Time) (map[string]int, error) {
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

// tryAssign claims the agent's seat (and, for round robin, the agent's
// turn) and the conversation in one transaction. errFull: the agent filled
// up meanwhile; identity.ErrStaleTurn: another process took this turn
// (re-rank); conversations.ErrMoved: another process routed the
// conversation.
func (s *Router) tryAssign(ctx context.Context, c *hub.Conversation, t target, cand routing.Candidate, stage int, reason string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		if err := identity.ClaimSeat(ctx, tx, c.TenantID, cand.ID, identity.Routed); err != nil {
			if errors.Is(err, identity.ErrNoSeat) {
				return errFull
			}
			return err
		}
		if t.Policy == routing.RoundRobin && t.Step.Kind == routing.KindGroup {
			if err := identity.TakeTurn(ctx, tx, t.Step.ID, cand); err != nil {
				return err
			}
		}
		var gid *string
		if t.Step.Kind == routing.KindGroup {
			gid = &t.Step.ID
		}
		if err := conversations.Take(ctx, tx, c, cand.ID, gid); err != nil {
			return err
		}
		policy := string(t.Policy)
		if t.Step.Kind == routing.KindAgent {
			policy = "direct"
		}
		return s.assigned(ctx, tx, c, assignment{how: "auto", stage: stage, key: t.Step.Key(), log: logEntry{
			Outcome: "assigned", AgentID: cand.ID, GroupID: deref(gid), RuleID: t.Step.RuleID, Policy: policy, Reason: reason}})
	})
}

// assignment is how a conversation reached its agent.
type assignment struct {
	how   string // auto, pickup, transfer
	stage int
	key   string
	log   logEntry
	extra map[string]any // added to the assigned event
}

// assigned records an assignment (history for returning customers and
// daily balance, the routing state, the explanation), takes the
// conversation out of the queue, arms the not-answered flag and "still
// checking", and tells the agent.
func (s *Router) assigned(ctx context.Context, tx *store.Tx, c *hub.Conversation, a assignment) error {
	now := *c.AssignedAt
	if err := s.recordAssignment(ctx, tx, c, a.how, now); err != nil {
		return err
	}
	const up = `UPDATE conversation_routing SET stage = ?, queue_key = ?, announced_position = 0, last_reason = ?,
		waiting = FALSE WHERE conversation_id = ?`
	if _, err := tx.Exec(ctx, up, a.stage, a.key, a.log.Reason, c.ID); err != nil {
		return fmt.Errorf("update routing state: %w", err)
	}
	if err := s.logRouting(ctx, tx, c, a.log); err != nil {
		return err
	}
	if err := s.armUnanswered(ctx, tx, c); err != nil {
		return err
	}
	if err := s.armStillChecking(ctx, tx, c); err != nil {
		return err
	}
	extra := map[string]any{"policy": a.log.Policy, "routing": a.log.view(now)}
	for k, v := range a.extra {
		extra[k] = v
	}
	return s.convs.EmitAssigned(ctx, tx, c, extra)
}

// recordAssignment keeps who took the conversation, for returning
// customers and daily balance.
func (s *Router) recordAssignment(ctx context.Context, tx *store.Tx, c *hub.Conversation, how string, at time.Time) error {
	const ins = `INSERT INTO assignments (id, tenant_id, conversation_id, contact_id, agent_id, group_id, how, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ctx, ins, hub.NewID("as"), c.TenantID, c.ID, c.ContactID, *c.AssigneeID, deref(c.GroupID), how, at); err != nil {
		return fmt.Errorf("record assignment: %w", err)
	}
	return nil
}

// armUnanswered arms the not-answered flag for a new assignment.
func (s *Router) armUnanswered(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	ch, err := s.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	if a := s.autos.For(ctx, ch); a.Unanswered.Enabled {
		return automations.Arm(ctx, tx, c, automations.TimerUnanswered, timerRef(deref(c.AssigneeID), c.LastSeq),
			c.AssignedAt.Add(automations.Secs(a.Unanswered.AfterSeconds)))
	}
	return nil
}

// armStillChecking arms "still checking" when a conversation reaches its
// agent: the customer's messages so far wait for an answer.
func (s *Router) armStillChecking(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	ch, err := s.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	if a := s.autos.For(ctx, ch); a.StillChecking.Enabled {
		return automations.Arm(ctx, tx, c, automations.TimerStillChecking, fmt.Sprint(c.LastSeq),
			c.AssignedAt.Add(automations.Secs(a.StillChecking.AfterSeconds)))
	}
	return nil
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
