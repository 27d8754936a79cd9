package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// CreateGroup adds a group (售前, 售后 …) to a tenant, with its members and
// routing settings (policy.go; nil fields take the defaults).
func (s *Store) CreateGroup(ctx context.Context, tenantID string, p GroupPatch) (*Group, error) {
	var name string
	var agentIDs []string
	set(&name, p.Name)
	set(&agentIDs, p.AgentIDs)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, Invalid("name is required")
	}
	g := &Group{ID: NewID("gr"), TenantID: tenantID, Name: name, CreatedAt: s.now(), AgentIDs: []string{},
		Settings: DefaultGroupSettings()}
	if err := p.apply(&g.Settings); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.resolveOverflow(ctx, tx, g); err != nil {
			return err
		}
		b, _ := json.Marshal(g.Settings)
		const q = `INSERT INTO agent_groups (id, tenant_id, name, created_at, settings) VALUES (?, ?, ?, ?, ?)`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), g.ID, tenantID, g.Name, g.CreatedAt, string(b))
		if db.IsUnique(err) {
			return fmt.Errorf("%w: group %q already exists", ErrConflict, name)
		}
		if err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		for _, a := range agentIDs {
			if err := s.addMemberByAgent(ctx, tx, tenantID, g.ID, a); err != nil {
				return err
			}
			g.AgentIDs = append(g.AgentIDs, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// addMember adds agentID to the group named or identified by group, both
// checked to belong to the tenant.
func (s *Store) addMember(ctx context.Context, tx *sqlx.Tx, tenantID, group, agentID string) error {
	_, err := s.addMemberID(ctx, tx, tenantID, group, agentID)
	return err
}

// addMemberID is addMember returning the group's id.
func (s *Store) addMemberID(ctx context.Context, tx *sqlx.Tx, tenantID, group, agentID string) (string, error) {
	var id string
	q := `SELECT id FROM agent_groups WHERE tenant_id = ? AND (id = ? OR name = ?)`
	if err := tx.GetContext(ctx, &id, tx.Rebind(q), tenantID, group, group); err != nil {
		if db.NoRows(err) {
			return "", Invalid("group %q does not exist", group)
		}
		return "", fmt.Errorf("find group: %w", err)
	}
	const ins = `INSERT INTO group_members (group_id, agent_id, tenant_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, tx.Rebind(ins), id, agentID, tenantID); err != nil {
		return "", fmt.Errorf("add member: %w", err)
	}
	return id, nil
}

func (s *Store) addMemberByAgent(ctx context.Context, tx *sqlx.Tx, tenantID, groupID, agentID string) error {
	var n int
	q := `SELECT COUNT(*) FROM agents WHERE tenant_id = ? AND id = ?`
	if err := tx.GetContext(ctx, &n, tx.Rebind(q), tenantID, agentID); err != nil {
		return fmt.Errorf("find agent: %w", err)
	}
	if n == 0 {
		return Invalid("agent %q does not exist", agentID)
	}
	return s.addMember(ctx, tx, tenantID, groupID, agentID)
}

// Groups lists a tenant's groups with their members.
func (s *Store) Groups(ctx context.Context, tenantID string) ([]Group, error) {
	groups := []Group{}
	q := `SELECT id, tenant_id, name, created_at, settings FROM agent_groups WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.db.R.SelectContext(ctx, &groups, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	for i := range groups {
		groups[i].Settings = parseGroupSettings(groups[i].SettingsRaw)
		ids := []string{}
		mq := `SELECT agent_id FROM group_members WHERE group_id = ? ORDER BY agent_id`
		if err := s.db.R.SelectContext(ctx, &ids, s.db.R.Rebind(mq), groups[i].ID); err != nil {
			return nil, fmt.Errorf("group members: %w", err)
		}
		groups[i].AgentIDs = ids
	}
	return groups, nil
}

// Group returns one group of a tenant.
func (s *Store) Group(ctx context.Context, tenantID, id string) (*Group, error) {
	gs, err := s.Groups(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if gs[i].ID == id {
			return &gs[i], nil
		}
	}
	return nil, fmt.Errorf("group %s: %w", id, ErrNotFound)
}

// resolveGroup finds a group of the tenant by id or name ("" → nil).
func (s *Store) resolveGroup(ctx context.Context, q sqlx.QueryerContext, tenantID, group string) (*string, error) {
	if group == "" {
		return nil, nil
	}
	var id string
	err := sqlx.GetContext(ctx, q, &id, s.db.R.Rebind(`SELECT id FROM agent_groups WHERE tenant_id = ? AND (id = ? OR name = ?)`),
		tenantID, group, group)
	if db.NoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve group: %w", err)
	}
	return &id, nil
}
