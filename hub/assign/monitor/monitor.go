// Package monitor is the live monitor (实时监控) of a tenant: each agent's
// status, load and day so far, and the waiting line — computed from the
// database on each call, so every hub process of a cluster shows the same.
package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// MonitorAgent is one agent's line on the live monitor.
type MonitorAgent struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	EmployeeNo   string          `json:"employee_no"`
	Status       hub.AgentStatus `json:"status"`
	CurrentChats int             `json:"current_chats"`
	MaxChats     int             `json:"max_chats"`
	Disabled     bool            `json:"disabled"`
	// ChatsToday counts conversations the agent accepted (assigned, picked
	// up or transferred to them) since midnight in the tenant's time zone.
	ChatsToday int `json:"chats_today"`
	// RatingsToday counts the ratings customers gave since midnight to
	// conversations the agent held; RatingAvgToday is their mean score (0
	// when none).
	RatingsToday   int     `json:"ratings_today"`
	RatingAvgToday float64 `json:"rating_avg_today"`
}

// MonitorQueue is the tenant's waiting line.
type MonitorQueue struct {
	Length             int   `json:"length"`
	LongestWaitSeconds int64 `json:"longest_wait_seconds"`
}

// Monitor is the live monitor: computed from the database on each call, so
// every hub process of a cluster shows the same figures.
type Monitor struct {
	Agents  []MonitorAgent `json:"agents"`
	Queue   MonitorQueue   `json:"queue"`
	Tickets struct {
		Open int `json:"open"`
	} `json:"tickets"`
	Timezone string    `json:"timezone"`
	At       time.Time `json:"at"`
}

// Of computes the live monitor of a tenant's agents and queue (the caller
// adds the open tickets).
func Of(ctx context.Context, k *store.Store, r *assign.Router, ids *identity.Identity, tenantID string) (*Monitor, error) {
	now := k.Now()
	m := &Monitor{Agents: []MonitorAgent{}, Timezone: ids.Tenants.Timezone(ctx, tenantID), At: now}
	agents, err := ids.Agents.List(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	today, err := r.AcceptedSince(ctx, tenantID, routing.StartOfDay(now, m.Timezone))
	if err != nil {
		return nil, err
	}
	rated, err := ratedSince(ctx, k, tenantID, routing.StartOfDay(now, m.Timezone))
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		ma := MonitorAgent{ID: a.ID, Name: a.Name, EmployeeNo: a.EmployeeNo, Status: a.Status,
			CurrentChats: a.CurrentChats, MaxChats: a.MaxChats, Disabled: a.Disabled, ChatsToday: today[a.ID]}
		if r := rated[a.ID]; r.N > 0 {
			ma.RatingsToday, ma.RatingAvgToday = r.N, float64(int(float64(r.Total)/float64(r.N)*10+0.5))/10
		}
		m.Agents = append(m.Agents, ma)
	}
	n, oldest, err := r.Waiting(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	m.Queue.Length = n
	if oldest != nil {
		m.Queue.LongestWaitSeconds = max(0, int64(now.Sub(*oldest).Seconds()))
	}
	return m, nil
}

type ratedTotal struct {
	AgentID string `db:"agent_id"`
	N       int    `db:"n"`
	Total   int64  `db:"total"`
}

// ratedSince counts and sums the ratings given since t, by the agent who
// held the rated conversation.
func ratedSince(ctx context.Context, k *store.Store, tenantID string, t time.Time) (map[string]ratedTotal, error) {
	var rows []ratedTotal
	q := `SELECT c.assignee_id AS agent_id, COUNT(*) AS n, SUM(r.score) AS total FROM ratings r
		JOIN conversations c ON c.id = r.conversation_id
		WHERE r.tenant_id = ? AND r.created_at >= ? AND c.assignee_id IS NOT NULL GROUP BY c.assignee_id`
	if err := k.Select(ctx, &rows, q, tenantID, t); err != nil {
		return nil, fmt.Errorf("ratings today: %w", err)
	}
	out := make(map[string]ratedTotal, len(rows))
	for _, r := range rows {
		out[r.AgentID] = r
	}
	return out, nil
}
