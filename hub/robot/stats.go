package robot

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// Stats are the robot's conversations of a span (counted apart from the
// people's): how many it worked, resolved alone, handed over (and why),
// and how customers rated its answers.
type Stats struct {
	Days int `json:"days"`
	// Engaged conversations the robot answered first.
	Engaged int `json:"engaged"`
	// Resolved ended without a person (closed while the robot had them).
	Resolved int `json:"resolved"`
	// Active are with the robot still.
	Active int `json:"active"`
	// HandedOver went to a person, by reason: asked (转人工), unanswered,
	// bot_handoff (an external bot asked), robot_error, robot_timeout.
	HandedOver int            `json:"handed_over"`
	Reasons    map[string]int `json:"reasons"`
	Helpful    int            `json:"helpful"`
	Unhelpful  int            `json:"unhelpful"`
}

// Stats counts the robot's conversations opened in the last days days (1 to 365).
func (r *Robot) Stats(ctx context.Context, tenantID string, days int) (Stats, error) {
	if days == 0 {
		days = 30
	}
	if days < 1 || days > 365 {
		return Stats{}, hub.Invalid("days is 1 to 365")
	}
	since := r.k.Now().Add(-time.Duration(days) * 24 * time.Hour)
	var rows []struct {
		State  string `db:"state"`
		Reason string `db:"reason"`
		Closed bool   `db:"closed"`
		N      int    `db:"n"`
	}
	const q = `SELECT rc.state, rc.reason, c.status = 'closed' AS closed, COUNT(*) AS n FROM robot_conversations rc
		JOIN conversations c ON c.id = rc.conversation_id WHERE rc.tenant_id = ? AND rc.created_at >= ?
		GROUP BY rc.state, rc.reason, c.status = 'closed'`
	if err := r.k.Select(ctx, &rows, q, tenantID, since); err != nil {
		return Stats{}, fmt.Errorf("robot stats: %w", err)
	}
	s := Stats{Days: days, Reasons: map[string]int{}}
	for _, row := range rows {
		s.Engaged += row.N
		switch {
		case row.State == stateHandedOver:
			s.HandedOver += row.N
			s.Reasons[row.Reason] += row.N
		case row.Closed:
			s.Resolved += row.N
		default:
			s.Active += row.N
		}
	}
	var rated []struct {
		Helpful bool `db:"helpful"`
		N       int  `db:"n"`
	}
	const r2 = `SELECT helpful, COUNT(*) AS n FROM robot_answers WHERE tenant_id = ? AND helpful IS NOT NULL
		AND rated_at >= ? GROUP BY helpful`
	if err := r.k.Select(ctx, &rated, r2, tenantID, since); err != nil {
		return Stats{}, fmt.Errorf("robot ratings: %w", err)
	}
	for _, x := range rated {
		if x.Helpful {
			s.Helpful += x.N
		} else {
			s.Unhelpful += x.N
		}
	}
	return s, nil
}
