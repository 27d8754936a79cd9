package tickets

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// ReportBy is what the tickets report groups by.
type ReportBy string

// The tickets report's breakdowns ("" for the totals alone).
const (
	ReportByChannel  ReportBy = "channel"
	ReportByPriority ReportBy = "priority"
	ReportByAgent    ReportBy = "agent"
	// ReportByOrigin tells leave-messages (offline) from tickets agents
	// opened themselves or from a conversation.
	ReportByOrigin ReportBy = "origin"
)

var reportCols = map[ReportBy]string{ReportByChannel: "channel_id", ReportByPriority: "priority",
	ReportByAgent: "assignee_id", ReportByOrigin: "origin"}

// ReportFilter is the span [From, To) of a tickets report and, when set,
// one channel, group, assignee or origin.
type ReportFilter struct {
	From, To  time.Time
	ChannelID string
	GroupID   string
	AgentID   string
	Origin    Origin
	By        ReportBy
}

// ReportRow is the tickets figures of one key of a breakdown (the totals:
// key ""). Solved counts tickets solved (or closed without being solved)
// in the span; Backlog those created before its end and not solved by
// then; the SLA figures are of the solved tickets that had a due time.
type ReportRow struct {
	Key     string `json:"key"`
	Created int64  `json:"created"`
	Solved  int64  `json:"solved"`
	Backlog int64  `json:"backlog"`
	// SolveSeconds sums solved − created of the solved tickets.
	SolveSeconds int64 `json:"solve_seconds"`
	// SolvedWithDue are the solved tickets that had a due time (an SLA
	// policy's resolution target, or one set by hand); SLAMet those of them
	// solved by it and never flagged as breached.
	SolvedWithDue int64 `json:"solved_with_due"`
	SLAMet        int64 `json:"sla_met"`
	// RespondedWithDue are the tickets first answered in the span that had
	// a first-response target; ResponseMet those answered by it.
	RespondedWithDue int64 `json:"responded_with_due"`
	ResponseMet      int64 `json:"response_met"`
}

// Report sums the tickets of the filter's span, per key of f.By (one row
// per key, largest backlog first; without By, one row of totals). It
// reads the tickets as they stand now: a reopened ticket lost its solved
// time and counts as never solved.
func (s *Store) Report(ctx context.Context, tenantID string, f ReportFilter) ([]ReportRow, error) {
	key := "''"
	if f.By != "" {
		if key = reportCols[f.By]; key == "" {
			return nil, fmt.Errorf("%w: by must be channel, priority, agent or origin", ErrInvalid)
		}
		key = "COALESCE(" + key + ", '')"
	}
	// the tickets alive in the span: created before its end, not done
	// before its start
	q := `SELECT ` + key + ` AS k, created_at, solved_at, closed_at, due_at, resolution_sla, first_response_due_at,
		first_responded_at, first_response_sla FROM tickets
		WHERE tenant_id = ? AND created_at < ? AND (COALESCE(solved_at, closed_at) IS NULL OR COALESCE(solved_at, closed_at) >= ?)`
	args := []any{tenantID, f.To.UTC(), f.From.UTC()}
	for col, v := range map[string]string{"channel_id": f.ChannelID, "group_id": f.GroupID, "assignee_id": f.AgentID,
		"origin": string(f.Origin)} {
		if v != "" {
			q += ` AND ` + col + ` = ?`
			args = append(args, v)
		}
	}
	var rows []struct {
		K       string     `db:"k"`
		Created time.Time  `db:"created_at"`
		Solved  *time.Time `db:"solved_at"`
		Closed  *time.Time `db:"closed_at"`
		Due     *time.Time `db:"due_at"`
		Resolve SLAState   `db:"resolution_sla"`
		RespDue *time.Time `db:"first_response_due_at"`
		RespAt  *time.Time `db:"first_responded_at"`
		Resp    SLAState   `db:"first_response_sla"`
	}
	if err := s.k.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("tickets report: %w", err)
	}
	by := map[string]*ReportRow{}
	if f.By == "" {
		by[""] = &ReportRow{}
	}
	for _, r := range rows {
		done := r.Solved
		if done == nil {
			done = r.Closed
		}
		row := by[r.K]
		if row == nil {
			row = &ReportRow{Key: r.K}
			by[r.K] = row
		}
		if !r.Created.Before(f.From) {
			row.Created++
		}
		if r.RespDue != nil && r.RespAt != nil && !r.RespAt.Before(f.From) && r.RespAt.Before(f.To) {
			row.RespondedWithDue++
			if !r.RespAt.After(*r.RespDue) && r.Resp != SLABreached {
				row.ResponseMet++
			}
		}
		switch {
		case done == nil || !done.Before(f.To):
			row.Backlog++
		case !done.Before(f.From):
			row.Solved++
			row.SolveSeconds += int64(max(0, done.Sub(r.Created)) / time.Second)
			if r.Due != nil {
				row.SolvedWithDue++
				if !done.After(*r.Due) && r.Resolve != SLABreached {
					row.SLAMet++
				}
			}
		}
	}
	out := make([]ReportRow, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Backlog+out[i].Created != out[j].Backlog+out[j].Created {
			return out[i].Backlog+out[i].Created > out[j].Backlog+out[j].Created
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}
