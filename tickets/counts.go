package tickets

import (
	"context"
	"fmt"
)

// open spells the unresolved tickets as the partial indexes' condition
// does (statuses are only ever the five valid ones), so that each count
// below is a range of one of those indexes.
const open = `status <> 'solved' AND status <> 'closed'`

// Counts counts the tickets of each view an agent sees (viewer "" for
// admins and supervisors, who see every ticket), each view a count over a
// range of an index holding that view's tickets only, so that a badge
// costs what its view holds rather than every unresolved ticket: mine and
// unassigned on tickets_unresolved (tenant, assignee), group on
// tickets_open_group (tenant, group), following through the followers'
// index, overdue as the tickets past a due time on tickets_open_due plus
// the breached ones not past one on tickets_breached, all from the
// per-assignee totals kept in ticket_totals.
func (s *Store) Counts(ctx context.Context, tenantID, me, viewer string) (map[string]int, error) {
	now := s.k.Now()
	// seen: what a plain agent sees of others' tickets (the viewer's own
	// views hold only what they see)
	seen, sargs := "", []any(nil)
	if viewer != "" {
		seen, sargs = ` AND (assignee_id IS NULL OR assignee_id = ? OR `+followed+`)`, []any{viewer, viewer}
	}
	all, aargs := `SELECT COALESCE(SUM(n), 0) FROM ticket_totals WHERE tenant_id = ?`, []any{tenantID}
	if viewer != "" {
		all = `SELECT COALESCE(SUM(n), 0) FROM ticket_totals WHERE tenant_id = ? AND assignee_id IN ('', ?)) + (SELECT COUNT(*)
			FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id WHERE f.agent_id = ? AND t.tenant_id = ?
			AND t.assignee_id <> ?`
		aargs = []any{tenantID, viewer, viewer, tenantID, viewer}
	}
	q := `SELECT
		(SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND assignee_id = ? AND ` + open + `) AS v_mine,
		(SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND assignee_id IS NULL AND ` + open + `) AS v_unassigned,
		(SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND group_id IN (SELECT m.group_id FROM group_members m
			WHERE m.agent_id = ?) AND ` + open + seen + `) AS v_group,
		(SELECT COUNT(*) FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id WHERE f.agent_id = ?
			AND t.tenant_id = ? AND t.status <> 'solved' AND t.status <> 'closed') AS v_following,
		(SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND next_due_at < ? AND ` + open + seen + `)
		+ (SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND (first_response_sla = 2 OR resolution_sla = 2)
			AND ` + open + ` AND (next_due_at IS NULL OR next_due_at >= ?)` + seen + `) AS v_overdue,
		(` + all + `) AS v_all`
	args := []any{tenantID, me, tenantID, tenantID, me}
	args = append(append(args, sargs...), me, tenantID, tenantID, now)
	args = append(append(args, sargs...), tenantID, now)
	args = append(append(args, sargs...), aargs...)
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
