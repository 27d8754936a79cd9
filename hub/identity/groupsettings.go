package identity

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/routing"
)

// GroupSettings are how a group takes conversations (the admin's routing
// page for the group).
type GroupSettings struct {
	// Policy is load (客服型), daily_balance (销售型) or round_robin (轮流).
	Policy routing.Policy `json:"policy"`
	// ReturningFirst sends a returning customer to the agent who served them
	// last, when that agent is eligible (回头客优先; on by default).
	ReturningFirst bool `json:"returning_first"`
	// ReturningDays is how far back "served them last" looks.
	ReturningDays int `json:"returning_days"`
	// OverflowGroupID is where conversations flow when this group cannot
	// take them: at once when its agents are all full, closed or absent;
	// after OverflowAfter seconds when they are signed in but busy.
	OverflowGroupID string `json:"overflow_group_id,omitempty"`
	OverflowAfter   int    `json:"overflow_after_seconds"`
	// Hours are the business hours; outside them nobody of the group is
	// eligible (no windows: always open).
	Hours *routing.Hours `json:"business_hours,omitempty"`
	// MaxQueue caps how many conversations wait for this group (0: no cap);
	// beyond it the customer is offered to leave a message (a ticket).
	MaxQueue int `json:"max_queue"`
	// MaxWait is how long a conversation waits before the customer is
	// offered to leave a message (0: no limit).
	MaxWait int `json:"max_wait_seconds"`
	// OfflineMessage replaces the channel's offline auto-reply for this group.
	OfflineMessage string `json:"offline_message,omitempty"`
	// AllowPickup lets the group's agents take its queued conversations
	// themselves (admins and supervisors always may).
	AllowPickup bool `json:"allow_pickup"`
}

// DefaultGroupSettings is what a group starts with.
func DefaultGroupSettings() GroupSettings {
	return GroupSettings{Policy: routing.Load, ReturningFirst: true, ReturningDays: 30}
}

func parseGroupSettings(raw string) GroupSettings {
	gs := DefaultGroupSettings()
	_ = json.Unmarshal([]byte(raw), &gs) // written by us; defaults on damage
	if !gs.Policy.Valid() {
		gs.Policy = routing.Load
	}
	return gs
}

// GroupPatch changes a group; nil fields stay as they are.
type GroupPatch struct {
	Name            *string         `json:"name"`
	AgentIDs        *[]string       `json:"agent_ids"`
	Policy          *routing.Policy `json:"policy"`
	ReturningFirst  *bool           `json:"returning_first"`
	ReturningDays   *int            `json:"returning_days"`
	OverflowGroupID *string         `json:"overflow_group_id"`
	OverflowAfter   *int            `json:"overflow_after_seconds"`
	Hours           *routing.Hours  `json:"business_hours"`
	MaxQueue        *int            `json:"max_queue"`
	MaxWait         *int            `json:"max_wait_seconds"`
	OfflineMessage  *string         `json:"offline_message"`
	AllowPickup     *bool           `json:"allow_pickup"`
}

const week = 7 * 24 * 3600

func (p GroupPatch) apply(gs *GroupSettings) error {
	set(&gs.Policy, p.Policy)
	set(&gs.ReturningFirst, p.ReturningFirst)
	set(&gs.ReturningDays, p.ReturningDays)
	set(&gs.OverflowGroupID, p.OverflowGroupID)
	set(&gs.OverflowAfter, p.OverflowAfter)
	set(&gs.MaxQueue, p.MaxQueue)
	set(&gs.MaxWait, p.MaxWait)
	set(&gs.OfflineMessage, p.OfflineMessage)
	set(&gs.AllowPickup, p.AllowPickup)
	if p.Hours != nil {
		gs.Hours = p.Hours
		if len(p.Hours.Weekly) == 0 {
			gs.Hours = nil
		}
	}
	switch {
	case !gs.Policy.Valid():
		return hub.BadField("input_choice", "policy", "policy must be load, daily_balance or round_robin")
	case gs.ReturningDays < 0 || gs.ReturningDays > 3650:
		return hub.BadField("input_range", "returning_days", "returning_days must be between 0 and 3650", "min", "0", "max", "3650")
	case gs.OverflowAfter < 0 || gs.OverflowAfter > week:
		return hub.BadField("input_range", "overflow_after_seconds", fmt.Sprintf("overflow_after_seconds must be between 0 and %d", week), "min", "0", "max", strconv.Itoa(week))
	case gs.MaxQueue < 0 || gs.MaxQueue > 100000:
		return hub.BadField("input_range", "max_queue", "max_queue must be between 0 and 100000", "min", "0", "max", "100000")
	case gs.MaxWait < 0 || gs.MaxWait > week:
		return hub.BadField("input_range", "max_wait_seconds", fmt.Sprintf("max_wait_seconds must be between 0 and %d", week), "min", "0", "max", strconv.Itoa(week))
	case len(gs.OfflineMessage) > 2000:
		return hub.BadField("input_too_long", "offline_message", "offline_message is longer than 2000 bytes", "max", "2000")
	}
	if err := gs.Hours.Validate(); err != nil {
		return hub.BadField("input_format", "business_hours", fmt.Sprintf("business_hours: %v", err))
	}
	return nil
}
