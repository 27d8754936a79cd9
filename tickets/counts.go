package tickets

import (
	"context"
	"fmt"
)

// open spells the unresolved tickets as the partial indexes' condition
// does (statuses are only ever the five valid ones).
const open = `status <> 'solved' AND status <> 'closed'`

// Counts counts the tickets of each view an agent sees (viewer "" for
// admins and supervisors, who see every ticket) without reading the
// tickets of the big views: mine, unassigned, group and all are sums of a
// few rows of ticket_counters (tickets per assignee, group and resolved or
// not, kept by triggers with every change); following counts the agent's
// followed tickets, overdue the tickets past a due time (tickets_open_due)
// plus the breached ones not past one (tickets_breached) — the clock moves
// those, so they are counted, over indexes that hold only them. A plain
// agent's group and all add the tickets they follow among others'.
func (s *Store) Counts(ctx context.Context, tenantID, me, viewer string) (map[string]int, error) {
	const sum, groups = `SELECT COALESCE(SUM(n), 0) FROM ticket_counters WHERE tenant_id = ?`,
		`SELECT m.group_id FROM group_members m WHERE m.agent_id = ?`
	// the agent's follows first (CROSS JOIN keeps SQLite, which has no
	// statistics, from walking every unresolved ticket instead)
	const follows = `SELECT COUNT(*) FROM ticket_followers f CROSS JOIN tickets t WHERE t.id = f.ticket_id AND f.agent_id = ?
		AND t.tenant_id = ?`
	// SQLite, without statistics, would count the breached tickets on the
	// wider covering index of every unresolved ticket
	breached := ""
	if !s.k.Postgres {
		breached = ` INDEXED BY tickets_breached`
	}
	now := s.k.Now()
	// seen: what a plain agent sees of others' tickets (the viewer's own
	// views hold only what they see); theirs: the same on the counters
	seen, sargs, theirs, targs := "", []any(nil), "", []any(nil)
	group := `(` + sum + ` AND unresolved = 1 AND group_id IN (` + groups + `))`
	gargs := []any{tenantID, me}
	all, aargs := `(`+sum+`)`, []any{tenantID}
	if viewer != "" {
		seen, sargs = ` AND (assignee_id IS NULL OR assignee_id = ? OR `+followed+`)`, []any{viewer, viewer}
		theirs, targs = ` AND assignee_id IN ('', ?)`, []any{viewer}
		group = `(` + sum + ` AND unresolved = 1 AND group_id IN (` + groups + `)` + theirs + `) + (` + follows + `
			AND t.status <> 'solved' AND t.status <> 'closed' AND t.group_id IN (` + groups + `) AND t.assignee_id <> ?)`
		gargs = append(append(gargs, targs...), viewer, tenantID, me, viewer)
		all = `(` + sum + theirs + `) + (` + follows + ` AND t.assignee_id <> ?)`
		aargs = append(append(aargs, targs...), viewer, tenantID, viewer)
	}
	q := `SELECT
		(` + sum + ` AND unresolved = 1 AND assignee_id = ?) AS v_mine,
		(` + sum + ` AND unresolved = 1 AND assignee_id = '') AS v_unassigned,
		` + group + ` AS v_group,
		(` + follows + ` AND t.status <> 'solved' AND t.status <> 'closed') AS v_following,
		(SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND next_due_at < ? AND ` + open + seen + `)
		+ (SELECT COUNT(*) FROM tickets` + breached + ` WHERE tenant_id = ? AND (first_response_sla = 2 OR resolution_sla = 2)
			AND ` + open + ` AND (next_due_at IS NULL OR next_due_at >= ?)` + seen + `) AS v_overdue,
		` + all + ` AS v_all`
	args := append([]any{tenantID, me, tenantID}, gargs...)
	args = append(append(args, me, tenantID, tenantID, now), sargs...)
	args = append(append(args, tenantID, now), sargs...)
	args = append(args, aargs...)
	var c struct {
		Mine       int `db:"v_mine"`
		Unassigned int `db:"v_unassigned"`
		Group      int `db:"v_group"`
		Following  int `db:"v_following"`
		Overdue    int `db:"v_overdue"`
		All        int `db:"v_all"`
	}
	if err := s.k.Get(ctx, &c, q, args...); err != nil {
		return nil, fmt.Errorf("count tickets: %w", err)
	}
	return map[string]int{"mine": c.Mine, "unassigned": c.Unassigned, "group": c.Group, "following": c.Following,
		"overdue": c.Overdue, "all": c.All}, nil
}
