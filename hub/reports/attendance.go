package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Attendance (考勤) follows the agents' status events (agent.status):
// each agent's status as last seen, since when (report_agent_states), and
// per UTC hour the seconds spent online and busy, the first instant the
// agent was on (online or busy) and the last time they went offline
// (report_attendance). The seconds agents held conversations are summed
// into the same hours (held_seconds, from the held facts), for the
// average concurrency (平均并发会话数 = held ÷ time on). The intervals
// still open (an agent online now, a conversation held now) are added
// when read.

// agentHour is one row of report_attendance.
type agentHour struct {
	agentID string
	hour    int64
}

// agentTime is what an hour of an agent adds: seconds online and busy,
// seconds conversations were held (two at once count twice), the first
// instant on and the last going offline (unix seconds, 0 for none).
type agentTime struct {
	online, busy, held int64
	firstOn, lastOff   int64
}

func (a *agentTime) add(o agentTime) {
	a.online += o.online
	a.busy += o.busy
	a.held += o.held
	if o.firstOn != 0 && (a.firstOn == 0 || o.firstOn < a.firstOn) {
		a.firstOn = o.firstOn
	}
	a.lastOff = max(a.lastOff, o.lastOff)
}

// agentState is an agent's status since a unix time.
type agentState struct {
	AgentID string `db:"agent_id"`
	Status  string `db:"status"`
	Since   int64  `db:"since"`
}

func on(status string) bool {
	return status == string(hub.StatusOnline) || status == string(hub.StatusBusy)
}

// spend adds the interval [from, to) spent in status to the hours it
// covers (nothing when status is offline).
func spend(m map[agentHour]*agentTime, agentID, status string, from, to int64) {
	if !on(status) {
		return
	}
	for a := from; a < to; {
		h := floor(a, 3600)
		b := min(to, h+3600)
		t := agentTime{firstOn: a}
		if status == string(hub.StatusBusy) {
			t.busy = b - a
		} else {
			t.online = b - a
		}
		k := agentHour{agentID, h}
		if m[k] == nil {
			m[k] = &agentTime{}
		}
		m[k].add(t)
		a = b
	}
}

// hold adds the interval [from, to) an agent held a conversation to the
// hours it covers.
func hold(m map[agentHour]*agentTime, agentID string, from, to int64) {
	for a := from; a < to; {
		h := floor(a, 3600)
		b := min(to, h+3600)
		k := agentHour{agentID, h}
		if m[k] == nil {
			m[k] = &agentTime{}
		}
		m[k].add(agentTime{held: b - a})
		a = b
	}
}

// applyStatuses turns the agent.status events of evs into attendance, in
// the consumer's transaction.
func applyStatuses(ctx context.Context, tx *store.Tx, tenantID string, evs []hub.Event) error {
	var changes []struct {
		agent, status string
		at            int64
	}
	var ids []string
	seen := map[string]bool{}
	for _, e := range evs {
		if e.Type != hub.EvAgentStatus {
			continue
		}
		var p struct {
			AgentID string `json:"agent_id"`
			Status  string `json:"status"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || p.AgentID == "" {
			continue
		}
		changes = append(changes, struct {
			agent, status string
			at            int64
		}{p.AgentID, p.Status, e.CreatedAt.Unix()})
		if !seen[p.AgentID] {
			seen[p.AgentID] = true
			ids = append(ids, p.AgentID)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	states := map[string]*agentState{}
	var rows []agentState
	q := `SELECT agent_id, status, since FROM report_agent_states WHERE tenant_id = ? AND agent_id IN (?)`
	if err := tx.SelectIn(ctx, &rows, q, tenantID, ids); err != nil {
		return fmt.Errorf("report agent states: %w", err)
	}
	for i := range rows {
		states[rows[i].AgentID] = &rows[i]
	}
	hours := map[agentHour]*agentTime{}
	for _, c := range changes {
		st := states[c.agent]
		if st == nil {
			st = &agentState{AgentID: c.agent, Status: string(hub.StatusOffline), Since: c.at}
			states[c.agent] = st
		}
		if st.Status == c.status {
			continue
		}
		spend(hours, c.agent, st.Status, st.Since, c.at)
		if on(st.Status) && !on(c.status) {
			k := agentHour{c.agent, floor(c.at, 3600)}
			if hours[k] == nil {
				hours[k] = &agentTime{}
			}
			hours[k].add(agentTime{lastOff: c.at})
		}
		st.Status, st.Since = c.status, c.at
	}
	if err := saveAgentStates(ctx, tx, tenantID, states, ids); err != nil {
		return err
	}
	return saveAttendance(ctx, tx, tenantID, hours)
}

func saveAgentStates(ctx context.Context, tx *store.Tx, tenantID string, states map[string]*agentState, ids []string) error {
	sort.Strings(ids) // one lock order
	for start := 0; start < len(ids); start += 200 {
		part := ids[start:min(start+200, len(ids))]
		vals := make([]string, len(part))
		args := make([]any, 0, 4*len(part))
		for i, id := range part {
			st := states[id]
			vals[i] = "(?, ?, ?, ?)"
			args = append(args, tenantID, id, st.Status, st.Since)
		}
		q := `INSERT INTO report_agent_states (tenant_id, agent_id, status, since) VALUES ` + strings.Join(vals, ", ") + `
			ON CONFLICT (tenant_id, agent_id) DO UPDATE SET status = excluded.status, since = excluded.since`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("save report agent states: %w", err)
		}
	}
	return nil
}

func saveAttendance(ctx context.Context, tx *store.Tx, tenantID string, hours map[agentHour]*agentTime) error {
	keys := make([]agentHour, 0, len(hours))
	for k := range hours {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].hour != keys[j].hour {
			return keys[i].hour < keys[j].hour
		}
		return keys[i].agentID < keys[j].agentID
	})
	for start := 0; start < len(keys); start += 100 {
		part := keys[start:min(start+100, len(keys))]
		vals := make([]string, len(part))
		args := make([]any, 0, 8*len(part))
		for i, k := range part {
			t := hours[k]
			vals[i] = "(?, ?, ?, ?, ?, ?, ?, ?)"
			args = append(args, tenantID, k.agentID, k.hour, t.online, t.busy, t.held, t.firstOn, t.lastOff)
		}
		// first_on: the earlier non-zero one; last_off: the later one.
		q := `INSERT INTO report_attendance (tenant_id, agent_id, hour, online_seconds, busy_seconds, held_seconds,
			first_on, last_off) VALUES ` + strings.Join(vals, ", ") + ` ON CONFLICT (tenant_id, hour, agent_id) DO UPDATE SET
			online_seconds = report_attendance.online_seconds + excluded.online_seconds,
			busy_seconds = report_attendance.busy_seconds + excluded.busy_seconds,
			held_seconds = report_attendance.held_seconds + excluded.held_seconds,
			first_on = CASE WHEN report_attendance.first_on = 0 OR (excluded.first_on <> 0 AND
				excluded.first_on < report_attendance.first_on) THEN excluded.first_on ELSE report_attendance.first_on END,
			last_off = CASE WHEN excluded.last_off > report_attendance.last_off THEN excluded.last_off
				ELSE report_attendance.last_off END`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("save report attendance: %w", err)
		}
	}
	return nil
}

// AgentDay is an agent's attendance on one local date: seconds online,
// busy (示忙) and offline (the rest of the day, up to now for today), the
// first instant they were on (online or busy; the day's midnight when they
// already were) and the last time they went offline (nil for none).
// HeldSeconds sums the time they held conversations (two at once count
// twice): ÷ (online + busy) it is their average concurrency.
type AgentDay struct {
	AgentID        string     `json:"agent_id"`
	Date           string     `json:"date"`
	OnlineSeconds  int64      `json:"online_seconds"`
	BusySeconds    int64      `json:"busy_seconds"`
	OfflineSeconds int64      `json:"offline_seconds"`
	HeldSeconds    int64      `json:"held_seconds"`
	FirstOnline    *time.Time `json:"first_online"`
	LastOffline    *time.Time `json:"last_offline"`
}

// Attendance is every agent's attendance per local date of p (one agent
// when agentID is set), as of now: agents with any time on, by date then
// agent. Dates before now without time on are the agent's offline days;
// the caller lists the agents it knows at zero.
func (s *Store) Attendance(ctx context.Context, tenantID string, p Period, agentID string, now time.Time) ([]AgentDay, error) {
	f := p.Filter(Filter{})
	from, to := f.From.Unix(), f.To.Unix()
	// With one UTC offset over the whole period (no daylight-saving change)
	// the database sums the hours into local days; else every hour is read.
	bucket, args := `hour`, []any{}
	if off, ok := oneOffset(p); ok {
		bucket, args = `((hour + ?) / 86400) * 86400 - ?`, []any{off, off}
	}
	q := `SELECT agent_id, ` + bucket + ` AS hour, CAST(SUM(online_seconds) AS BIGINT) AS online_seconds,
		CAST(SUM(busy_seconds) AS BIGINT) AS busy_seconds, CAST(SUM(held_seconds) AS BIGINT) AS held_seconds,
		COALESCE(MIN(CASE WHEN first_on = 0 THEN NULL ELSE first_on END), 0) AS first_on, MAX(last_off) AS last_off
		FROM report_attendance WHERE tenant_id = ? AND hour >= ? AND hour < ?`
	args = append(args, tenantID, floor(from, 3600), to)
	if agentID != "" {
		q += ` AND agent_id = ?`
		args = append(args, agentID)
	}
	q += ` GROUP BY 1, 2`
	var rows []struct {
		AgentID string `db:"agent_id"`
		Hour    int64  `db:"hour"`
		Online  int64  `db:"online_seconds"`
		Busy    int64  `db:"busy_seconds"`
		Held    int64  `db:"held_seconds"`
		FirstOn int64  `db:"first_on"`
		LastOff int64  `db:"last_off"`
	}
	if err := s.k.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("report attendance: %w", err)
	}
	hours := map[agentHour]*agentTime{}
	for _, r := range rows {
		hours[agentHour{r.AgentID, r.Hour}] = &agentTime{online: r.Online, busy: r.Busy, held: r.Held, firstOn: r.FirstOn, lastOff: r.LastOff}
	}
	var states []agentState
	q = `SELECT agent_id, status, since FROM report_agent_states WHERE tenant_id = ? AND status <> ?`
	args = []any{tenantID, string(hub.StatusOffline)}
	if agentID != "" {
		q += ` AND agent_id = ?`
		args = append(args, agentID)
	}
	if err := s.k.Select(ctx, &states, q, args...); err != nil {
		return nil, fmt.Errorf("report agent states: %w", err)
	}
	open := map[agentHour]*agentTime{}
	for _, st := range states { // the interval still open, up to now
		spend(open, st.AgentID, st.Status, max(st.Since, from), min(now.Unix(), to))
	}
	if err := s.openHolds(ctx, tenantID, agentID, open, from, min(now.Unix(), to)); err != nil {
		return nil, err
	}
	for k, t := range open {
		if hours[k] == nil {
			hours[k] = &agentTime{}
		}
		hours[k].add(*t)
	}
	return attendanceDays(p, hours, now), nil
}

// openHolds adds the conversations held now, from when they were taken
// (not before from) up to to.
func (s *Store) openHolds(ctx context.Context, tenantID, agentID string, m map[agentHour]*agentTime, from, to int64) error {
	var holds []struct {
		Holder string    `db:"holder"`
		Since  time.Time `db:"held_since"`
	}
	q := `SELECT holder, held_since FROM report_conversations WHERE tenant_id = ? AND holder <> '' AND held_since IS NOT NULL`
	args := []any{tenantID}
	if agentID != "" {
		q += ` AND holder = ?`
		args = append(args, agentID)
	}
	if err := s.k.Select(ctx, &holds, q, args...); err != nil {
		return fmt.Errorf("report holds: %w", err)
	}
	for _, h := range holds {
		hold(m, h.Holder, max(h.Since.Unix(), from), to)
	}
	return nil
}

// oneOffset is the period's UTC offset in seconds when every day of it
// has the same.
func oneOffset(p Period) (int64, bool) {
	_, off := p.From.Zone()
	for d := p.From; !d.After(p.To.AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		if _, o := d.Zone(); o != off {
			return 0, false
		}
	}
	return int64(off), true
}

// attendanceDays sums the agents' hours (or days) into local dates.
func attendanceDays(p Period, hours map[agentHour]*agentTime, now time.Time) []AgentDay {
	loc := p.From.Location()
	type agentDate struct{ agentID, date string }
	days := map[agentDate]*agentTime{}
	for k, t := range hours {
		d := agentDate{k.agentID, time.Unix(k.hour, 0).In(loc).Format(DateLayout)}
		if days[d] == nil {
			days[d] = &agentTime{}
		}
		days[d].add(*t)
	}
	out := make([]AgentDay, 0, len(days))
	for d, t := range days {
		day, _ := time.ParseInLocation(DateLayout, d.date, loc)
		if day.Before(p.From) || day.After(p.To) {
			continue
		}
		elapsed := min(now.Unix(), day.AddDate(0, 0, 1).Unix()) - day.Unix()
		a := AgentDay{AgentID: d.agentID, Date: d.date, OnlineSeconds: t.online, BusySeconds: t.busy, HeldSeconds: t.held,
			OfflineSeconds: max(0, elapsed-t.online-t.busy)}
		if t.firstOn != 0 {
			v := time.Unix(t.firstOn, 0).In(loc)
			a.FirstOnline = &v
		}
		if t.lastOff != 0 {
			v := time.Unix(t.lastOff, 0).In(loc)
			a.LastOffline = &v
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		return out[i].AgentID < out[j].AgentID
	})
	return out
}
