package contacts

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Rules are a tenant's visibility rules of the customer list (客户可见范围),
// set by its admins. Off (the default), an agent sees the customers they own
// and those of their conversations, a supervisor also those owned by their
// groups' members and those of conversations routed to their groups or
// assigned to their members, an admin all. Each rule widens that; a change
// applies to the next list, card or export.
type Rules struct {
	// AgentsUnowned lets agents also see the customers without an owner.
	AgentsUnowned bool `json:"agents_unowned" db:"agents_unowned"`
	// AgentsGroup lets agents also see the customers owned by the members
	// of their groups.
	AgentsGroup bool `json:"agents_group" db:"agents_group"`
	// SupervisorsAll lets supervisors see every customer of the tenant.
	SupervisorsAll bool `json:"supervisors_all" db:"supervisors_all"`
}

// Rules reads a tenant's visibility rules (all off when never set).
func (s *Store) Rules(ctx context.Context, tenantID string) (Rules, error) {
	var rs []Rules
	const q = `SELECT agents_unowned, agents_group, supervisors_all FROM contact_visibility WHERE tenant_id = ?`
	if err := s.k.Select(ctx, &rs, q, tenantID); err != nil {
		return Rules{}, fmt.Errorf("read visibility rules: %w", err)
	}
	if len(rs) == 0 {
		return Rules{}, nil
	}
	return rs[0], nil
}

// SetRules replaces a tenant's visibility rules.
func (s *Store) SetRules(ctx context.Context, tenantID string, r Rules) (Rules, error) {
	return r, s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO contact_visibility (tenant_id, agents_unowned, agents_group, supervisors_all, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET agents_unowned = excluded.agents_unowned,
			agents_group = excluded.agents_group, supervisors_all = excluded.supervisors_all, updated_at = excluded.updated_at`
		if _, err := tx.Exec(ctx, q, tenantID, r.AgentsUnowned, r.AgentsGroup, r.SupervisorsAll, tx.Now()); err != nil {
			return fmt.Errorf("set visibility rules: %w", err)
		}
		return nil
	})
}

// visibility is the condition on contacts of what an agent may see under
// the tenant's rules (scope).
func (s *Store) visibility(ctx context.Context, a *hub.Agent) (string, []any, Rules, error) {
	r, err := s.Rules(ctx, a.TenantID)
	if err != nil {
		return "", nil, r, err
	}
	where, args := scope(a, r)
	return where, args, r, nil
}

// widens reports whether the rules let a plain agent see more than their own
// contacts and those of their conversations.
func (r Rules) widens(a *hub.Agent) bool {
	return a.Role == hub.RoleAgent && (r.AgentsUnowned || r.AgentsGroup)
}
