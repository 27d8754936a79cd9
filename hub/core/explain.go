package core

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// logEntry is one routing decision in a conversation's activity.
type logEntry struct {
	Outcome string // rule, assigned, queued, overflow, offline, queue_full, max_wait, picked_up, transferred
	AgentID string
	GroupID string
	RuleID  string
	Policy  string
	Reason  string
}

// RoutingEvent is a logged routing decision, as the activity shows it.
type RoutingEvent struct {
	Outcome   string    `db:"outcome" json:"outcome"`
	AgentID   string    `db:"agent_id" json:"agent_id,omitempty"`
	GroupID   string    `db:"group_id" json:"group_id,omitempty"`
	RuleID    string    `db:"rule_id" json:"rule_id,omitempty"`
	Policy    string    `db:"policy" json:"policy,omitempty"`
	Reason    string    `db:"reason" json:"reason"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

func (l logEntry) view(at time.Time) RoutingEvent {
	return RoutingEvent{Outcome: l.Outcome, AgentID: l.AgentID, GroupID: l.GroupID, RuleID: l.RuleID, Policy: l.Policy,
		Reason: l.Reason, CreatedAt: at}
}

func (s *Store) logRouting(ctx context.Context, tx *store.Tx, c *hub.Conversation, l logEntry) error {
	const q = `INSERT INTO routing_log (id, tenant_id, conversation_id, outcome, agent_id, group_id, rule_id, policy, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), hub.NewID("rlg"), c.TenantID, c.ID, l.Outcome, l.AgentID, l.GroupID,
		l.RuleID, l.Policy, hub.Truncate(l.Reason, 2000), s.now()); err != nil {
		return fmt.Errorf("log routing: %w", err)
	}
	return nil
}

// RoutingActivity is why a conversation is where it is: where it came
// from, the targets it may go to, its place in the queue and every routing
// decision made about it.
type RoutingActivity struct {
	ConversationID string         `json:"conversation_id"`
	Status         hub.ConvStatus `json:"status"`
	Visit          routing.Visit  `json:"visit"`
	Plan           []routing.Step `json:"plan"`
	Stage          int            `json:"stage"`
	Queue          string         `json:"queue,omitempty"`
	Position       int            `json:"position,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	UnansweredAt   *time.Time     `json:"unanswered_at,omitempty"`
	Events         []RoutingEvent `json:"events"`
}

// Routing returns the routing activity of a conversation the agent may see.
func (s *Store) Routing(ctx context.Context, a *hub.Agent, convID string) (*RoutingActivity, error) {
	c, err := s.Conversation(ctx, a, convID)
	if err != nil {
		return nil, err
	}
	out := &RoutingActivity{ConversationID: c.ID, Status: c.Status, Plan: []routing.Step{}, Events: []RoutingEvent{}}
	var rows []routeRow
	q := s.db.R.Rebind(`SELECT ` + routeCols + ` FROM conversation_routing WHERE conversation_id = ?`)
	if err := s.db.R.SelectContext(ctx, &rows, q, c.ID); err != nil {
		return nil, fmt.Errorf("routing state: %w", err)
	}
	if len(rows) == 1 {
		r := rows[0]
		_ = json.Unmarshal([]byte(r.VisitRaw), &out.Visit)
		_ = json.Unmarshal([]byte(r.PlanRaw), &out.Plan)
		out.Stage, out.Reason, out.UnansweredAt = r.Stage, r.LastReason, r.UnansweredAt
		if c.Status == hub.ConvQueued {
			out.Queue = r.QueueKey
			if out.Position, err = s.position(ctx, s.db.R, c, r.QueueKey); err != nil {
				return nil, err
			}
		}
	}
	lq := `SELECT outcome, agent_id, group_id, rule_id, policy, reason, created_at FROM routing_log
		WHERE conversation_id = ? ORDER BY created_at, id`
	if err := s.db.R.SelectContext(ctx, &out.Events, s.db.R.Rebind(lq), c.ID); err != nil {
		return nil, fmt.Errorf("routing log: %w", err)
	}
	return out, nil
}
