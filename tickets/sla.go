package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Policy is an SLA target for the tickets of a priority (and, when GroupID
// is set, of that group): minutes of working time — the business hours of
// the ticket's group, or calendar time when it has none — until the first
// public reply and until the ticket is solved. 0 sets no target.
type Policy struct {
	Priority             Priority `json:"priority"`
	GroupID              string   `json:"group_id,omitempty"`
	FirstResponseMinutes int      `json:"first_response_minutes"`
	ResolutionMinutes    int      `json:"resolution_minutes"`
}

// SLAState is how far a ticket's clock got: running, warned (80 % of the
// target passed) or breached.
type SLAState int

// SLA states, in the order the sweeper moves through them.
const (
	SLARunning SLAState = iota
	SLAWarned
	SLABreached
)

var slaNames = []string{"running", "warning", "breached"}

// MarshalText names the state.
func (s SLAState) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(slaNames) {
		return []byte("running"), nil
	}
	return []byte(slaNames[s]), nil
}

// EvTicketSLA warns a ticket's assignee, followers and the tenant's
// supervisors that an SLA clock reached 80 % of its target or was breached.
const EvTicketSLA hub.EventType = "ticket.sla"

// warnShare is the part of a target after which the assignee is warned.
const warnShare = 0.8

// maxTarget bounds a target: a year of minutes.
const maxTarget = 525600

// Policies returns a tenant's SLA policies.
func (s *Store) Policies(ctx context.Context, tenantID string) ([]Policy, error) {
	return policies(ctx, s.k, tenantID)
}

func policies(ctx context.Context, q store.Querier, tenantID string) ([]Policy, error) {
	var raw []string
	if err := q.Select(ctx, &raw, `SELECT policies FROM sla_policies WHERE tenant_id = ?`, tenantID); err != nil {
		return nil, fmt.Errorf("read sla policies: %w", err)
	}
	out := []Policy{}
	if len(raw) > 0 {
		_ = json.Unmarshal([]byte(raw[0]), &out) // written by SetPolicies; none on damage
	}
	return out, nil
}

// SetPolicies replaces a tenant's SLA policies. Tickets created or whose
// priority or group change afterwards get the new targets.
func (s *Store) SetPolicies(ctx context.Context, tenantID string, ps []Policy) ([]Policy, error) {
	if ps == nil {
		ps = []Policy{}
	}
	seen := map[[2]string]bool{}
	for i, p := range ps {
		if !p.Priority.valid() {
			return nil, fmt.Errorf("%w: policies[%d].priority must be low, normal, high or urgent", ErrInvalid, i)
		}
		if p.FirstResponseMinutes < 0 || p.ResolutionMinutes < 0 || p.FirstResponseMinutes > maxTarget || p.ResolutionMinutes > maxTarget {
			return nil, hub.Coded("sla_target", fmt.Errorf("目标时间须在0到525600分钟之间 (policies[%d]: targets are 0 to 525600 minutes): %w", i, ErrInvalid))
		}
		key := [2]string{string(p.Priority), p.GroupID}
		if seen[key] {
			return nil, hub.Coded("sla_duplicate", fmt.Errorf("同一优先级和分组只能有一条规则 (policies[%d] repeats priority %s for the same group): %w", i, p.Priority, ErrInvalid))
		}
		seen[key] = true
		if p.GroupID != "" {
			if err := s.check(ctx, tenantID, Change{GroupID: &ps[i].GroupID}); err != nil {
				return nil, err
			}
		}
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return nil, fmt.Errorf("encode sla policies: %w", err)
	}
	const q = `INSERT INTO sla_policies (tenant_id, policies) VALUES (?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET policies = excluded.policies`
	if _, err := s.k.Exec(ctx, q, tenantID, string(b)); err != nil {
		return nil, fmt.Errorf("save sla policies: %w", err)
	}
	return ps, nil
}

// match is the policy for a ticket: its group's rule for its priority
// first, then the rule for the priority in any group.
func match(ps []Policy, pr Priority, group *string) *Policy {
	var any *Policy
	for i, p := range ps {
		if p.Priority != pr {
			continue
		}
		if p.GroupID != "" && group != nil && p.GroupID == *group {
			return &ps[i]
		}
		if p.GroupID == "" {
			any = &ps[i]
		}
	}
	return any
}

// clock is the working-time clock of a ticket's group: its business hours
// in the tenant's time zone, calendar time without a group or hours.
func clock(ctx context.Context, q store.Querier, tenantID string, group *string) (hub.Clock, error) {
	if group == nil || *group == "" {
		return hub.Clock{}, nil
	}
	var rows []struct {
		Settings string `db:"settings"`
		Timezone string `db:"timezone"`
	}
	const sq = `SELECT g.settings, t.timezone FROM agent_groups g JOIN tenants t ON t.id = g.tenant_id
		WHERE g.tenant_id = ? AND g.id = ?`
	if err := q.Select(ctx, &rows, sq, tenantID, *group); err != nil {
		return hub.Clock{}, fmt.Errorf("group hours: %w", err)
	}
	if len(rows) == 0 {
		return hub.Clock{}, nil
	}
	var gs struct {
		Hours *hub.Hours `json:"business_hours"`
	}
	_ = json.Unmarshal([]byte(rows[0].Settings), &gs) // the group's settings; calendar time on damage
	return gs.Hours.Clock(rows[0].Timezone), nil
}

// clocks is a ticket's SLA columns.
type clocks struct {
	Status        Status     `db:"status"`
	Priority      Priority   `db:"priority"`
	GroupID       *string    `db:"group_id"`
	CreatedAt     time.Time  `db:"created_at"`
	DueAt         *time.Time `db:"due_at"`
	ResponseDue   *time.Time `db:"first_response_due_at"`
	ResponseWarn  *time.Time `db:"first_response_warn_at"`
	RespondedAt   *time.Time `db:"first_responded_at"`
	ResponseSLA   SLAState   `db:"first_response_sla"`
	ResolveWarn   *time.Time `db:"resolution_warn_at"`
	ResolveSLA    SLAState   `db:"resolution_sla"`
	PausedAt      *time.Time `db:"sla_paused_at"`
	PausedSeconds int64      `db:"sla_paused_seconds"`
	NextDue       *time.Time `db:"next_due_at"`
}

const clockCols = `status, priority, group_id, created_at, due_at, first_response_due_at, first_response_warn_at,
	first_responded_at, first_response_sla, resolution_warn_at, resolution_sla, sla_paused_at, sla_paused_seconds, next_due_at`

// running reports whether the resolution clock runs in a status: it
// stands while the ticket waits on the customer, is solved or closed.
func running(s Status) bool { return s == StatusNew || s == Open }

// happened is what moved a ticket's clocks.
type happened struct {
	retarget  bool // created, or its priority or group changed
	responded bool // an agent's first public reply
	manualDue bool // an agent set the due time by hand
}

// stage is where a clock stands at now given its warning and due times.
func stage(now time.Time, warn, due *time.Time) SLAState {
	switch {
	case due != nil && !now.Before(*due):
		return SLABreached
	case warn != nil && !now.Before(*warn):
		return SLAWarned
	}
	return SLARunning
}

func at(t time.Time) *time.Time { return &t }

// minutes is a target as a duration.
func minutes(n int, share float64) time.Duration {
	return time.Duration(float64(n) * share * float64(time.Minute))
}

// step moves a ticket's clocks for what happened at now, given its policy
// and its group's working-time clock. It is pure: the SLA rules, in one
// place.
//   - Targets count from creation; a retarget (priority or group changed)
//     recounts them with the new policy, keeping the time already paused.
//   - The first public reply stops the first-response clock.
//   - The resolution clock stands while the ticket is pending, solved or
//     closed; when it runs again its due time moves by the working time it
//     stood.
//   - A warned or breached flag is only lowered (a later due time), never
//     raised here: raising it is the sweeper's, which also tells people.
func (c clocks) step(now time.Time, p *Policy, cal hub.Clock, h happened) clocks {
	if h.responded && c.RespondedAt == nil {
		c.RespondedAt = at(now)
	}
	if h.retarget {
		c.ResponseDue, c.ResponseWarn = nil, nil
		if p != nil && p.FirstResponseMinutes > 0 {
			c.ResponseDue = at(cal.Add(c.CreatedAt, minutes(p.FirstResponseMinutes, 1)))
			c.ResponseWarn = at(cal.Add(c.CreatedAt, minutes(p.FirstResponseMinutes, warnShare)))
		}
		if p != nil && p.ResolutionMinutes > 0 && !h.manualDue {
			paused := time.Duration(c.PausedSeconds) * time.Second
			c.DueAt = at(cal.Add(c.CreatedAt, minutes(p.ResolutionMinutes, 1)+paused))
			c.ResolveWarn = at(cal.Add(c.CreatedAt, minutes(p.ResolutionMinutes, warnShare)+paused))
		} else {
			c.ResolveWarn = c.DueAt
		}
	}
	if h.manualDue {
		c.ResolveWarn = c.DueAt
	}
	switch {
	case !running(c.Status) && c.PausedAt == nil:
		c.PausedAt = at(now)
	case running(c.Status) && c.PausedAt != nil:
		stood := cal.Between(*c.PausedAt, now)
		c.PausedSeconds += int64(stood / time.Second)
		if c.DueAt != nil {
			c.DueAt = at(cal.Add(*c.DueAt, stood))
		}
		if c.ResolveWarn != nil {
			c.ResolveWarn = at(cal.Add(*c.ResolveWarn, stood))
		}
		c.PausedAt = nil
	}
	c.ResponseSLA = min(c.ResponseSLA, stage(now, c.ResponseWarn, c.ResponseDue))
	if c.PausedAt == nil {
		c.ResolveSLA = min(c.ResolveSLA, stage(now, c.ResolveWarn, c.DueAt))
	}
	c.NextDue = nil
	if c.Status != Solved && c.Status != Closed && c.RespondedAt == nil && c.ResponseDue != nil {
		c.NextDue = c.ResponseDue
	}
	if running(c.Status) && c.DueAt != nil && (c.NextDue == nil || c.DueAt.Before(*c.NextDue)) {
		c.NextDue = c.DueAt
	}
	return c
}

// moveClocks applies what happened to a ticket's clocks, in the caller's
// transaction.
func moveClocks(ctx context.Context, tx *store.Tx, tenantID, id string, h happened) error {
	var c clocks
	if err := tx.Get(ctx, &c, `SELECT `+clockCols+` FROM tickets WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("read ticket clocks: %w", err)
	}
	ps, err := policies(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	cal, err := clock(ctx, tx, tenantID, c.GroupID)
	if err != nil {
		return err
	}
	c = c.step(tx.Now(), match(ps, c.Priority, c.GroupID), cal, h)
	const up = `UPDATE tickets SET due_at = ?, first_response_due_at = ?, first_response_warn_at = ?, first_responded_at = ?,
		first_response_sla = ?, resolution_warn_at = ?, resolution_sla = ?, sla_paused_at = ?, sla_paused_seconds = ?, next_due_at = ?
		WHERE tenant_id = ? AND id = ?`
	if _, err := tx.Exec(ctx, up, c.DueAt, c.ResponseDue, c.ResponseWarn, c.RespondedAt, c.ResponseSLA, c.ResolveWarn,
		c.ResolveSLA, c.PausedAt, c.PausedSeconds, c.NextDue, tenantID, id); err != nil {
		return fmt.Errorf("move ticket clocks: %w", err)
	}
	return nil
}

// Follow makes an agent a follower of a ticket: they see it in their
// "following" view (even when it is another's) and get its SLA warnings.
func (s *Store) Follow(ctx context.Context, tenantID, ticketID, agentID string) (*Ticket, error) {
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO ticket_followers (ticket_id, agent_id, tenant_id, created_at)
			SELECT id, ?, tenant_id, ? FROM tickets WHERE tenant_id = ? AND id = ? ON CONFLICT DO NOTHING`
		if _, err := tx.Exec(ctx, q, agentID, tx.Now(), tenantID, ticketID); err != nil {
			return fmt.Errorf("follow ticket: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, tenantID, ticketID)
}

// Unfollow stops an agent following a ticket.
func (s *Store) Unfollow(ctx context.Context, tenantID, ticketID, agentID string) (*Ticket, error) {
	const q = `DELETE FROM ticket_followers WHERE tenant_id = ? AND ticket_id = ? AND agent_id = ?`
	if _, err := s.k.Exec(ctx, q, tenantID, ticketID, agentID); err != nil {
		return nil, fmt.Errorf("unfollow ticket: %w", err)
	}
	return s.Get(ctx, tenantID, ticketID)
}

// due is a ticket the sweeper looks at.
type due struct {
	ID           string     `db:"id"`
	TenantID     string     `db:"tenant_id"`
	AssigneeID   *string    `db:"assignee_id"`
	Subject      string     `db:"subject"`
	Status       Status     `db:"status"`
	ResponseDue  *time.Time `db:"first_response_due_at"`
	ResponseWarn *time.Time `db:"first_response_warn_at"`
	ResponseSLA  SLAState   `db:"first_response_sla"`
	DueAt        *time.Time `db:"due_at"`
	ResolveWarn  *time.Time `db:"resolution_warn_at"`
	ResolveSLA   SLAState   `db:"resolution_sla"`
}

// Sweep raises the SLA flags of every tenant's tickets whose clocks passed
// 80 % of a target or the target itself, and tells the assignee (or, with
// none, the supervisors), the followers and the supervisors with a
// ticket.sla event. Each flag is raised by a conditional UPDATE, so when two
// hub processes sweep at once only one flags a ticket and tells people;
// the due times are stored, so a restarted hub finds what it missed. It
// returns how many flags it raised.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	now := s.k.Now()
	// A clock's warning time is never after its due time, so both
	// conditions start with warn_at <= now: a range on the partial indexes
	// of the clocks not yet breached.
	const cols = `SELECT id, tenant_id, assignee_id, subject, status, first_response_due_at, first_response_warn_at,
		first_response_sla, due_at, resolution_warn_at, resolution_sla FROM tickets WHERE `
	var ds []due
	for _, cond := range []string{
		`first_response_sla < 2 AND first_response_warn_at <= ? AND first_responded_at IS NULL
			AND status IN ('new', 'open', 'pending') AND (first_response_sla = 0 OR first_response_due_at <= ?)`,
		`resolution_sla < 2 AND resolution_warn_at <= ? AND status IN ('new', 'open')
			AND (resolution_sla = 0 OR due_at <= ?)`,
	} {
		var part []due
		if err := s.k.Select(ctx, &part, cols+cond+` LIMIT 500`, now, now); err != nil {
			return 0, fmt.Errorf("find due tickets: %w", err)
		}
		ds = append(ds, part...)
	}
	n := 0
	for _, d := range ds {
		for _, c := range []struct {
			name, col string
			state     SLAState
			warn, due *time.Time
			on        bool
		}{
			{"first_response", "first_response_sla", d.ResponseSLA, d.ResponseWarn, d.ResponseDue, d.Status != Solved && d.Status != Closed},
			{"resolution", "resolution_sla", d.ResolveSLA, d.ResolveWarn, d.DueAt, running(d.Status)},
		} {
			to := stage(now, c.warn, c.due)
			if !c.on || to <= c.state {
				continue
			}
			raised, err := s.raise(ctx, d, c.name, c.col, to, c.due)
			if err != nil {
				return n, err
			}
			if raised {
				n++
			}
		}
	}
	return n, nil
}

// raise sets one clock's flag if nobody did yet and tells its audience.
func (s *Store) raise(ctx context.Context, d due, name, col string, to SLAState, dueAt *time.Time) (bool, error) {
	raised := false
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE tickets SET `+col+` = ? WHERE id = ? AND `+col+` < ?`, to, d.ID, to)
		if err != nil || n == 0 {
			return err
		}
		raised = true
		var followers []string
		if err := tx.Select(ctx, &followers, `SELECT agent_id FROM ticket_followers WHERE ticket_id = ? ORDER BY agent_id`, d.ID); err != nil {
			return fmt.Errorf("ticket followers: %w", err)
		}
		audience := []string{""} // supervisors, when nobody has it
		if d.AssigneeID != nil {
			audience[0] = *d.AssigneeID
		}
		for _, f := range followers {
			if f != audience[0] {
				audience = append(audience, f)
			}
		}
		level, _ := to.MarshalText()
		for _, a := range audience {
			tx.Emit(hub.Event{TenantID: d.TenantID, Type: EvTicketSLA, AgentID: a},
				map[string]any{"ticket_id": d.ID, "subject": d.Subject, "clock": name, "level": string(level), "due_at": dueAt})
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("flag ticket %s: %w", d.ID, err)
	}
	return raised, nil
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Store) RunSweeper(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("ticket sla sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
