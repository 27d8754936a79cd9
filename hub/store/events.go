package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kefu-hub/kefu/hub"
)

// The event log: every stored event has an id that is gap-free per tenant
// and committed in order (the tenant's counter row is locked until commit),
// so a client resumes from the last id it saw and the server replays the
// rest from here.

const (
	qReserveEvents = `INSERT INTO event_counters (tenant_id, last_id) VALUES (?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET last_id = event_counters.last_id + excluded.last_id RETURNING last_id`
	eventCols = `tenant_id, id, type, conversation_id, agent_id, payload, created_at`
)

// flushEvents numbers the transaction's events per tenant, stores them and
// runs the hooks for each.
func (s *Store) flushEvents(ctx context.Context, tx *Tx) error {
	if len(tx.events) == 0 {
		return nil
	}
	byTenant := map[string][]int{}
	var tenants []string
	for i, e := range tx.events {
		if _, ok := byTenant[e.TenantID]; !ok {
			tenants = append(tenants, e.TenantID)
		}
		byTenant[e.TenantID] = append(byTenant[e.TenantID], i)
	}
	sort.Strings(tenants)
	now := s.now()
	for _, t := range tenants {
		idx := byTenant[t]
		var last int64
		if err := tx.Get(ctx, &last, qReserveEvents, t, len(idx)); err != nil {
			return fmt.Errorf("reserve event ids: %w", err)
		}
		first := last - int64(len(idx)) + 1
		for k, i := range idx {
			tx.events[i].ID, tx.events[i].CreatedAt = first+int64(k), now
		}
	}
	if err := s.insertEvents(ctx, tx); err != nil {
		return err
	}
	for i := range tx.events {
		for _, h := range s.hooks {
			if err := h(ctx, tx, &tx.events[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertEvents stores the events in multi-row inserts.
func (s *Store) insertEvents(ctx context.Context, tx *Tx) error {
	const per = 200
	for start := 0; start < len(tx.events); start += per {
		part := tx.events[start:min(start+per, len(tx.events))]
		rows := make([]string, len(part))
		args := make([]any, 0, 7*len(part))
		for i, e := range part {
			rows[i] = "(?, ?, ?, ?, ?, ?, ?)"
			args = append(args, e.TenantID, e.ID, e.Type, e.ConversationID, e.AgentID, string(e.Payload), e.CreatedAt)
		}
		q := `INSERT INTO events (` + eventCols + `) VALUES ` + strings.Join(rows, ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}
	return nil
}

// EventsAfter replays the events an agent may see after id, oldest first.
func (s *Store) EventsAfter(ctx context.Context, a *hub.Agent, after int64, limit int) ([]hub.Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE tenant_id = ? AND id > ?`
	args := []any{a.TenantID, after}
	if !a.SeesAll() {
		q += ` AND (agent_id = ? OR type = ?)` // as Event.VisibleTo
		args = append(args, a.ID, hub.EvTicketCreated)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	var evs []hub.Event
	if err := s.Select(ctx, &evs, q, args...); err != nil {
		return nil, fmt.Errorf("replay events: %w", err)
	}
	return evs, nil
}

// EventsRange returns a tenant's events with from <= id <= to, for filling
// gaps in the realtime stream.
func (s *Store) EventsRange(ctx context.Context, tenantID string, from, to int64) ([]hub.Event, error) {
	const q = `SELECT ` + eventCols + ` FROM events WHERE tenant_id = ? AND id >= ? AND id <= ? ORDER BY id`
	var evs []hub.Event
	if err := s.Select(ctx, &evs, q, tenantID, from, to); err != nil {
		return nil, fmt.Errorf("event range: %w", err)
	}
	return evs, nil
}

// LastEventID is the newest event id of a tenant (0 before its first).
func (s *Store) LastEventID(ctx context.Context, tenantID string) (int64, error) {
	var ids []int64
	if err := s.Select(ctx, &ids, `SELECT last_id FROM event_counters WHERE tenant_id = ?`, tenantID); err != nil {
		return 0, fmt.Errorf("last event id: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// EventHeads is the newest event id of every tenant that has events, for
// readers of the log that keep their own cursor (reports).
func (s *Store) EventHeads(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		TenantID string `db:"tenant_id"`
		LastID   int64  `db:"last_id"`
	}
	if err := s.Select(ctx, &rows, `SELECT tenant_id, last_id FROM event_counters`); err != nil {
		return nil, fmt.Errorf("event heads: %w", err)
	}
	heads := make(map[string]int64, len(rows))
	for _, r := range rows {
		heads[r.TenantID] = r.LastID
	}
	return heads, nil
}
