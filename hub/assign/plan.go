package assign

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

// Opened is a new conversation whose routing the ingest transaction
// records: where it came from (the inbound message that opened it).
type Opened struct {
	Channel      *hub.Channel
	Conversation *hub.Conversation
	Inbound      *hub.Inbound
}

// OpenRouting records, in the ingest transaction, where new conversations
// came from and that they wait, with one multi-row insert; a plan is built
// when each is first routed.
func (s *Router) OpenRouting(ctx context.Context, tx *store.Tx, opened []Opened) error {
	if len(opened) == 0 {
		return nil
	}
	groups := map[string]*string{}
	rows := make([]string, len(opened))
	args := make([]any, 0, 5*len(opened))
	for i, o := range opened {
		v, err := s.visit(ctx, tx, o.Channel, o.Inbound, groups)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(v)
		rows[i] = "(?, ?, ?, ?, ?)"
		args = append(args, o.Conversation.ID, o.Conversation.TenantID, string(b), o.Conversation.Status == hub.ConvQueued,
			o.Conversation.QueuedAt)
	}
	q := `INSERT INTO conversation_routing (conversation_id, tenant_id, visit, waiting, queued_at) VALUES ` +
		strings.Join(rows, ", ") + ` ON CONFLICT DO NOTHING`
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("record visits: %w", err)
	}
	return nil
}

// visit is where a new conversation came from, as routing rules read it;
// groups caches the batch's group names.
func (s *Router) visit(ctx context.Context, tx *store.Tx, ch *hub.Channel, in *hub.Inbound, groups map[string]*string) (routing.Visit, error) {
	v := routing.Visit{ChannelID: ch.ID, ChannelType: ch.Type, Text: hub.Truncate(in.Text, 500)}
	gid, seen := groups[in.Group]
	if !seen {
		var err error
		if gid, err = identity.Resolve(ctx, tx, ch.TenantID, in.Group); err != nil {
			return v, err
		}
		groups[in.Group] = gid
	}
	if gid != nil {
		v.Group = *gid
	}
	if vi := in.Visitor; vi != nil {
		v.IP, v.Region, v.Referrer = hub.Clean(vi.IP), hub.Clean(vi.Region), hub.Clean(vi.Referrer)
		v.Keyword, v.Page = hub.Clean(vi.Keyword), hub.Clean(vi.Page)
		if v.Region == "" && v.IP != "" {
			v.Region = s.region(v.IP)
		}
		if vi.Agent != "" {
			v.Agent = s.ids.Agents.Find(ctx, ch.TenantID, hub.Clean(vi.Agent))
		}
	}
	return v, nil
}

// routeStates loads the routing rows of conversations (absent: none yet,
// a conversation from before routing existed).
func (s *Router) routeStates(ctx context.Context, ids []string) (map[string]*routeRow, error) {
	var rows []routeRow
	if err := s.k.SelectIn(ctx, &rows, `SELECT `+routeCols+` FROM conversation_routing WHERE conversation_id IN (?)`, ids); err != nil {
		return nil, fmt.Errorf("routing state: %w", err)
	}
	out := make(map[string]*routeRow, len(rows))
	for i := range rows {
		r := &rows[i]
		_ = json.Unmarshal([]byte(r.VisitRaw), &r.visit)
		if r.PlanRaw != "" && json.Unmarshal([]byte(r.PlanRaw), &r.plan) != nil {
			r.plan = nil
		}
		out[r.ConversationID] = r
	}
	return out, nil
}

// routeState loads one conversation's routing row, building and saving its
// plan the first time.
func (s *Router) routeState(ctx context.Context, c *hub.Conversation) (*routeRow, error) {
	rows, err := s.routeStates(ctx, []string{c.ID})
	if err != nil {
		return nil, err
	}
	r := rows[c.ID]
	if r != nil && len(r.plan) > 0 {
		return r, nil
	}
	t, err := s.newTurn(ctx, c.TenantID, nil)
	if err != nil {
		return nil, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		planned, err := t.ensurePlans(ctx, tx, []*hub.Conversation{c}, rows)
		r = planned[c.ID]
		return err
	})
	return r, err
}

// ensurePlans gives conversations without a plan their plans (rules,
// groups, overflow; routing.BuildPlan), saved in tx with one statement; a
// row may be absent (none yet). It returns copies of their rows (rows is
// left as it was, for a retry of the transaction) by conversation id.
func (t *turn) ensurePlans(ctx context.Context, tx *store.Tx, cs []*hub.Conversation, rows map[string]*routeRow) (map[string]*routeRow, error) {
	out := make(map[string]*routeRow, len(cs))
	var vals []string
	var args []any
	now := tx.Now()
	for _, c := range cs {
		r := copyRow(rows[c.ID])
		if r != nil && len(r.plan) > 0 {
			out[c.ID] = r
			continue
		}
		if r == nil {
			r = &routeRow{ConversationID: c.ID, TenantID: c.TenantID, VisitRaw: "{}"}
			if c.GroupID != nil {
				r.visit.Group = *c.GroupID // an old conversation: its group stands
			}
		}
		plan, rule, err := t.buildPlan(ctx, c, r.visit)
		if err != nil {
			return nil, err
		}
		r.plan, r.Stage, r.StageAt, r.QueueKey = plan, 0, &now, plan[0].Key()
		pb, _ := json.Marshal(plan)
		vb, _ := json.Marshal(r.visit)
		vals = append(vals, "(?, ?, ?, ?, 0, ?, ?, ?, ?)")
		args = append(args, c.ID, c.TenantID, string(vb), string(pb), now, r.QueueKey, c.Status == hub.ConvQueued, c.QueuedAt)
		if rule != nil {
			if err := t.r.logRouting(ctx, tx, c, logEntry{Outcome: "rule", RuleID: rule.ID,
				Reason: fmt.Sprintf("rule %q matched", rule.Name)}); err != nil {
				return nil, err
			}
		}
		out[c.ID] = r
	}
	if len(vals) == 0 {
		return out, nil
	}
	up := `INSERT INTO conversation_routing (conversation_id, tenant_id, visit, plan, stage, stage_at, queue_key,
		waiting, queued_at) VALUES ` + strings.Join(vals, ", ") + ` ON CONFLICT (conversation_id) DO UPDATE SET
		plan = excluded.plan, stage = 0, stage_at = excluded.stage_at, queue_key = excluded.queue_key
		WHERE conversation_routing.plan = ''`
	if _, err := tx.Exec(ctx, up, args...); err != nil {
		return nil, fmt.Errorf("save plans: %w", err)
	}
	return out, nil
}

// buildPlan orders the targets of a new conversation (routing.BuildPlan).
func (t *turn) buildPlan(ctx context.Context, c *hub.Conversation, v routing.Visit) ([]routing.Step, *routing.Rule, error) {
	rules, err := t.enabledRules(ctx)
	if err != nil {
		return nil, nil, err
	}
	in := routing.PlanInput{Visit: v, Rules: rules, Overflow: map[string]routing.GroupOverflow{}}
	if _, ok := t.groups[v.Group]; !ok {
		in.Visit.Group = ""
	}
	if ch, err := t.r.chans.Get(ctx, c.ChannelID); err == nil && ch.DefaultGroupID != nil {
		in.ChannelDefault = *ch.DefaultGroupID
	}
	for id, g := range t.groups {
		in.Overflow[id] = routing.GroupOverflow{GroupID: g.Settings.OverflowGroupID, After: g.Settings.OverflowAfter}
	}
	plan, rule := routing.BuildPlan(in)
	return plan, rule, nil
}

// setPlan gives a conversation a new plan, waiting at its first step (a
// transfer to a group).
func setPlan(ctx context.Context, tx *store.Tx, c *hub.Conversation, plan []routing.Step) error {
	pb, _ := json.Marshal(plan)
	now := tx.Now()
	const q = `INSERT INTO conversation_routing (conversation_id, tenant_id, plan, stage, stage_at, queue_key, waiting, queued_at)
		VALUES (?, ?, ?, 0, ?, ?, TRUE, ?) ON CONFLICT (conversation_id) DO UPDATE SET plan = excluded.plan, stage = 0,
		stage_at = excluded.stage_at, queue_key = excluded.queue_key, announced_position = 0, last_reason = '',
		waiting = TRUE, queued_at = excluded.queued_at`
	if _, err := tx.Exec(ctx, q, c.ID, c.TenantID, string(pb), now, plan[0].Key(), c.QueuedAt); err != nil {
		return fmt.Errorf("set plan: %w", err)
	}
	return nil
}

// logEntry is one routing decision in a conversation's activity.
type logEntry struct {
	Outcome string // rule, assigned, queued, overflow, offline, queue_full, max_wait, picked_up, transferred
	AgentID string
	GroupID string
	RuleID  string
	Policy  string
	Reason  string
}

// Event is a logged routing decision, as the activity shows it.
type Event struct {
	Outcome   string    `db:"outcome" json:"outcome"`
	AgentID   string    `db:"agent_id" json:"agent_id,omitempty"`
	GroupID   string    `db:"group_id" json:"group_id,omitempty"`
	RuleID    string    `db:"rule_id" json:"rule_id,omitempty"`
	Policy    string    `db:"policy" json:"policy,omitempty"`
	Reason    string    `db:"reason" json:"reason"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

func (l logEntry) view(at time.Time) Event {
	return Event{Outcome: l.Outcome, AgentID: l.AgentID, GroupID: l.GroupID, RuleID: l.RuleID, Policy: l.Policy,
		Reason: l.Reason, CreatedAt: at}
}

func (s *Router) logRouting(ctx context.Context, tx *store.Tx, c *hub.Conversation, l logEntry) error {
	const q = `INSERT INTO routing_log (id, tenant_id, conversation_id, outcome, agent_id, group_id, rule_id, policy, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ctx, q, hub.NewID("rlg"), c.TenantID, c.ID, l.Outcome, l.AgentID, l.GroupID,
		l.RuleID, l.Policy, hub.Truncate(l.Reason, 2000), tx.Now()); err != nil {
		return fmt.Errorf("log routing: %w", err)
	}
	return nil
}

// Activity is why a conversation is where it is: where it came from, the
// targets it may go to, its place in the queue and every routing decision
// made about it.
type Activity struct {
	ConversationID string         `json:"conversation_id"`
	Status         hub.ConvStatus `json:"status"`
	Visit          routing.Visit  `json:"visit"`
	Plan           []routing.Step `json:"plan"`
	Stage          int            `json:"stage"`
	Queue          string         `json:"queue,omitempty"`
	Position       int            `json:"position,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	UnansweredAt   *time.Time     `json:"unanswered_at,omitempty"`
	Events         []Event        `json:"events"`
}

// Activity returns the routing activity of a conversation the agent may see.
func (s *Router) Activity(ctx context.Context, a *hub.Agent, convID string) (*Activity, error) {
	c, err := s.convs.Get(ctx, a, convID)
	if err != nil {
		return nil, err
	}
	out := &Activity{ConversationID: c.ID, Status: c.Status, Plan: []routing.Step{}, Events: []Event{}}
	var rows []routeRow
	if err := s.k.Select(ctx, &rows, `SELECT `+routeCols+` FROM conversation_routing WHERE conversation_id = ?`, c.ID); err != nil {
		return nil, fmt.Errorf("routing state: %w", err)
	}
	if len(rows) == 1 {
		r := rows[0]
		_ = json.Unmarshal([]byte(r.VisitRaw), &out.Visit)
		_ = json.Unmarshal([]byte(r.PlanRaw), &out.Plan)
		out.Stage, out.Reason, out.UnansweredAt = r.Stage, r.LastReason, r.UnansweredAt
		if c.Status == hub.ConvQueued {
			out.Queue = r.QueueKey
			n, err := ahead(ctx, s.k, c, r.QueueKey, s.now())
			if err != nil {
				return nil, err
			}
			out.Position = n + 1
		}
	}
	lq := `SELECT outcome, agent_id, group_id, rule_id, policy, reason, created_at FROM routing_log
		WHERE conversation_id = ? ORDER BY created_at, id`
	if err := s.k.Select(ctx, &out.Events, lq, c.ID); err != nil {
		return nil, fmt.Errorf("routing log: %w", err)
	}
	return out, nil
}
