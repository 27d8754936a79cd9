package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Decision is the outcome of routing one conversation.
type Decision struct {
	ConversationID string `json:"conversation_id"`
	Outcome        string `json:"outcome"` // assigned, queued, offline, skipped
	AgentID        string `json:"agent_id,omitempty"`
	TicketID       string `json:"ticket_id,omitempty"`
	Reason         string `json:"reason,omitempty"`
	// tried are the queues that had nobody free for this conversation.
	tried []string
}

var (
	errTaken = errors.New("conversation already routed")
	errFull  = errors.New("agent no longer free")
)

func (s *Store) convByID(ctx context.Context, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	if err := s.db.R.GetContext(ctx, &c, s.db.R.Rebind(`SELECT `+convCols+` FROM conversations WHERE id = ?`), id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	return &c, nil
}

// Route assigns a queued conversation along its plan (routing.Decide): to
// the best eligible agent of the first target that has one; when nobody is
// free it waits in its target's queue; when nobody can answer at all it goes
// offline and becomes a ticket. Safe to call from several processes at once:
// the agent's capacity, the round-robin turn and the conversation's status
// are claimed with conditional updates in one transaction.
func (s *Store) Route(ctx context.Context, convID string, announce bool) (Decision, error) {
	for attempt := 0; ; attempt++ {
		d, err := s.route(ctx, convID, announce)
		if !errors.Is(err, identity.ErrStaleTurn) || attempt == 20 {
			return d, err
		}
	}
}

func (s *Store) route(ctx context.Context, convID string, announce bool) (Decision, error) {
	d := Decision{ConversationID: convID, Outcome: "skipped"}
	c, err := s.convByID(ctx, convID)
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
		older, err := s.olderQueued(ctx, c, t.Step.Key())
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
			err := s.tryAssign(ctx, c, rs, t, cand, dec.Step, t.Explain(cand, dec.Returning && k == 0))
			switch {
			case errors.Is(err, errFull):
				continue
			case errors.Is(err, errTaken):
				return d, nil
			case err != nil:
				return d, err
			}
			d.Outcome, d.AgentID, d.Reason = "assigned", cand.ID, t.Explain(cand, dec.Returning && k == 0)
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

func states(ts []target) []routing.TargetState {
	out := make([]routing.TargetState, len(ts))
	for i, t := range ts {
		out[i] = t.TargetState
	}
	return out
}

// loadTargets loads every step of the plan.
func (s *Store) loadTargets(ctx context.Context, c *hub.Conversation, rs *routeRow) ([]target, error) {
	groups, err := s.id.Groups.Settings(ctx, c.TenantID)
	if err != nil {
		return nil, err
	}
	tz := s.id.Tenants.Timezone(ctx, c.TenantID)
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
		if t.Cands, err = s.id.Agents.Candidates(ctx, c.TenantID, step); err != nil {
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
func (s *Store) lastAgent(ctx context.Context, contactID string) (*served, error) {
	var rows []served
	q := `SELECT agent_id, created_at FROM assignments WHERE contact_id = ? ORDER BY created_at DESC LIMIT 1`
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), contactID); err != nil {
		return nil, fmt.Errorf("last agent: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// acceptedSince counts each agent's accepted conversations since t.
func (s *Store) acceptedSince(ctx context.Context, tenantID string, t time.Time) (map[string]int, error) {
	var rows []struct {
		AgentID string `db:"agent_id"`
		N       int    `db:"n"`
	}
	q := `SELECT agent_id, COUNT(*) AS n FROM assignments WHERE tenant_id = ? AND created_at >= ? GROUP BY agent_id`
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), tenantID, t); err != nil {
		return nil, fmt.Errorf("accepted today: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.AgentID] = r.N
	}
	return out, nil
}

// olderQueued reports whether a conversation waiting in the same queue has
// been waiting longer than c.
func (s *Store) olderQueued(ctx context.Context, c *hub.Conversation, key string) (bool, error) {
	if c.QueuedAt == nil {
		return false, nil
	}
	var n int
	q := `SELECT COUNT(*) FROM conversations c JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE c.tenant_id = ? AND c.status = 'queued' AND r.queue_key = ?
		AND (c.queued_at < ? OR (c.queued_at = ? AND c.id < ?))`
	err := s.db.R.GetContext(ctx, &n, s.db.R.Rebind(q), c.TenantID, key, *c.QueuedAt, *c.QueuedAt, c.ID)
	if err != nil {
		return false, fmt.Errorf("older queued: %w", err)
	}
	return n > 0, nil
}

// tryAssign claims the agent's capacity (and, for round robin, the agent's
// turn) and the conversation in one transaction. errFull: the agent filled
// up meanwhile; identity.ErrStaleTurn: another process took this turn (re-rank);
// errTaken: another process routed the conversation.
func (s *Store) tryAssign(ctx context.Context, c *hub.Conversation, rs *routeRow, t target, cand routing.Candidate, stage int, reason string) error {
	return s.write(ctx, func(tx *store.Tx, fx *effects) error {
		now := s.now()
		const claim = `UPDATE agents SET current_chats = current_chats + 1, last_assigned_at = ?
			WHERE id = ? AND status = 'online' AND NOT disabled AND current_chats < max_chats`
		res, err := tx.ExecContext(ctx, tx.Rebind(claim), now, cand.ID)
		if err != nil {
			return fmt.Errorf("claim agent: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errFull
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
		if err := s.take(ctx, tx, c, cand.ID, gid, now, "status = 'queued'"); err != nil {
			return err
		}
		policy := string(t.Policy)
		if t.Step.Kind == routing.KindAgent {
			policy = "direct"
		}
		return s.assigned(ctx, tx, fx, c, assignment{how: "auto", stage: stage, key: t.Step.Key(), log: logEntry{
			Outcome: "assigned", AgentID: cand.ID, GroupID: deref(gid), RuleID: t.Step.RuleID, Policy: policy, Reason: reason}})
	})
}

// take moves the conversation to the agent if it is still in the state
// cond describes; otherwise errTaken rolls everything back.
func (s *Store) take(ctx context.Context, tx *store.Tx, c *hub.Conversation, agentID string, gid *string, now time.Time, cond string) error {
	q := `UPDATE conversations SET status = 'open', assignee_id = ?, assigned_at = ?, updated_at = ?,
		group_id = COALESCE(?, group_id) WHERE id = ? AND ` + cond + ` RETURNING last_seq, group_id`
	var rows []struct {
		Seq int64   `db:"last_seq"`
		GID *string `db:"group_id"`
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), agentID, now, now, gid, c.ID); err != nil {
		return fmt.Errorf("take conversation: %w", err)
	}
	if len(rows) == 0 {
		return errTaken
	}
	c.Status, c.AssigneeID, c.AssignedAt, c.LastSeq, c.GroupID = hub.ConvOpen, &agentID, &now, rows[0].Seq, rows[0].GID
	return nil
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
// daily balance, the routing state, the explanation), arms the
// not-answered flag and tells the agent.
func (s *Store) assigned(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, a assignment) error {
	now := *c.AssignedAt
	const ins = `INSERT INTO assignments (id, tenant_id, conversation_id, contact_id, agent_id, group_id, how, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(ins), hub.NewID("as"), c.TenantID, c.ID, c.ContactID, *c.AssigneeID,
		deref(c.GroupID), a.how, now); err != nil {
		return fmt.Errorf("record assignment: %w", err)
	}
	const up = `UPDATE conversation_routing SET stage = ?, queue_key = ?, announced_position = 0, last_reason = ?
		WHERE conversation_id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(up), a.stage, a.key, a.log.Reason, c.ID); err != nil {
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
	return s.emitAssigned(ctx, tx, fx, c, extra)
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
