package assign

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign/claims"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// taken is a conversation a transaction gave to an agent, and how.
type taken struct {
	c *hub.Conversation
	a assignment
}

// assigned records one assignment (a pick-up; see record).
func (s *Router) assigned(ctx context.Context, tx *store.Tx, c *hub.Conversation, a assignment) error {
	if err := claims.LeftQueue(ctx, tx, c.ID, a.stage, a.key, a.log.Reason); err != nil {
		return err
	}
	return s.record(ctx, tx, []taken{{c, a}})
}

// record records assignments made in tx (which already left the queue,
// see leftQueue) — the history (returning customers, daily balance), the
// explanation, the not-answered flag and "still checking" — and tells each
// agent, with a few statements for all of them: a routing pass records its
// conversations together before it commits.
func (s *Router) record(ctx context.Context, tx *store.Tx, ts []taken) error {
	if len(ts) == 0 {
		return nil
	}
	var hist, logs []string
	var histArgs, logArgs []any
	var arms []automations.Arming
	for _, x := range ts {
		c, a := x.c, x.a
		hist = append(hist, "(?, ?, ?, ?, ?, ?, ?, ?)")
		histArgs = append(histArgs, hub.NewID("as"), c.TenantID, c.ID, c.ContactID, *c.AssigneeID, deref(c.GroupID), a.how, *c.AssignedAt)
		logs = append(logs, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		logArgs = append(logArgs, hub.NewID("rlg"), c.TenantID, c.ID, a.log.Outcome, a.log.AgentID, a.log.GroupID,
			a.log.RuleID, a.log.Policy, hub.Truncate(a.log.Reason, 2000), tx.Now())
		ch, err := s.chans.Get(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		auto := s.autos.For(ctx, ch)
		if auto.Unanswered.Enabled {
			arms = append(arms, automations.Arming{Conversation: c, Kind: automations.TimerUnanswered,
				Ref: timerRef(deref(c.AssigneeID), c.LastSeq), Due: c.AssignedAt.Add(automations.Secs(auto.Unanswered.AfterSeconds))})
		}
		prof, err := identity.ProfileOf(ctx, tx, *c.AssigneeID)
		if err != nil {
			return err
		}
		if sc := prof.StillCheckingOr(auto.StillChecking); sc.Enabled {
			// The customer's messages so far wait for an answer.
			arms = append(arms, automations.Arming{Conversation: c, Kind: automations.TimerStillChecking,
				Ref: fmt.Sprint(c.LastSeq), Due: c.AssignedAt.Add(automations.Secs(sc.AfterSeconds))})
		}
		if prof.Greeting.Enabled {
			arms = append(arms, automations.Arming{Conversation: c, Kind: automations.TimerAgentGreeting,
				Ref: timerRef(*c.AssigneeID, c.LastSeq), Due: c.AssignedAt.Add(automations.Secs(prof.Greeting.AfterSeconds))})
		}
	}
	q := `INSERT INTO assignments (id, tenant_id, conversation_id, contact_id, agent_id, group_id, how, created_at) VALUES ` +
		strings.Join(hist, ", ")
	if _, err := tx.Exec(ctx, q, histArgs...); err != nil {
		return fmt.Errorf("record assignments: %w", err)
	}
	q = `INSERT INTO routing_log (id, tenant_id, conversation_id, outcome, agent_id, group_id, rule_id, policy, reason, created_at)
		VALUES ` + strings.Join(logs, ", ")
	if _, err := tx.Exec(ctx, q, logArgs...); err != nil {
		return fmt.Errorf("log routing: %w", err)
	}
	if err := automations.ArmAll(ctx, tx, arms); err != nil {
		return err
	}
	as := make([]conversations.Assigned, len(ts))
	for i, x := range ts {
		extra := map[string]any{"policy": x.a.log.Policy, "routing": x.a.log.view(*x.c.AssignedAt)}
		for k, v := range x.a.extra {
			extra[k] = v
		}
		as[i] = conversations.Assigned{Conversation: x.c, Extra: extra}
	}
	return s.convs.EmitAssigned(ctx, tx, as...)
}
