package core

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// routeRow is a conversation's routing state.
type routeRow struct {
	ConversationID string     `db:"conversation_id"`
	TenantID       string     `db:"tenant_id"`
	VisitRaw       string     `db:"visit"`
	PlanRaw        string     `db:"plan"`
	Stage          int        `db:"stage"`
	StageAt        *time.Time `db:"stage_at"`
	QueueKey       string     `db:"queue_key"`
	Announced      int        `db:"announced_position"`
	AnnouncedAt    *time.Time `db:"announced_at"`
	LastReason     string     `db:"last_reason"`
	UnansweredAt   *time.Time `db:"unanswered_at"`
	visit          routing.Visit
	plan           []routing.Step
	targets        []target // loaded for the current decision
}

const routeCols = `conversation_id, tenant_id, visit, plan, stage, stage_at, queue_key, announced_position,
	announced_at, last_reason, unanswered_at`

// openRouting records where a new conversation came from (in the ingest
// transaction); its plan is built when it is first routed.
func (s *Store) openRouting(ctx context.Context, tx *store.Tx, ch *hub.Channel, conv *hub.Conversation, in *hub.Inbound) error {
	v := routing.Visit{ChannelID: ch.ID, ChannelType: ch.Type, Text: hub.Truncate(in.Text, 500)}
	if gid, err := identity.Resolve(ctx, tx, ch.TenantID, in.Group); err != nil {
		return err
	} else if gid != nil {
		v.Group = *gid
	}
	if vi := in.Visitor; vi != nil {
		v.IP, v.Region, v.Referrer = hub.Clean(vi.IP), hub.Clean(vi.Region), hub.Clean(vi.Referrer)
		v.Keyword, v.Page = hub.Clean(vi.Keyword), hub.Clean(vi.Page)
		if v.Region == "" && v.IP != "" {
			v.Region = s.geo.Lookup(v.IP)
		}
		if vi.Agent != "" {
			v.Agent = s.id.Agents.Find(ctx, ch.TenantID, hub.Clean(vi.Agent))
		}
	}
	b, _ := json.Marshal(v)
	const q = `INSERT INTO conversation_routing (conversation_id, tenant_id, visit) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), conv.ID, conv.TenantID, string(b)); err != nil {
		return fmt.Errorf("record visit: %w", err)
	}
	return nil
}

// routeState loads a conversation's routing row, creating it (for
// conversations from before routing existed) and building its plan the
// first time.
func (s *Store) routeState(ctx context.Context, c *hub.Conversation) (*routeRow, error) {
	var rows []routeRow
	q := s.db.R.Rebind(`SELECT ` + routeCols + ` FROM conversation_routing WHERE conversation_id = ?`)
	if err := s.db.R.SelectContext(ctx, &rows, q, c.ID); err != nil {
		return nil, fmt.Errorf("routing state: %w", err)
	}
	r := &routeRow{ConversationID: c.ID, TenantID: c.TenantID, VisitRaw: "{}"}
	if len(rows) == 1 {
		r = &rows[0]
	}
	_ = json.Unmarshal([]byte(r.VisitRaw), &r.visit)
	if r.PlanRaw != "" && json.Unmarshal([]byte(r.PlanRaw), &r.plan) == nil && len(r.plan) > 0 {
		return r, nil
	}
	if len(rows) == 0 && c.GroupID != nil {
		r.visit.Group = *c.GroupID // an old conversation: its group stands
	}
	plan, rule, err := s.buildPlan(ctx, c, r.visit)
	if err != nil {
		return nil, err
	}
	r.plan, r.Stage = plan, 0
	r.QueueKey = plan[0].Key()
	pb, _ := json.Marshal(plan)
	vb, _ := json.Marshal(r.visit)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		now := s.now()
		r.StageAt = &now
		const up = `INSERT INTO conversation_routing (conversation_id, tenant_id, visit, plan, stage, stage_at, queue_key)
			VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET plan = excluded.plan,
			stage = 0, stage_at = excluded.stage_at, queue_key = excluded.queue_key WHERE conversation_routing.plan = ''`
		if _, err := tx.ExecContext(ctx, tx.Rebind(up), c.ID, c.TenantID, string(vb), string(pb), now, r.QueueKey); err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		if rule == nil {
			return nil
		}
		return s.logRouting(ctx, tx, c, logEntry{Outcome: "rule", RuleID: rule.ID,
			Reason: fmt.Sprintf("rule %q matched", rule.Name)})
	})
	return r, err
}

// buildPlan orders the targets of a new conversation (routing.BuildPlan).
func (s *Store) buildPlan(ctx context.Context, c *hub.Conversation, v routing.Visit) ([]routing.Step, *routing.Rule, error) {
	groups, err := s.id.Groups.Settings(ctx, c.TenantID)
	if err != nil {
		return nil, nil, err
	}
	rules, err := s.enabledRules(ctx, c.TenantID)
	if err != nil {
		return nil, nil, err
	}
	in := routing.PlanInput{Visit: v, Rules: rules, Overflow: map[string]routing.GroupOverflow{}}
	if _, ok := groups[v.Group]; !ok {
		in.Visit.Group = ""
	}
	if ch, err := s.ch.Get(ctx, c.ChannelID); err == nil && ch.DefaultGroupID != nil {
		in.ChannelDefault = *ch.DefaultGroupID
	}
	for id, g := range groups {
		in.Overflow[id] = routing.GroupOverflow{GroupID: g.Settings.OverflowGroupID, After: g.Settings.OverflowAfter}
	}
	plan, rule := routing.BuildPlan(in)
	return plan, rule, nil
}

// setPlan replaces a conversation's plan (a transfer to a group).
func (s *Store) setPlan(ctx context.Context, tx *store.Tx, c *hub.Conversation, plan []routing.Step) error {
	pb, _ := json.Marshal(plan)
	now := s.now()
	const q = `INSERT INTO conversation_routing (conversation_id, tenant_id, plan, stage, stage_at, queue_key)
		VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET plan = excluded.plan, stage = 0,
		stage_at = excluded.stage_at, queue_key = excluded.queue_key, announced_position = 0, last_reason = ''`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), c.ID, c.TenantID, string(pb), now, plan[0].Key()); err != nil {
		return fmt.Errorf("set plan: %w", err)
	}
	return nil
}
