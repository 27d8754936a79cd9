// Package schedules keeps when and to whom each tenant's daily report
// e-mail (客服日报) goes (report_schedules): a setting of the tenant's
// admin, apart from the figures hub/reports sums, which the mail carries.
package schedules

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Schedule is when and to whom a tenant's daily report e-mail (客服日报:
// yesterday's figures) goes, as its admin set it (report_schedules).
type Schedule struct {
	// Enabled: off sends nothing.
	Enabled bool `json:"enabled"`
	// Time is the local time of day (HH:MM, the tenant's time zone) from
	// which yesterday's summary goes out.
	Time string `json:"time"`
	// Recipients are the addresses it goes to; empty: the tenant's e-mail
	// notification list (邮件通知人).
	Recipients []string `json:"recipients"`
}

// Default is a tenant's schedule until its admin sets one.
func Default() Schedule {
	return Schedule{Enabled: true, Time: "08:00", Recipients: []string{}}
}

// MaxRecipients bounds a schedule's addresses.
const MaxRecipients = 50

// Store keeps the schedules.
type Store struct{ k *store.Store }

// New returns the schedules' store.
func New(k *store.Store) *Store { return &Store{k: k} }

// Minute is the schedule's time as minutes after local midnight.
func (sc Schedule) Minute() int {
	t, err := time.Parse("15:04", sc.Time)
	if err != nil {
		return 8 * 60
	}
	return t.Hour()*60 + t.Minute()
}

type scheduleRow struct {
	Enabled    bool   `db:"enabled"`
	Minute     int    `db:"minute"`
	Recipients string `db:"recipients"`
}

// Get is the tenant's report e-mail schedule (the default when unset).
func (s *Store) Get(ctx context.Context, tenantID string) (Schedule, error) {
	var rows []scheduleRow
	const q = `SELECT enabled, minute, recipients FROM report_schedules WHERE tenant_id = ?`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return Schedule{}, fmt.Errorf("report schedule: %w", err)
	}
	if len(rows) == 0 {
		return Default(), nil
	}
	r := rows[0]
	sc := Schedule{Enabled: r.Enabled, Time: fmt.Sprintf("%02d:%02d", r.Minute/60, r.Minute%60), Recipients: []string{}}
	if err := json.Unmarshal([]byte(r.Recipients), &sc.Recipients); err != nil || sc.Recipients == nil {
		sc.Recipients = []string{}
	}
	return sc, nil
}

// Set checks and stores the tenant's schedule: a time HH:MM, at
// most MaxRecipients e-mail addresses (duplicates dropped).
func (s *Store) Set(ctx context.Context, tenantID string, sc Schedule) (Schedule, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(sc.Time))
	if err != nil {
		return Schedule{}, hub.BadField("input_format", "time", "time must be HH:MM (00:00–23:59)")
	}
	if len(sc.Recipients) > MaxRecipients {
		return Schedule{}, hub.BadField("input_too_many", "recipients", fmt.Sprintf("at most %d recipients", MaxRecipients), "max", strconv.Itoa(MaxRecipients))
	}
	clean, seen := []string{}, map[string]bool{}
	for _, r := range sc.Recipients {
		r = strings.TrimSpace(r)
		a, err := mail.ParseAddress(r)
		if err != nil || a.Address != r || len(r) > 254 {
			return Schedule{}, hub.BadField("input_format", "recipients", fmt.Sprintf("%q is not an e-mail address", hub.Bounded(r, 100)), "value", hub.Bounded(r, 100))
		}
		if k := strings.ToLower(r); !seen[k] {
			seen[k] = true
			clean = append(clean, r)
		}
	}
	sc = Schedule{Enabled: sc.Enabled, Time: t.Format("15:04"), Recipients: clean}
	to, _ := json.Marshal(clean)
	enabled := 0 // INTEGER in both dialects
	if sc.Enabled {
		enabled = 1
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO report_schedules (tenant_id, enabled, minute, recipients, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, minute = excluded.minute,
			recipients = excluded.recipients, updated_at = excluded.updated_at`
		_, err := tx.Exec(ctx, q, tenantID, enabled, sc.Minute(), string(to), tx.Now())
		return err
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("save report schedule: %w", err)
	}
	return sc, nil
}

// Enabled are the tenants whose admin turned the report e-mail on.
func (s *Store) Enabled(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.k.Select(ctx, &out, `SELECT tenant_id FROM report_schedules WHERE enabled = 1 ORDER BY tenant_id`); err != nil {
		return nil, fmt.Errorf("report schedules: %w", err)
	}
	return out, nil
}
