package robot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

// GroupSettings override a channel's robot for the conversations routed to
// a group (the group the customer chose, else the channel's default): the
// group's mode, greeting and threshold win over the channel's; a nil field
// keeps the channel's. The rest (handoff words, misses, the brain) stays
// the channel's. Mode off_hours then follows the group's business hours.
type GroupSettings struct {
	GroupID   string    `json:"group_id"`
	Mode      *Mode     `json:"mode"`
	Greeting  *string   `json:"greeting"`
	Threshold *float64  `json:"threshold"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Groups finds a tenant's group (another tenant's is not found).
type Groups interface {
	Exists(ctx context.Context, tenantID, id string) error
}

func validThreshold(t float64) bool { return t >= 0.05 && t <= 1 }

func (g *GroupSettings) validate() error {
	if g.Greeting != nil {
		s := strings.TrimSpace(hub.Clean(*g.Greeting))
		g.Greeting = &s
	}
	switch {
	case g.Mode != nil && *g.Mode != ModeOff && *g.Mode != ModeFirst && *g.Mode != ModeOffHours:
		return hub.BadField("input_choice", "mode", "mode is off, first, off_hours or null (the channel's)")
	case g.Greeting != nil && utf8.RuneCountInString(*g.Greeting) > 1000:
		return hub.BadField("input_too_long", "greeting", "greeting is at most 1000 characters", "max", "1000")
	case g.Threshold != nil && !validThreshold(*g.Threshold):
		return hub.BadField("input_range", "threshold", "threshold is 0.05 to 1, or null (the channel's)", "min", "0.05", "max", "1")
	}
	return nil
}

// over applies the group's overrides to a channel's settings.
func (g GroupSettings) over(s Settings) Settings {
	if g.Mode != nil {
		s.Mode = *g.Mode
	}
	if g.Greeting != nil {
		s.Greeting = *g.Greeting
	}
	if g.Threshold != nil {
		s.Threshold = *g.Threshold
	}
	return s
}

type groupRow struct {
	GroupID   string    `db:"group_id"`
	Mode      *string   `db:"mode"`
	Greeting  *string   `db:"greeting"`
	Threshold *float64  `db:"threshold"`
	UpdatedAt time.Time `db:"updated_at"`
}

// groupSettings reads a group's robot (no overrides when none is set).
func groupSettings(ctx context.Context, db querier, tenantID, groupID string) (GroupSettings, error) {
	var rows []groupRow
	const q = `SELECT group_id, mode, greeting, threshold, updated_at FROM robot_group_settings
		WHERE tenant_id = ? AND group_id = ?`
	if err := db.Select(ctx, &rows, q, tenantID, groupID); err != nil {
		return GroupSettings{}, fmt.Errorf("group robot settings: %w", err)
	}
	if len(rows) == 0 {
		return GroupSettings{GroupID: groupID}, nil
	}
	r := rows[0]
	g := GroupSettings{GroupID: r.GroupID, Greeting: r.Greeting, Threshold: r.Threshold, UpdatedAt: r.UpdatedAt}
	if r.Mode != nil {
		m := Mode(*r.Mode)
		g.Mode = &m
	}
	return g, nil
}

// effective is the robot of a conversation: its channel's, overridden by
// its group's when it is routed to one.
func effective(ctx context.Context, db querier, conv *hub.Conversation) (Settings, error) {
	s, err := settings(ctx, db, conv.TenantID, conv.ChannelID)
	if err != nil || conv.GroupID == nil || *conv.GroupID == "" {
		return s, err
	}
	g, err := groupSettings(ctx, db, conv.TenantID, *conv.GroupID)
	if err != nil {
		return Settings{}, err
	}
	return g.over(s), nil
}

// GroupSettings reads a group's robot overrides; another tenant's group is
// not found.
func (r *Robot) GroupSettings(ctx context.Context, tenantID, groupID string) (GroupSettings, error) {
	if err := r.ownGroup(ctx, tenantID, groupID); err != nil {
		return GroupSettings{}, err
	}
	return groupSettings(ctx, r.k, tenantID, groupID)
}

// SetGroupSettings changes a group's robot overrides (all nil: the group
// follows its channels again).
func (r *Robot) SetGroupSettings(ctx context.Context, tenantID, groupID string, g GroupSettings) (GroupSettings, error) {
	if err := r.ownGroup(ctx, tenantID, groupID); err != nil {
		return GroupSettings{}, err
	}
	if err := g.validate(); err != nil {
		return GroupSettings{}, err
	}
	g.GroupID, g.UpdatedAt = groupID, r.k.Now()
	var mode *string
	if g.Mode != nil {
		m := string(*g.Mode)
		mode = &m
	}
	const q = `INSERT INTO robot_group_settings (group_id, tenant_id, mode, greeting, threshold, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_id) DO UPDATE SET mode = excluded.mode,
		greeting = excluded.greeting, threshold = excluded.threshold, updated_at = excluded.updated_at`
	if _, err := r.k.Exec(ctx, q, groupID, tenantID, mode, g.Greeting, g.Threshold, g.UpdatedAt); err != nil {
		return GroupSettings{}, fmt.Errorf("save group robot settings: %w", err)
	}
	r.mu.Lock()
	delete(r.active, tenantID) // this process sees the change at once
	r.mu.Unlock()
	return g, nil
}

// ClearGroupSettings removes a group's robot overrides: its conversations
// follow their channel's robot again. A group without overrides is
// cleared already; another tenant's group is not found.
func (r *Robot) ClearGroupSettings(ctx context.Context, tenantID, groupID string) (GroupSettings, error) {
	if err := r.ownGroup(ctx, tenantID, groupID); err != nil {
		return GroupSettings{}, err
	}
	const q = `DELETE FROM robot_group_settings WHERE tenant_id = ? AND group_id = ?`
	if _, err := r.k.Exec(ctx, q, tenantID, groupID); err != nil {
		return GroupSettings{}, fmt.Errorf("clear group robot settings: %w", err)
	}
	r.mu.Lock()
	delete(r.active, tenantID) // this process sees the change at once
	r.mu.Unlock()
	return GroupSettings{GroupID: groupID}, nil
}

func (r *Robot) ownGroup(ctx context.Context, tenantID, groupID string) error {
	if r.groups == nil {
		return fmt.Errorf("group %s: %w", groupID, hub.ErrNotFound)
	}
	return r.groups.Exists(ctx, tenantID, groupID)
}
