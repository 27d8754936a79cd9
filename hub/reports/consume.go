package reports

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Run applies new events every second until ctx ends. Every process of a
// cluster may run it: the cursor's row lock lets one apply a tenant's
// events at a time; the others skip that tenant meanwhile.
func (s *Store) Run(ctx context.Context) error {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reports: applying events", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// CatchUp applies every event committed so far that the reports have not
// applied yet (but a tenant's events another process is applying right
// now, which it leaves to that process).
func (s *Store) CatchUp(ctx context.Context) error {
	heads, err := s.k.EventHeads(ctx)
	if err != nil {
		return err
	}
	var cursors []struct {
		TenantID string `db:"tenant_id"`
		Last     int64  `db:"last_event_id"`
	}
	if err := s.k.Select(ctx, &cursors, `SELECT tenant_id, last_event_id FROM report_cursors`); err != nil {
		return fmt.Errorf("report cursors: %w", err)
	}
	done := map[string]int64{}
	for _, c := range cursors {
		done[c.TenantID] = c.Last
	}
	tenants := make([]string, 0, len(heads))
	for t, head := range heads {
		if head > done[t] {
			tenants = append(tenants, t)
		}
	}
	sort.Strings(tenants)
	for _, t := range tenants {
		for {
			limit := int(s.limit.Load())
			n, took, err := s.apply(ctx, t, limit)
			if err != nil {
				return err
			}
			busy := s.k.Busy()
			s.limit.Store(int64(nextBatch(limit, n, took, busy, s.batch)))
			if n < limit {
				break
			}
			if busy {
				if err := hub.Sleep(ctx, pause(took)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Under load the reports share SQLite's one writer with customers'
// messages, and every message that arrives while a batch of theirs holds
// it waits for the batch: 500 events held it 20–50 ms, which was the p99
// of 1,000 messages a second. So while other writes wait or run, a batch
// is sized to hold the writer about busyBatch (from the last batch's time
// per event), and the next waits seven times as long (paceShare); with the
// store free the size doubles back to the full batch.
const (
	busyBatch = 2 * time.Millisecond
	minBatch  = 20
)

// nextBatch is the size of the batch after one of limit events that
// applied n in took.
func nextBatch(limit, n int, took time.Duration, busy bool, full int) int {
	if !busy {
		return min(2*limit, full)
	}
	if n == 0 || took <= 0 {
		return limit
	}
	perEvent := took / time.Duration(n)
	return max(minBatch, min(full, int(busyBatch/max(perEvent, time.Nanosecond))))
}

// paceShare is the most of the writer's time the reports take while
// customers' messages are being written: after a batch that took d, the
// next waits (1/paceShare - 1)·d if other writes wait or run. In a burst of
// new conversations the reports' batches had 27 % of SQLite's one writer
// (the inbox and routing the rest); now they fall behind by the burst and
// catch up after it, at full speed once the writer is free.
const paceShare = 0.125

// pause is the wait before the next batch, after one that took took while
// the store was busy (at most yieldFor).
func pause(took time.Duration) time.Duration {
	return min(time.Duration(float64(took)*(1/paceShare-1)), yieldFor)
}

// yieldFor bounds how long a batch waits for a moment when no customer's
// message is being written: in a burst the reports fall behind by a batch
// every yieldFor at most, and catch up once it is over.
const yieldFor = 2 * time.Second

// apply applies the next batch of at most limit of a tenant's events in
// one transaction and says how many it read and how long the transaction
// took (not counting its wait for the writer).
func (s *Store) apply(ctx context.Context, tenantID string, limit int) (int, time.Duration, error) {
	var n int
	var began time.Time
	err := s.k.WriteIdle(ctx, yieldFor, func(tx *store.Tx) error {
		n, began = 0, time.Now()
		last, ok, err := s.lockCursor(ctx, tx, tenantID)
		if err != nil || !ok {
			return err
		}
		evs, err := s.k.EventsRange(ctx, tenantID, last+1, last+int64(limit))
		if err != nil || len(evs) == 0 {
			return err
		}
		n = len(evs)
		if err := s.applyEvents(ctx, tx, tenantID, evs); err != nil {
			return err
		}
		const q = `UPDATE report_cursors SET last_event_id = ? WHERE tenant_id = ?`
		if _, err := tx.Exec(ctx, q, evs[len(evs)-1].ID, tenantID); err != nil {
			return fmt.Errorf("move report cursor: %w", err)
		}
		return nil
	})
	if began.IsZero() {
		return n, 0, err
	}
	return n, time.Since(began), err
}

// lockCursor returns the tenant's cursor, locked until the transaction
// ends (created at 0 the first time); false when another process holds it
// (it is applying the same events: this one leaves them to it).
func (s *Store) lockCursor(ctx context.Context, tx *store.Tx, tenantID string) (int64, bool, error) {
	const ins = `INSERT INTO report_cursors (tenant_id, last_event_id) VALUES (?, 0) ON CONFLICT (tenant_id) DO NOTHING`
	if _, err := tx.Exec(ctx, ins, tenantID); err != nil {
		return 0, false, fmt.Errorf("create report cursor: %w", err)
	}
	var last []int64
	q := `SELECT last_event_id FROM report_cursors WHERE tenant_id = ?` + s.k.ForUpdateSkipLocked()
	if err := tx.Select(ctx, &last, q, tenantID); err != nil {
		return 0, false, fmt.Errorf("lock report cursor: %w", err)
	}
	if len(last) == 0 {
		return 0, false, nil
	}
	return last[0], true, nil
}

// cell is one row of report_cells: an hour of a channel, group and agent.
type cell struct {
	hour                    int64
	channel, group, agentID string
}

// applyEvents stores the facts of evs and adds them to the rollup.
func (s *Store) applyEvents(ctx context.Context, tx *store.Tx, tenantID string, evs []hub.Event) error {
	states, err := loadStates(ctx, tx, evs)
	if err != nil {
		return err
	}
	clocks := groupClocks(ctx, tx, tenantID)
	var facts []Fact
	opened := map[int64][]originRow{} // the visitors of the openings, by event
	for i := range evs {
		e := &evs[i]
		if e.ConversationID == "" {
			continue
		}
		st := states[e.ConversationID]
		fs := derive(e, st, clocks.of)
		if e.Type == hub.EvConversationCreated && len(fs) > 0 {
			v := visitorOf(e)
			opened[e.ID] = originsOf(v, st.CreatedAt, st)
			st.Origin = encodeOrigin(v)
		}
		facts = append(facts, fs...)
	}
	origins, agentOrigins := map[originRow]int64{}, map[agentOrigin]int64{}
	held := map[agentHour]*agentTime{}
	cells := map[cell]*Counts{}
	for start := 0; start < len(facts); start += 200 {
		part := facts[start:min(start+200, len(facts))]
		added, err := insertFacts(ctx, tx, tenantID, part)
		if err != nil {
			return err
		}
		for i := range part {
			f := &part[i]
			if !added[factKey{f.EventID, f.Kind}] {
				continue // applied before: the rollup has it
			}
			addTo(cells, cell{hour: hourOf(f.At), channel: f.ChannelID, group: f.GroupID, agentID: f.AgentID}, f.counts())
			switch f.Kind {
			case KindOpened:
				for _, o := range opened[f.EventID] {
					origins[o]++
				}
			case KindTaken:
				takenFrom(agentOrigins, states[f.ConversationID], f)
			case KindTicket:
				leftFrom(origins, states[f.ConversationID], f)
			case KindHeld:
				hold(held, f.AgentID, f.At.Unix()-f.Value, f.At.Unix())
			}
		}
	}
	if clocks.err != nil {
		return clocks.err
	}
	if err := saveStates(ctx, tx, states); err != nil {
		return err
	}
	if err := addOrigins(ctx, tx, tenantID, origins); err != nil {
		return err
	}
	if err := addAgentOrigins(ctx, tx, tenantID, agentOrigins); err != nil {
		return err
	}
	if err := applyStatuses(ctx, tx, tenantID, evs); err != nil {
		return err
	}
	if err := saveAttendance(ctx, tx, tenantID, held); err != nil {
		return err
	}
	return addRollup(ctx, tx, tenantID, cells)
}

func addTo[K comparable](m map[K]*Counts, k K, c Counts) {
	if m[k] == nil {
		m[k] = &Counts{}
	}
	m[k].Add(c)
}

func hourOf(t time.Time) int64 { return floor(t.Unix(), 3600) }

// dayOf is the start of the UTC day of a unix time.
func dayOf(u int64) int64 { return floor(u, 86400) }

func floor(u, unit int64) int64 { return u - ((u%unit)+unit)%unit }

type factKey struct {
	event int64
	kind  Kind
}

// insertFacts stores facts in one multi-row insert and says which were new
// (a fact applied before is kept as it was).
func insertFacts(ctx context.Context, tx *store.Tx, tenantID string, fs []Fact) (map[factKey]bool, error) {
	added := map[factKey]bool{}
	if len(fs) == 0 {
		return added, nil
	}
	rows := make([]string, len(fs))
	args := make([]any, 0, 9*len(fs))
	for i, f := range fs {
		rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
		args = append(args, tenantID, f.EventID, f.Kind, f.ConversationID, f.At.UTC(), f.ChannelID, f.GroupID, f.AgentID,
			f.Value)
	}
	q := `INSERT INTO report_facts (tenant_id, event_id, kind, conversation_id, at, channel_id, group_id, agent_id, value)
		VALUES ` + strings.Join(rows, ", ") + ` ON CONFLICT (tenant_id, event_id, kind) DO NOTHING RETURNING event_id, kind`
	var got []struct {
		EventID int64 `db:"event_id"`
		Kind    Kind  `db:"kind"`
	}
	if err := tx.SelectContext(ctx, &got, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("insert report facts: %w", err)
	}
	for _, g := range got {
		added[factKey{g.EventID, g.Kind}] = true
	}
	return added, nil
}

// loadStates reads the state of every conversation evs are about (a new
// one's is empty).
func loadStates(ctx context.Context, tx *store.Tx, evs []hub.Event) (map[string]*convState, error) {
	states := map[string]*convState{}
	var ids []string
	for _, e := range evs {
		if e.ConversationID != "" && states[e.ConversationID] == nil {
			states[e.ConversationID] = &convState{ConversationID: e.ConversationID}
			ids = append(ids, e.ConversationID)
		}
	}
	for start := 0; start < len(ids); start += 500 {
		var rows []convState
		q := `SELECT conversation_id, tenant_id, channel_id, group_id, created_at, queued, assigned, answered, closed,
			robot_at, handed, holder, held_since, origin, waiting_since, invited, rated, rating_at, rating_agent,
			rating_score, rating_bad FROM report_conversations WHERE conversation_id IN (?)`
		if err := tx.SelectIn(ctx, &rows, q, ids[start:min(start+500, len(ids))]); err != nil {
			return nil, fmt.Errorf("report conversations: %w", err)
		}
		for _, r := range rows {
			r.known = true
			states[r.ConversationID] = &r
		}
	}
	return states, nil
}

func saveStates(ctx context.Context, tx *store.Tx, states map[string]*convState) error {
	var dirty []*convState
	for _, st := range states {
		if st.dirty {
			dirty = append(dirty, st)
		}
	}
	sort.Slice(dirty, func(i, j int) bool { return dirty[i].ConversationID < dirty[j].ConversationID }) // one lock order
	for start := 0; start < len(dirty); start += 200 {
		part := dirty[start:min(start+200, len(dirty))]
		rows := make([]string, len(part))
		args := make([]any, 0, 21*len(part))
		for i, st := range part {
			rows[i] = "(" + store.Placeholders(21) + ")"
			args = append(args, st.ConversationID, st.TenantID, st.ChannelID, st.GroupID, st.CreatedAt.UTC(),
				bit(st.Queued), bit(st.Assigned), bit(st.Answered), bit(st.Closed), utcOrNil(st.RobotAt), bit(st.Handed),
				st.Holder, utcOrNil(st.HeldSince), st.Origin, utcOrNil(st.WaitingSince), bit(st.Invited), bit(st.Rated),
				utcOrNil(st.RatingAt), st.RatingAgent, st.RatingScore, bit(st.RatingBad))
		}
		q := `INSERT INTO report_conversations (conversation_id, tenant_id, channel_id, group_id, created_at, queued,
			assigned, answered, closed, robot_at, handed, holder, held_since, origin, waiting_since, invited, rated,
			rating_at, rating_agent, rating_score, rating_bad) VALUES ` + strings.Join(rows, ", ") + `
			ON CONFLICT (conversation_id) DO UPDATE SET queued = excluded.queued, assigned = excluded.assigned,
			answered = excluded.answered, closed = excluded.closed, robot_at = excluded.robot_at, handed = excluded.handed,
			holder = excluded.holder, held_since = excluded.held_since, origin = excluded.origin,
			waiting_since = excluded.waiting_since, invited = excluded.invited, rated = excluded.rated,
			rating_at = excluded.rating_at, rating_agent = excluded.rating_agent, rating_score = excluded.rating_score,
			rating_bad = excluded.rating_bad`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("save report conversations: %w", err)
		}
	}
	return nil
}

// slot is one row of report_hours or report_days: a dimension's key (the
// whole tenant: dim and k empty) at an hour or a UTC day.
type slot struct {
	t      int64
	dim, k string
}

// slots are the dimension rows a cell adds to.
func (c cell) slots(t int64) []slot {
	out := []slot{{t, "", ""}, {t, string(ByChannel), c.channel}, {t, string(ByGroup), c.group}}
	if c.agentID != "" {
		out = append(out, slot{t, string(ByAgent), c.agentID})
	}
	return out
}

// addRollup adds the cells' counts to report_cells and to their
// dimensions' rows of report_hours and report_days.
func addRollup(ctx context.Context, tx *store.Tx, tenantID string, cells map[cell]*Counts) error {
	hours, days := map[slot]*Counts{}, map[slot]*Counts{}
	rows := make([]rollupRow, 0, len(cells))
	for c, n := range cells {
		rows = append(rows, rollupRow{[]any{tenantID, c.hour, c.channel, c.group, c.agentID}, n})
		for _, sl := range c.slots(c.hour) {
			addTo(hours, sl, *n)
		}
		for _, sl := range c.slots(dayOf(c.hour)) {
			addTo(days, sl, *n)
		}
	}
	if err := upsert(ctx, tx, "report_cells", []string{"tenant_id", "hour", "channel_id", "group_id", "agent_id"}, rows); err != nil {
		return err
	}
	for table, m := range map[string]map[slot]*Counts{"report_hours": hours, "report_days": days} {
		rows = rows[:0]
		for sl, n := range m {
			rows = append(rows, rollupRow{[]any{tenantID, sl.dim, sl.k, sl.t}, n})
		}
		col := map[string]string{"report_hours": "hour", "report_days": "day"}[table]
		if err := upsert(ctx, tx, table, []string{"tenant_id", "dim", "k", col}, rows); err != nil {
			return err
		}
	}
	return nil
}

// rollupRow is a rollup row's key values and the counts to add to it.
type rollupRow struct {
	key []any
	add *Counts
}

// upsert adds rows to a rollup table, up to 100 rows a statement (their
// keys are distinct: PostgreSQL refuses one key twice in a statement).
func upsert(ctx context.Context, tx *store.Tx, table string, keyCols []string, rows []rollupRow) error {
	sets := make([]string, len(countCols))
	for i, c := range countCols {
		sets[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	one := "(" + store.Placeholders(len(keyCols)+len(countCols)) + ")"
	for start := 0; start < len(rows); start += 100 {
		part := rows[start:min(start+100, len(rows))]
		values := make([]string, len(part))
		args := make([]any, 0, len(part)*(len(keyCols)+len(countCols)))
		for i, r := range part {
			values[i] = one
			args = append(args, r.key...)
			for _, v := range r.add.fields() {
				args = append(args, *v)
			}
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(keyCols, ", ") + `, ` + strings.Join(countCols, ", ") +
			`) VALUES ` + strings.Join(values, ", ") + ` ON CONFLICT (` + strings.Join(keyCols, ", ") +
			`) DO UPDATE SET ` + strings.Join(sets, ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("add to %s: %w", table, err)
		}
	}
	return nil
}

// bit is a flag as the INTEGER column both dialects store it in.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

func utcOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}
