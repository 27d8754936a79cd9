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
// per key, largest backlog first; without By, one row of totals). A
// ticket counts as solved in a period when it was solved (or closed) in
// it, once however many times it was solved and reopened there; its solve
// time runs to its last solve in the period, and the backlog is the
// tickets created before the period's end not solved at that end — so a
// ticket solved, reopened and still open counts solved in the period of
// its solve and in the backlog after (as Zendesk's solved tickets and
// Chatwoot's resolution count do). The earlier solves of reopened tickets
// come from ticket_solves; the ticket's current one from the ticket.
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
	q := `SELECT id, ` + key + ` AS k, created_at, solved_at, closed_at, due_at, resolution_sla, first_response_due_at,
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
		ID      string     `db:"id"`
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
	earlier, err := s.reopenedSolves(ctx, tenantID, f)
	if err != nil {
		return nil, err
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
		last, doneAtEnd := solvesIn(f, append(earlier[r.ID], solve{at: done}))
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
		if !doneAtEnd {
			row.Backlog++
		}
		if last != nil {
			row.Solved++
			row.SolveSeconds += int64(max(0, last.Sub(r.Created)) / time.Second)
			if r.Due != nil {
				row.SolvedWithDue++
				if !last.After(*r.Due) && r.Resolve != SLABreached {
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

// solve is a time a ticket was solved (or closed) and, when it came back
// since, when it was reopened; at is nil for a ticket not solved now.
type solve struct {
	at, reopened *time.Time
}

// solvesIn is a ticket's last solve within the span (nil for none) and
// whether it was solved at the span's end.
func solvesIn(f ReportFilter, solves []solve) (*time.Time, bool) {
	var last *time.Time
	doneAtEnd := false
	for _, sv := range solves {
		if sv.at == nil || !sv.at.Before(f.To) {
			continue
		}
		if !sv.at.Before(f.From) && (last == nil || sv.at.After(*last)) {
			last = sv.at
		}
		if sv.reopened == nil || !sv.reopened.Before(f.To) {
			doneAtEnd = true
		}
	}
	return last, doneAtEnd
}

// reopenedSolves are the earlier solves of reopened tickets that matter
// to the span (reopened in or after it), by ticket.
func (s *Store) reopenedSolves(ctx context.Context, tenantID string, f ReportFilter) (map[string][]solve, error) {
	var rows []struct {
		TicketID string    `db:"ticket_id"`
		At       time.Time `db:"solved_at"`
		Reopened time.Time `db:"reopened_at"`
	}
	const q = `SELECT ticket_id, solved_at, reopened_at FROM ticket_solves
		WHERE tenant_id = ? AND solved_at < ? AND reopened_at >= ?`
	if err := s.k.Select(ctx, &rows, q, tenantID, f.To.UTC(), f.From.UTC()); err != nil {
		return nil, fmt.Errorf("tickets report solves: %w", err)
	}
	out := map[string][]solve{}
	for _, r := range rows {
		out[r.TicketID] = append(out[r.TicketID], solve{at: &r.At, reopened: &r.Reopened})
	}
	return out, nil
}
