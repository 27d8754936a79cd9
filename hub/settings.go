package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// TenantSettings are a tenant's own settings, edited by its admins.
type TenantSettings struct {
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
func (s *Store) Settings(ctx context.Context, tenantID string) (*TenantSettings, error) {
	var row struct {
		Name     string `db:"name"`
		Timezone string `db:"timezone"`
		Settings string `db:"settings"`
	}
	q := s.db.R.Rebind(`SELECT name, timezone, settings FROM tenants WHERE id = ?`)
	if err := s.db.R.GetContext(ctx, &row, q, tenantID); err != nil {
		if db.NoRows(err) {
			return nil, fmt.Errorf("tenant %s: %w", tenantID, ErrNotFound)
		}
		return nil, fmt.Errorf("read settings: %w", err)
	}
	var doc settingsDoc
	_ = json.Unmarshal([]byte(row.Settings), &doc) // written by us; defaults on damage
	return &TenantSettings{Name: row.Name, Timezone: row.Timezone, RequireTOTP: doc.RequireTOTP}, nil
}

// UpdateSettings applies a patch to a tenant's settings.
func (s *Store) UpdateSettings(ctx context.Context, tenantID string, p SettingsPatch) (*TenantSettings, error) {
	st, err := s.Settings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" {
			return nil, Invalid("name must not be empty")
		}
		st.Name = strings.TrimSpace(*p.Name)
	}
	if p.Timezone != nil {
		if _, err := time.LoadLocation(*p.Timezone); err != nil || *p.Timezone == "" {
			return nil, Invalid("timezone %q is not an IANA time zone (e.g. Asia/Shanghai)", *p.Timezone)
		}
		st.Timezone = *p.Timezone
	}
	set(&st.RequireTOTP, p.RequireTOTP)
	doc, _ := json.Marshal(settingsDoc{RequireTOTP: st.RequireTOTP})
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `UPDATE tenants SET name = ?, timezone = ?, settings = ? WHERE id = ?`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), st.Name, st.Timezone, string(doc), tenantID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update settings: %w", err)
	}
	return st, nil
}
