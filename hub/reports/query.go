package reports

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Filter narrows a report: the half-open span [From, To) of instants
// (whole hours: the rollup's grain) and, when set, one channel, group or
// agent.
type Filter struct {
	From, To  time.Time
	ChannelID string
	GroupID   string
	AgentID   string
}

// where is the filter's WHERE clause over report_hours and its arguments.
func (f Filter) where(tenantID string) (string, []any) {
	w := ` WHERE tenant_id = ? AND hour >= ? AND hour < ?`
	args := []any{tenantID, f.From.Unix(), f.To.Unix()}
	for _, d := range []struct{ col, v string }{{"channel_id", f.ChannelID}, {"group_id", f.GroupID},
		{"agent_id", f.AgentID}} {
		if d.v != "" {
			w += ` AND ` + d.col + ` = ?`
			args = append(args, d.v)
		}
	}
	return w, args
}

// sums is the SELECT list summing every count column.
func sums() string {
	parts := make([]string, len(countCols))
	for i, c := range countCols {
		parts[i] = `CAST(COALESCE(SUM(` + c + `), 0) AS BIGINT) AS ` + c
	}
	return strings.Join(parts, ", ")
}

// Totals sums the filter's slice of the rollup. With an agent filter the
// conversations are the ones the agent took.
func (s *Store) Totals(ctx context.Context, tenantID string, f Filter) (Counts, error) {
	w, args := f.where(tenantID)
	var c Counts
	if err := s.k.Get(ctx, &c, `SELECT `+sums()+` FROM report_hours`+w, args...); err != nil {
		return c, fmt.Errorf("report totals: %w", err)
	}
	if f.AgentID != "" {
		c.Conversations = c.Taken
	}
	return c, nil
}

// HourCounts are the counts of one UTC hour.
type HourCounts struct {
	Hour int64 `db:"hour"` // unix seconds of the hour's start
	Counts
}

// Hours sums the filter's slice per hour, oldest first (hours without
// facts left out).
func (s *Store) Hours(ctx context.Context, tenantID string, f Filter) ([]HourCounts, error) {
	w, args := f.where(tenantID)
	var hs []HourCounts
	q := `SELECT hour, ` + sums() + ` FROM report_hours` + w + ` GROUP BY hour ORDER BY hour`
	if err := s.k.Select(ctx, &hs, q, args...); err != nil {
		return nil, fmt.Errorf("report hours: %w", err)
	}
	if f.AgentID != "" {
		for i := range hs {
			hs[i].Conversations = hs[i].Taken
		}
	}
	return hs, nil
}

// Dimension is what a breakdown groups by.
type Dimension string

// The dimensions of the rollup.
const (
	ByChannel Dimension = "channel_id"
	ByGroup   Dimension = "group_id"
	ByAgent   Dimension = "agent_id"
)

// KeyCounts are the counts of one channel, group or agent.
type KeyCounts struct {
	Key string `db:"k"`
	Counts
}

// By sums the filter's slice per channel, group or agent, largest volume
// first. Per agent, the conversations are the ones each agent took, and
// the row with the empty key (what no agent holds: conversations opened,
// abandoned, tickets) is left out.
func (s *Store) By(ctx context.Context, tenantID string, f Filter, d Dimension) ([]KeyCounts, error) {
	switch d {
	case ByChannel, ByGroup, ByAgent:
	default:
		return nil, fmt.Errorf("report dimension %q", d)
	}
	w, args := f.where(tenantID)
	var rows []KeyCounts
	q := `SELECT ` + string(d) + ` AS k, ` + sums() + ` FROM report_hours` + w + ` GROUP BY ` + string(d)
	if err := s.k.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("report by %s: %w", d, err)
	}
	if d == ByAgent || f.AgentID != "" {
		kept := rows[:0]
		for _, r := range rows {
			if r.Key != "" || d != ByAgent {
				r.Conversations = r.Taken
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Conversations != rows[j].Conversations {
			return rows[i].Conversations > rows[j].Conversations
		}
		return rows[i].Key < rows[j].Key
	})
	return rows, nil
}
