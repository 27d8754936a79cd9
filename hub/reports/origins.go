package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Origin is a breakdown of conversations by where their visitor came from
// (the web widget and the developer API say it; other channels do not).
type Origin string

// The origins a conversation's opening records (report_origins).
const (
	// BySource is the search engine (百度, Google …), else the referring
	// site's host, else "direct".
	BySource Origin = "source"
	// ByKeyword is the search keyword ("" without one).
	ByKeyword Origin = "keyword"
	// ByReferrer is the referring page's host ("" for none).
	ByReferrer Origin = "referrer"
	// ByLanding is the page the chat was opened on, without its query.
	ByLanding Origin = "landing"
	// ByRegion is the visitor's region from their IP.
	ByRegion Origin = "region"
	// ByDevice is desktop, mobile or tablet, from the browser's user agent.
	ByDevice Origin = "device"
)

// LeaveMessages is origin o of the leave-messages (留言): the
// conversations nobody could take that became tickets, counted at the hour
// they did, by where their visitor came from (report_origins' rows of
// dimension "tickets:" + o).
func LeaveMessages(o Origin) Origin { return "tickets:" + o }

// Origins are every origin dimension, in order.
var Origins = []Origin{BySource, ByKeyword, ByReferrer, ByLanding, ByRegion, ByDevice}

// Direct is the source of a visitor who came from no other site.
const Direct = "direct"

// originKeys are the keys a visitor adds a conversation to.
func originKeys(v *hub.Visitor) map[Origin]string {
	host := hostOf(v.Referrer)
	src := v.Engine
	if src == "" {
		src = host
	}
	if src == "" {
		src = Direct
	}
	landing := v.Page
	if u, err := url.Parse(v.Page); err == nil && u.Host != "" {
		landing = u.Scheme + "://" + u.Host + u.Path
	}
	return map[Origin]string{BySource: src, ByKeyword: hub.Bounded(v.Keyword, 100), ByReferrer: host,
		ByLanding: hub.Bounded(landing, 300), ByRegion: hub.Bounded(v.Region, 100), ByDevice: v.Device}
}

func hostOf(ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	return hub.Bounded(strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."), 200)
}

// originRow is one row of report_origins.
type originRow struct {
	dim       Origin
	k         string
	hour      int64
	ch, group string
}

// originKey is the key of a row of an hourly origins table, which also
// keys its daily twin once moved to the start of its UTC day.
type originKey[K any] interface {
	comparable
	atDay() K                     // the same key at its UTC day
	before(K) bool                // the order rows are locked in
	values(tenantID string) []any // the key columns' values
}

func (r originRow) atDay() originRow        { r.hour = dayOf(r.hour); return r }
func (r originRow) before(o originRow) bool { return originLess(r, o) }
func (r originRow) values(tenantID string) []any {
	return []any{tenantID, string(r.dim), r.k, r.hour, r.ch, r.group}
}

// addOrigins adds the openings' visitors to report_origins, per hour,
// and to report_origin_days, per UTC day.
func addOrigins(ctx context.Context, tx *store.Tx, tenantID string, rows map[originRow]int64) error {
	return addHourly(ctx, tx, tenantID, "report_origins", "report_origin_days", []string{"tenant_id", "dim", "k", "", "channel_id", "group_id"}, rows)
}

// addHourly adds rows to an hourly origins table and to its daily twin.
// cols are the key columns, with "" where the hour (or day) goes.
func addHourly[K originKey[K]](ctx context.Context, tx *store.Tx, tenantID, hourly, daily string, cols []string, rows map[K]int64) error {
	days := map[K]int64{}
	for r, n := range rows {
		days[r.atDay()] += n
	}
	for _, t := range []struct {
		table, col string
		rows       map[K]int64
	}{{hourly, "hour", rows}, {daily, "day", days}} {
		keys := make([]K, 0, len(t.rows))
		for r := range t.rows {
			keys = append(keys, r)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].before(keys[j]) }) // one lock order
		counts := make([]countRow, len(keys))
		for i, r := range keys {
			counts[i] = countRow{r.values(tenantID), t.rows[r]}
		}
		named := slices.Clone(cols)
		named[slices.Index(named, "")] = t.col
		if err := addCounts(ctx, tx, t.table, named, counts); err != nil {
			return err
		}
	}
	return nil
}

// countRow is the key of a row of an origins table and the conversations
// to add to it.
type countRow struct {
	key []any
	n   int64
}

// addCounts adds conversations to rows of an origins table, up to 100
// rows a statement (distinct keys, in the order given).
func addCounts(ctx context.Context, tx *store.Tx, table string, keyCols []string, rows []countRow) error {
	one := "(" + store.Placeholders(len(keyCols)+1) + ")"
	for start := 0; start < len(rows); start += 100 {
		part := rows[start:min(start+100, len(rows))]
		vals := make([]string, len(part))
		args := make([]any, 0, (len(keyCols)+1)*len(part))
		for i, r := range part {
			vals[i] = one
			args = append(append(args, r.key...), r.n)
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(keyCols, ", ") + `, conversations) VALUES ` +
			strings.Join(vals, ", ") + ` ON CONFLICT (` + strings.Join(keyCols, ", ") + `)
			DO UPDATE SET conversations = ` + table + `.conversations + excluded.conversations`
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("add to %s: %w", table, err)
		}
	}
	return nil
}

// originLess orders origin rows by their primary key.
func originLess(a, b originRow) bool {
	switch {
	case a.dim != b.dim:
		return a.dim < b.dim
	case a.hour != b.hour:
		return a.hour < b.hour
	case a.k != b.k:
		return a.k < b.k
	case a.ch != b.ch:
		return a.ch < b.ch
	}
	return a.group < b.group
}

// OriginCount is how many conversations opened with one key of an origin.
type OriginCount struct {
	Key           string `db:"k" json:"key"`
	Conversations int64  `db:"conversations" json:"conversations"`
}

// ByOrigin counts the conversations opened in the filter's span (of its
// channel and group) per key of an origin, most first. With an agent
// filter it counts the conversations the agent took in the span, as the
// agent's conversations count everywhere (a take: routing, pick-up or a
// transfer to them), by the origin of their opening. The span's whole UTC
// days are read from the daily rows, the hours at its edges from the
// hourly ones.
func (s *Store) ByOrigin(ctx context.Context, tenantID string, f Filter, o Origin) ([]OriginCount, error) {
	hours, days := "report_origins", "report_origin_days"
	where := ` WHERE tenant_id = ? AND dim = ?`
	args := []any{tenantID, string(o)}
	if f.AgentID != "" {
		hours, days = "report_agent_origins", "report_agent_origin_days"
		where += ` AND agent_id = ?`
		args = append(args, f.AgentID)
	}
	if f.ChannelID != "" {
		where += ` AND channel_id = ?`
		args = append(args, f.ChannelID)
	}
	if f.GroupID != "" {
		where += ` AND group_id = ?`
		args = append(args, f.GroupID)
	}
	from, to := f.From.Unix(), f.To.Unix()
	dayFrom, dayTo := wholeDays(from, to)
	q := `SELECT k, CAST(COALESCE(SUM(conversations), 0) AS BIGINT) AS conversations FROM (
		SELECT k, conversations FROM ` + days + where + ` AND day >= ? AND day < ?
		UNION ALL SELECT k, conversations FROM ` + hours + where + ` AND hour >= ? AND hour < ?
		UNION ALL SELECT k, conversations FROM ` + hours + where + ` AND hour >= ? AND hour < ?) AS o GROUP BY k`
	all := append(append([]any{}, args...), dayFrom, dayTo)
	all = append(append(all, args...), from, dayFrom)
	all = append(append(all, args...), dayTo, to)
	var out []OriginCount
	if err := s.k.Select(ctx, &out, q, all...); err != nil {
		return nil, fmt.Errorf("report origins: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Conversations != out[j].Conversations {
			return out[i].Conversations > out[j].Conversations
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// originsOf are the origin rows of a conversation opened with a visitor.
func originsOf(v *hub.Visitor, at time.Time, st *convState) []originRow {
	if v == nil {
		return nil
	}
	keys := originKeys(v)
	out := make([]originRow, 0, len(Origins))
	for _, o := range Origins {
		out = append(out, originRow{dim: o, k: keys[o], hour: hourOf(at), ch: st.ChannelID, group: st.GroupID})
	}
	return out
}

// visitorOf is the visitor a conversation.created event carries, if any.
func visitorOf(e *hub.Event) *hub.Visitor {
	var p struct {
		Visitor *hub.Visitor `json:"visitor"`
	}
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	return p.Visitor
}

// encodeOrigin is a visitor's origin keys as report_conversations keeps
// them ("" for no visitor).
func encodeOrigin(v *hub.Visitor) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(originKeys(v))
	if err != nil {
		return ""
	}
	return string(b)
}

// agentOrigin is one row of report_agent_origins.
type agentOrigin struct {
	agentID string
	originRow
}

// leftFrom adds a leave-message of a conversation with an origin to the
// leave-messages' origin rows, at the hour of the ticket.
func leftFrom(m map[originRow]int64, st *convState, ticket *Fact) {
	if st == nil || st.Origin == "" {
		return
	}
	var keys map[Origin]string
	if json.Unmarshal([]byte(st.Origin), &keys) != nil {
		return
	}
	for _, o := range Origins {
		m[originRow{dim: LeaveMessages(o), k: keys[o], hour: hourOf(ticket.At), ch: st.ChannelID, group: st.GroupID}]++
	}
}

// takenFrom adds a take of a conversation with an origin to the agent's
// origin rows, at the hour of the take.
func takenFrom(m map[agentOrigin]int64, st *convState, taken *Fact) {
	if st == nil || st.Origin == "" || taken.AgentID == "" {
		return
	}
	var keys map[Origin]string
	if json.Unmarshal([]byte(st.Origin), &keys) != nil {
		return
	}
	for _, o := range Origins {
		m[agentOrigin{taken.AgentID, originRow{dim: o, k: keys[o], hour: hourOf(taken.At), ch: st.ChannelID,
			group: st.GroupID}}]++
	}
}

func (r agentOrigin) atDay() agentOrigin { r.originRow = r.originRow.atDay(); return r }
func (r agentOrigin) before(o agentOrigin) bool {
	if r.agentID != o.agentID {
		return r.agentID < o.agentID
	}
	return originLess(r.originRow, o.originRow)
}
func (r agentOrigin) values(tenantID string) []any {
	return []any{tenantID, r.agentID, string(r.dim), r.k, r.hour, r.ch, r.group}
}

// addAgentOrigins adds the takes to report_agent_origins, per hour, and
// to report_agent_origin_days, per UTC day.
func addAgentOrigins(ctx context.Context, tx *store.Tx, tenantID string, rows map[agentOrigin]int64) error {
	return addHourly(ctx, tx, tenantID, "report_agent_origins", "report_agent_origin_days",
		[]string{"tenant_id", "agent_id", "dim", "k", "", "channel_id", "group_id"}, rows)
}
