package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Tenants are the companies using the hub.
type Tenants struct{ k *store.Store }

// NewTenant is what creating a tenant takes: its name and first admin.
type NewTenant struct {
	Name          string `json:"name"`
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password"`
	AdminName     string `json:"admin_name"`
}

// DefaultTimezone is a new tenant's time zone.
const DefaultTimezone = "Asia/Shanghai"

// Create creates a tenant and its first admin in one transaction.
// superadmin marks the platform owner (the first start's admin), who may
// create further tenants.
func (s *Tenants) Create(ctx context.Context, nt NewTenant, superadmin bool) (*hub.Tenant, *hub.Agent, error) {
	if strings.TrimSpace(nt.Name) == "" {
		return nil, nil, hub.Invalid("name is required")
	}
	t := &hub.Tenant{ID: hub.NewID("tn"), Name: strings.TrimSpace(nt.Name), Timezone: DefaultTimezone, CreatedAt: s.k.Now()}
	na := NewAgent{Email: nt.AdminEmail, Password: nt.AdminPassword, Name: nt.AdminName, Role: hub.RoleAdmin, MaxChats: 10}
	if na.Name == "" {
		na.Name = "Admin"
	}
	na, err := na.hashed()
	if err != nil {
		return nil, nil, err
	}
	var a *hub.Agent
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO tenants (id, name, timezone, created_at) VALUES (?, ?, ?, ?)`
		if _, err := tx.Exec(ctx, q, t.ID, t.Name, t.Timezone, t.CreatedAt); err != nil {
			return fmt.Errorf("insert tenant: %w", err)
		}
		var err error
		a, err = insertAgent(ctx, tx, t.ID, na, superadmin)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return t, a, nil
}

// Count tells whether the hub has been set up.
func (s *Tenants) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM tenants`); err != nil {
		return 0, fmt.Errorf("count tenants: %w", err)
	}
	return n, nil
}

// Bootstrap creates the first tenant and admin when the hub is empty.
// It returns created=false when a tenant already exists (another process
// may have won the race; the unique email makes that safe).
func (s *Tenants) Bootstrap(ctx context.Context, email, password string) (created bool, err error) {
	n, err := s.Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, _, err = s.Create(ctx, NewTenant{Name: "Default", AdminEmail: email, AdminPassword: password}, true)
	if err != nil && (store.IsUnique(err) || strings.Contains(err.Error(), "already")) {
		return false, nil
	}
	return err == nil, err
}

// Timezone is the tenant's time zone (the default when unknown).
func (s *Tenants) Timezone(ctx context.Context, tenantID string) string {
	var tz string
	if err := s.k.Get(ctx, &tz, `SELECT timezone FROM tenants WHERE id = ?`, tenantID); err != nil || tz == "" {
		return DefaultTimezone
	}
	return tz
}

// Settings are a tenant's own settings, edited by its admins.
type Settings struct {
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	// RequireTOTP makes every agent of the tenant set up two-factor
	// authentication at their next login.
	RequireTOTP bool `json:"require_totp"`
}

// SettingsPatch is a partial update; nil fields stay as they are.
type SettingsPatch struct {
	Name        *string `json:"name"`
	Timezone    *string `json:"timezone"`
	RequireTOTP *bool   `json:"require_totp"`
}

// settingsDoc is what the tenants.settings JSON column holds.
type settingsDoc struct {
	RequireTOTP bool `json:"require_totp"`
}

// Settings reads a tenant's settings.
func (s *Tenants) Settings(ctx context.Context, tenantID string) (*Settings, error) {
	var row struct {
		Name     string `db:"name"`
		Timezone string `db:"timezone"`
		Settings string `db:"settings"`
	}
	if err := s.k.Get(ctx, &row, `SELECT name, timezone, settings FROM tenants WHERE id = ?`, tenantID); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("tenant %s: %w", tenantID, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("read settings: %w", err)
	}
	var doc settingsDoc
	_ = json.Unmarshal([]byte(row.Settings), &doc) // written by us; defaults on damage
	return &Settings{Name: row.Name, Timezone: row.Timezone, RequireTOTP: doc.RequireTOTP}, nil
}

// UpdateSettings applies a patch to a tenant's settings.
func (s *Tenants) UpdateSettings(ctx context.Context, tenantID string, p SettingsPatch) (*Settings, error) {
	st, err := s.Settings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" {
			return nil, hub.Invalid("name must not be empty")
		}
		st.Name = strings.TrimSpace(*p.Name)
	}
	if p.Timezone != nil {
		if _, err := time.LoadLocation(*p.Timezone); err != nil || *p.Timezone == "" {
			return nil, hub.BadField("input_format", "timezone", fmt.Sprintf("timezone %q is not an IANA time zone (e.g. Asia/Shanghai)", *p.Timezone))
		}
		st.Timezone = *p.Timezone
	}
	set(&st.RequireTOTP, p.RequireTOTP)
	doc, _ := json.Marshal(settingsDoc{RequireTOTP: st.RequireTOTP})
	const q = `UPDATE tenants SET name = ?, timezone = ?, settings = ? WHERE id = ?`
	if _, err := s.k.Exec(ctx, q, st.Name, st.Timezone, string(doc), tenantID); err != nil {
		return nil, fmt.Errorf("update settings: %w", err)
	}
	return st, nil
}
