package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/geoip"
	"github.com/kefu-hub/kefu/hub/routing"
)

// Visitor is what a connector knows of where a customer came from; routing
// rules match on it.
type Visitor struct {
	// IP is the visitor's address; the region is looked up in the
	// configured IP database when Region is not given.
	IP     string `json:"ip,omitempty"`
	Region string `json:"region,omitempty"`
	// Referrer is the page or search engine the visitor came from.
	Referrer string `json:"referrer,omitempty"`
	// Keyword is the search-engine keyword.
	Keyword string `json:"keyword,omitempty"`
	// Page is the page the chat was opened on.
	Page string `json:"page,omitempty"`
	// Agent asks for one agent (a direct link): id, employee number or email.
	Agent string `json:"agent,omitempty"`
}

// SetGeoIP installs the IP database region rules look up (nil: none).
func (s *Store) SetGeoIP(d *geoip.DB) { s.auto.geo = d }

// Region looks an IP up in the configured database ("" when unknown).
func (s *Store) Region(ip string) string { return s.auto.geo.Lookup(ip) }

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
func (s *Store) openRouting(ctx context.Context, tx *sqlx.Tx, ch *Channel, conv *Conversation, in *Inbound) error {
	v := routing.Visit{ChannelID: ch.ID, ChannelType: ch.Type, Text: truncate(in.Text, 500)}
	if gid, err := s.resolveGroup(ctx, tx, ch.TenantID, in.Group); err != nil {
		return err
	} else if gid != nil {
		v.Group = *gid
	}
	if vi := in.Visitor; vi != nil {
		v.IP, v.Region, v.Referrer = Clean(vi.IP), Clean(vi.Region), Clean(vi.Referrer)
		v.Keyword, v.Page = Clean(vi.Keyword), Clean(vi.Page)
		if v.Region == "" && v.IP != "" {
			v.Region = s.auto.geo.Lookup(v.IP)
		}
		if vi.Agent != "" {
			v.Agent = s.findAgent(ctx, tx, ch.TenantID, Clean(vi.Agent))
		}
	}
	b, _ := json.Marshal(v)
	const q = `INSERT INTO conversation_routing (conversation_id, tenant_id, visit) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), conv.ID, conv.TenantID, string(b)); err != nil {
		return fmt.Errorf("record visit: %w", err)
	}
	return nil
}

// Bounded is customer text made storable (Clean) and cut to at most n runes.
func Bounded(s string, n int) string { return truncate(Clean(s), n) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// findAgent resolves an agent named by id, employee number or email ("" when
// none of the tenant matches: the link is ignored, not an error).
func (s *Store) findAgent(ctx context.Context, q sqlx.QueryerContext, tenantID, who string) string {
	var ids []string
	sq := s.db.R.Rebind(`SELECT id FROM agents WHERE tenant_id = ? AND (id = ? OR email = ? OR (employee_no <> '' AND employee_no = ?))`)
	if err := sqlx.SelectContext(ctx, q, &ids, sq, tenantID, who, who, who); err != nil || len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// routeState loads a conversation's routing row, creating it (for
// conversations from before routing existed) and building its plan the
// first time.
func (s *Store) routeState(ctx context.Context, c *Conversation) (*routeRow, error) {
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
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
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
func (s *Store) buildPlan(ctx context.Context, c *Conversation, v routing.Visit) ([]routing.Step, *routing.Rule, error) {
	groups, err := s.groupSettings(ctx, c.TenantID)
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
	if ch, err := s.Channel(ctx, c.ChannelID); err == nil && ch.DefaultGroupID != nil {
		in.ChannelDefault = *ch.DefaultGroupID
	}
	for id, g := range groups {
		in.Overflow[id] = routing.GroupOverflow{GroupID: g.Settings.OverflowGroupID, After: g.Settings.OverflowAfter}
	}
	plan, rule := routing.BuildPlan(in)
	return plan, rule, nil
}

// setPlan replaces a conversation's plan (a transfer to a group).
func (s *Store) setPlan(ctx context.Context, tx *sqlx.Tx, c *Conversation, plan []routing.Step) error {
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
