// Package rules keeps the admins' routing rules (the routing_rules table):
// conversations matching a rule's conditions (region, channel, search
// engine, keyword) go to its targets. Routing reads the enabled ones.
package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Store keeps the admins' routing rules.
type Store struct {
	k   *store.Store
	ids *identity.Identity
}

// New returns the rule store.
func New(k *store.Store, ids *identity.Identity) *Store { return &Store{k: k, ids: ids} }

// RoutingRule is an admin's rule: conversations matching its conditions go
// to its targets, in order (region, channel, search-engine and keyword
// routing). Rules are tried by position; the first match wins.
type RoutingRule struct {
	routing.Rule
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RulePatch creates or changes a rule; nil fields stay as they are.
type RulePatch struct {
	Name          *string             `json:"name"`
	Enabled       *bool               `json:"enabled"`
	Position      *int                `json:"position"`
	Conditions    *routing.Conditions `json:"conditions"`
	Targets       *[]routing.Target   `json:"targets"`
	OverflowAfter *int                `json:"overflow_after_seconds"`
}

type ruleRow struct {
	ID            string    `db:"id"`
	TenantID      string    `db:"tenant_id"`
	Name          string    `db:"name"`
	Position      int       `db:"position"`
	Enabled       bool      `db:"enabled"`
	Conditions    string    `db:"conditions"`
	Targets       string    `db:"targets"`
	OverflowAfter int       `db:"overflow_after_seconds"`
	CreatedAt     time.Time `db:"created_at"`
	UpdatedAt     time.Time `db:"updated_at"`
}

const ruleCols = `id, tenant_id, name, position, enabled, conditions, targets, overflow_after_seconds, created_at, updated_at`

func (r ruleRow) toRule() RoutingRule {
	out := RoutingRule{Rule: routing.Rule{ID: r.ID, Name: r.Name, Enabled: r.Enabled, OverflowAfter: r.OverflowAfter,
		Targets: []routing.Target{}}, Position: r.Position, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal([]byte(r.Conditions), &out.Conditions)
	_ = json.Unmarshal([]byte(r.Targets), &out.Targets)
	return out
}

// Rules lists a tenant's rules in the order they are tried.
func (s *Store) Rules(ctx context.Context, tenantID string) ([]RoutingRule, error) {
	var rows []ruleRow
	q := `SELECT ` + ruleCols + ` FROM routing_rules WHERE tenant_id = ? ORDER BY position, created_at, id`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	out := make([]RoutingRule, len(rows))
	for i, r := range rows {
		out[i] = r.toRule()
	}
	return out, nil
}

func (s *Store) Enabled(ctx context.Context, tenantID string) ([]routing.Rule, error) {
	rs, err := s.Rules(ctx, tenantID)
	var out []routing.Rule
	for _, r := range rs {
		if r.Enabled {
			out = append(out, r.Rule)
		}
	}
	return out, err
}

// Rule returns one rule of a tenant.
func (s *Store) Rule(ctx context.Context, tenantID, id string) (*RoutingRule, error) {
	var r ruleRow
	q := `SELECT ` + ruleCols + ` FROM routing_rules WHERE tenant_id = ? AND id = ?`
	if err := s.k.Get(ctx, &r, q, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("rule %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get rule: %w", err)
	}
	out := r.toRule()
	return &out, nil
}

// CreateRule adds a rule (last, unless a position is given).
func (s *Store) CreateRule(ctx context.Context, tenantID string, p RulePatch) (*RoutingRule, error) {
	now := s.k.Now()
	r := &RoutingRule{Rule: routing.Rule{ID: hub.NewID("rl"), Enabled: true, Targets: []routing.Target{}}, CreatedAt: now, UpdatedAt: now}
	var n int
	if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM routing_rules WHERE tenant_id = ?`, tenantID); err != nil {
		return nil, fmt.Errorf("count rules: %w", err)
	}
	r.Position = n + 1
	return r, s.saveRule(ctx, tenantID, r, p, true)
}

// UpdateRule changes a rule.
func (s *Store) UpdateRule(ctx context.Context, tenantID, id string, p RulePatch) (*RoutingRule, error) {
	r, err := s.Rule(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	r.UpdatedAt = s.k.Now()
	return r, s.saveRule(ctx, tenantID, r, p, false)
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(ctx context.Context, tenantID, id string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM routing_rules WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return fmt.Errorf("delete rule: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("rule %s: %w", id, hub.ErrNotFound)
		}
		return nil
	})
}

func (s *Store) saveRule(ctx context.Context, tenantID string, r *RoutingRule, p RulePatch, insert bool) error {
	if p.Name != nil {
		r.Name = strings.TrimSpace(*p.Name)
	}
	set(&r.Enabled, p.Enabled)
	set(&r.Position, p.Position)
	set(&r.Conditions, p.Conditions)
	set(&r.Targets, p.Targets)
	set(&r.OverflowAfter, p.OverflowAfter)
	switch {
	case r.Name == "":
		return hub.BadField("input_required", "name", "name is required")
	case len(r.Targets) == 0 || len(r.Targets) > 10:
		return hub.BadField("input_count", "targets", "targets must list 1 to 10 groups or agents, in overflow order", "min", "1", "max", "10")
	case r.OverflowAfter < 0 || r.OverflowAfter > week:
		return hub.BadField("input_range", "overflow_after_seconds", fmt.Sprintf("overflow_after_seconds must be between 0 and %d", week), "min", "0", "max", strconv.Itoa(week))
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		if err := s.resolveTargets(ctx, tx, tenantID, r.Targets); err != nil {
			return err
		}
		cb, _ := json.Marshal(r.Conditions)
		tb, _ := json.Marshal(r.Targets)
		q := `UPDATE routing_rules SET name = ?, position = ?, enabled = ?, conditions = ?, targets = ?,
			overflow_after_seconds = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
		args := []any{r.Name, r.Position, r.Enabled, string(cb), string(tb), r.OverflowAfter, r.UpdatedAt, tenantID, r.ID}
		if insert {
			q = `INSERT INTO routing_rules (` + ruleCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			args = []any{r.ID, tenantID, r.Name, r.Position, r.Enabled, string(cb), string(tb), r.OverflowAfter, r.CreatedAt, r.UpdatedAt}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("save rule: %w", err)
		}
		return nil
	})
}

// resolveTargets checks each target names exactly one group or agent of the
// tenant, and turns group names into ids.
func (s *Store) resolveTargets(ctx context.Context, tx *store.Tx, tenantID string, ts []routing.Target) error {
	for i := range ts {
		t := &ts[i]
		if (t.GroupID == "") == (t.AgentID == "") {
			return hub.Invalid("targets[%d]: give exactly one of group_id or agent_id", i)
		}
		if t.GroupID != "" {
			gid, err := identity.Resolve(ctx, tx, tenantID, t.GroupID)
			if err != nil {
				return err
			}
			if gid == nil {
				return hub.BadField("input_unknown", "group", fmt.Sprintf("targets[%d]: group %q does not exist", i, t.GroupID))
			}
			t.GroupID = *gid
			continue
		}
		who := t.AgentID
		if t.AgentID = s.ids.Agents.Find(ctx, tenantID, who); t.AgentID == "" {
			return hub.BadField("input_unknown", "agent", fmt.Sprintf("targets[%d]: agent %q does not exist", i, who))
		}
	}
	return nil
}

// week bounds the delays settings may ask for, in seconds.
const week = 7 * 24 * 3600

// set copies *src to *dst when src is given (a patch field).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
