package core

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/routing"
)

// MonitorAgent is one agent's line on the live monitor.
type MonitorAgent struct {
	ID           string          `db:"id" json:"id"`
	Name         string          `db:"name" json:"name"`
	EmployeeNo   string          `db:"employee_no" json:"employee_no"`
	Status       hub.AgentStatus `db:"status" json:"status"`
	CurrentChats int             `db:"current_chats" json:"current_chats"`
	MaxChats     int             `db:"max_chats" json:"max_chats"`
	Disabled     bool            `db:"disabled" json:"disabled"`
	// ChatsToday counts conversations the agent accepted (assigned, picked
	// up or transferred to them) since midnight in the tenant's time zone.
	ChatsToday int `db:"-" json:"chats_today"`
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

// Monitor computes the live monitor of a tenant.
func (s *Store) Monitor(ctx context.Context, tenantID string) (*Monitor, error) {
	now := s.now()
	m := &Monitor{Agents: []MonitorAgent{}, Timezone: s.id.Tenants.Timezone(ctx, tenantID), At: now}
	agents, err := s.id.Agents.List(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		m.Agents = append(m.Agents, MonitorAgent{ID: a.ID, Name: a.Name, EmployeeNo: a.EmployeeNo, Status: a.Status,
			CurrentChats: a.CurrentChats, MaxChats: a.MaxChats, Disabled: a.Disabled})
	}
	today, err := s.acceptedSince(ctx, tenantID, routing.StartOfDay(now, m.Timezone))
	if err != nil {
		return nil, err
	}
	for i := range m.Agents {
		m.Agents[i].ChatsToday = today[m.Agents[i].ID]
	}
	var oldest []time.Time
	oq := `SELECT queued_at FROM conversations WHERE tenant_id = ? AND status = 'queued' AND queued_at IS NOT NULL
		ORDER BY queued_at LIMIT 1`
	if err := s.db.R.SelectContext(ctx, &oldest, s.db.R.Rebind(oq), tenantID); err != nil {
		return nil, fmt.Errorf("monitor queue: %w", err)
	}
	if len(oldest) == 1 {
		m.Queue.LongestWaitSeconds = max(0, int64(now.Sub(oldest[0]).Seconds()))
	}
	cq := `SELECT COUNT(*) FROM conversations WHERE tenant_id = ? AND status = 'queued'`
	if err := s.db.Get(ctx, &m.Queue.Length, cq, tenantID); err != nil {
		return nil, fmt.Errorf("monitor counts: %w", err)
	}
	return m, nil
}
