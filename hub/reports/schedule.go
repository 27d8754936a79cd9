package reports

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

// DefaultSchedule is a tenant's schedule until its admin sets one.
func DefaultSchedule() Schedule {
	return Schedule{Enabled: true, Time: "08:00", Recipients: []string{}}
}

// MaxScheduleRecipients bounds a schedule's addresses.
const MaxScheduleRecipients = 50

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

// Schedule is the tenant's report e-mail schedule (the default when unset).
func (s *Store) Schedule(ctx context.Context, tenantID string) (Schedule, error) {
	var rows []scheduleRow
	const q = `SELECT enabled, minute, recipients FROM report_schedules WHERE tenant_id = ?`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return Schedule{}, fmt.Errorf("report schedule: %w", err)
	}
	if len(rows) == 0 {
		return DefaultSchedule(), nil
	}
	r := rows[0]
	sc := Schedule{Enabled: r.Enabled, Time: fmt.Sprintf("%02d:%02d", r.Minute/60, r.Minute%60), Recipients: []string{}}
	if err := json.Unmarshal([]byte(r.Recipients), &sc.Recipients); err != nil || sc.Recipients == nil {
		sc.Recipients = []string{}
	}
	return sc, nil
}

// SetSchedule checks and stores the tenant's schedule: a time HH:MM, at
// most MaxScheduleRecipients e-mail addresses (duplicates dropped).
func (s *Store) SetSchedule(ctx context.Context, tenantID string, sc Schedule) (Schedule, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(sc.Time))
	if err != nil {
		return Schedule{}, hub.BadField("input_format", "time", "time must be HH:MM (00:00–23:59)")
	}
	if len(sc.Recipients) > MaxScheduleRecipients {
		return Schedule{}, hub.BadField("input_too_many", "recipients", fmt.Sprintf("at most %d recipients", MaxScheduleRecipients), "max", strconv.Itoa(MaxScheduleRecipients))
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
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO report_schedules (tenant_id, enabled, minute, recipients, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, minute = excluded.minute,
			recipients = excluded.recipients, updated_at = excluded.updated_at`
		_, err := tx.Exec(ctx, q, tenantID, bit(sc.Enabled), sc.Minute(), string(to), tx.Now())
		return err
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("save report schedule: %w", err)
	}
	return sc, nil
}

// Scheduled are the tenants whose admin turned the report e-mail on.
func (s *Store) Scheduled(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.k.Select(ctx, &out, `SELECT tenant_id FROM report_schedules WHERE enabled = 1 ORDER BY tenant_id`); err != nil {
		return nil, fmt.Errorf("report schedules: %w", err)
	}
	return out, nil
}
