package hub

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// NewTenant is what creating a tenant takes: its name and first admin.
type NewTenant struct {
	Name          string `json:"name"`
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password"`
	AdminName     string `json:"admin_name"`
}

// CreateTenant creates a tenant and its first admin in one transaction.
// superadmin marks the platform owner (the first start's admin), who may
// create further tenants.
func (s *Store) CreateTenant(ctx context.Context, nt NewTenant, superadmin bool) (*Tenant, *Agent, error) {
	if strings.TrimSpace(nt.Name) == "" {
		return nil, nil, Invalid("name is required")
	}
	t := &Tenant{ID: NewID("tn"), Name: strings.TrimSpace(nt.Name), Timezone: "Asia/Shanghai", CreatedAt: s.now()}
	na := NewAgent{Email: nt.AdminEmail, Password: nt.AdminPassword, Name: nt.AdminName, Role: RoleAdmin, MaxChats: 10}
	if na.Name == "" {
		na.Name = "Admin"
	}
	var a *Agent
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO tenants (id, name, timezone, created_at) VALUES (?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), t.ID, t.Name, t.Timezone, t.CreatedAt); err != nil {
			return fmt.Errorf("insert tenant: %w", err)
		}
		var err error
		a, err = s.insertAgent(ctx, tx, t.ID, na, superadmin)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return t, a, nil
}

// CountTenants tells whether the hub has been set up.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	if err := s.db.R.GetContext(ctx, &n, `SELECT COUNT(*) FROM tenants`); err != nil {
		return 0, fmt.Errorf("count tenants: %w", err)
	}
	return n, nil
}

// Bootstrap creates the first tenant and admin when the hub is empty.
// It returns created=false when a tenant already exists (another process
// may have won the race; the unique email makes that safe).
func (s *Store) Bootstrap(ctx context.Context, email, password string) (created bool, err error) {
	n, err := s.CountTenants(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, _, err = s.CreateTenant(ctx, NewTenant{Name: "Default", AdminEmail: email, AdminPassword: password}, true)
	if err != nil && (db.IsUnique(err) || strings.Contains(err.Error(), "already")) {
		return false, nil
	}
	return err == nil, err
}
