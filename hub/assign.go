package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
	"github.com/kefu-hub/kefu/hub/routing"
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
	errStale = errors.New("round-robin turn taken meanwhile")
)

// candidates loads the agents of one plan step: a group's members (with
// their round-robin turns), one agent, or every agent of the tenant.
func (s *Store) candidates(ctx context.Context, tenantID string, step routing.Step) ([]routing.Candidate, error) {
	type row struct {
		ID       string     `db:"id"`
		Name     string     `db:"name"`
		Status   string     `db:"status"`
		Disabled bool       `db:"disabled"`
		Current  int        `db:"current_chats"`
		Max      int        `db:"max_chats"`
		Last     *time.Time `db:"last_assigned_at"`
		Turn     int64      `db:"rr_turn"`
	}
	q := `SELECT a.id, a.name, a.status, a.disabled, a.current_chats, a.max_chats, a.last_assigned_at, 0 AS rr_turn
		FROM agents a WHERE a.tenant_id = ?`
	args := []any{tenantID}
	switch step.Kind {
	case routing.KindGroup:
		q = `SELECT a.id, a.name, a.status, a.disabled, a.current_chats, a.max_chats, a.last_assigned_at, m.rr_turn
			FROM agents a JOIN group_members m ON m.agent_id = a.id WHERE a.tenant_id = ? AND m.group_id = ?`
		args = append(args, step.ID)
	case routing.KindAgent:
		q += ` AND a.id = ?`
		args = append(args, step.ID)
	}
	var rows []row
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("load candidates: %w", err)
	}
	out := make([]routing.Candidate, len(rows))
	for i, r := range rows {
		out[i] = routing.Candidate{ID: r.ID, Name: r.Name, Status: r.Status, Disabled: r.Disabled, Current: r.Current,
			Max: r.Max, Turn: r.Turn}
		if r.Last != nil {
			out[i].LastAssignedAt = *r.Last
		}
	}
	return out, nil
}

func (s *Store) convByID(ctx context.Context, id string) (*Conversation, error) {
	var c Conversation
	if err := s.db.R.GetContext(ctx, &c, s.db.R.Rebind(`SELECT `+convCols+` FROM conversations WHERE id = ?`), id); err != nil {
		if db.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
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
		if !errors.Is(err, errStale) || attempt == 20 {
			return d, err
		}
	}
}

func (s *Store) route(ctx context.Context, convID string, announce bool) (Decision, error) {
	d := Decision{ConversationID: convID, Outcome: "skipped"}
	c, err := s.convByID(ctx, convID)
	if err != nil || c.Status != ConvQueued {
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
	settings GroupSettings
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
func (s *Store) loadTargets(ctx context.Context, c *Conversation, rs *routeRow) ([]target, error) {
	groups, err := s.groupSettings(ctx, c.TenantID)
	if err != nil {
		return nil, err
	}
	tz := s.tenantTZ(ctx, c.TenantID)
	now := s.now()
	hist, err := s.lastAgent(ctx, c.ContactID)
	if err != nil {
		return nil, err
	}
	ts := make([]target, len(rs.plan))
	var today map[string]int
	for i, step := range rs.plan {
		t := target{TargetState: routing.TargetState{Step: step, Policy: routing.Load, Open: true, Hours: "always open"},
			settings: DefaultGroupSettings()}
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
		if t.Cands, err = s.candidates(ctx, c.TenantID, step); err != nil {
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

func (s *Store) tenantTZ(ctx context.Context, tenantID string) string {
	var tz string
	if err := s.db.R.GetContext(ctx, &tz, s.db.R.Rebind(`SELECT timezone FROM tenants WHERE id = ?`), tenantID); err != nil || tz == "" {
		return "Asia/Shanghai"
	}
	return tz
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
func (s *Store) olderQueued(ctx context.Context, c *Conversation, key string) (bool, error) {
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
// up meanwhile; errStale: another process took this turn (re-rank);
// errTaken: another process routed the conversation.
func (s *Store) tryAssign(ctx context.Context, c *Conversation, rs *routeRow, t target, cand routing.Candidate, stage int, reason string) error {
	return s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
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
			if err := s.takeTurn(ctx, tx, t.Step.ID, cand); err != nil {
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

// takeTurn advances the group's rotation to the agent, unless another
// process already gave this agent a turn since it was read.
func (s *Store) takeTurn(ctx context.Context, tx *sqlx.Tx, groupID string, cand routing.Candidate) error {
	var n int64
	q := tx.Rebind(`UPDATE agent_groups SET rr_counter = rr_counter + 1 WHERE id = ? RETURNING rr_counter`)
	if err := tx.GetContext(ctx, &n, q, groupID); err != nil {
		return fmt.Errorf("advance rotation: %w", err)
	}
	const turn = `UPDATE group_members SET rr_turn = ? WHERE group_id = ? AND agent_id = ? AND rr_turn = ?`
	res, err := tx.ExecContext(ctx, tx.Rebind(turn), n, groupID, cand.ID, cand.Turn)
	if err != nil {
		return fmt.Errorf("take turn: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return errStale
	}
	return nil
}

// take moves the conversation to the agent if it is still in the state
// cond describes; otherwise errTaken rolls everything back.
func (s *Store) take(ctx context.Context, tx *sqlx.Tx, c *Conversation, agentID string, gid *string, now time.Time, cond string) error {
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
	c.Status, c.AssigneeID, c.AssignedAt, c.LastSeq, c.GroupID = ConvOpen, &agentID, &now, rows[0].Seq, rows[0].GID
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
func (s *Store) assigned(ctx context.Context, tx *sqlx.Tx, fx *effects, c *Conversation, a assignment) error {
	now := *c.AssignedAt
	const ins = `INSERT INTO assignments (id, tenant_id, conversation_id, contact_id, agent_id, group_id, how, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(ins), NewID("as"), c.TenantID, c.ID, c.ContactID, *c.AssigneeID,
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
