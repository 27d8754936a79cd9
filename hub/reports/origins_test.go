package reports_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// manyVisitors are 80 conversations over 2026-12-04 to 12-09 (UTC), one
// every 97 minutes so every hour of the local days and of their UTC edges
// has some: web visitors from a few sources (every fifth without one),
// on two channels and two groups, taken by three agents (every seventh
// transferred, every ninth abandoned in the queue).
func manyVisitors() []step {
	rng := rand.New(rand.NewPCG(47, 47))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	var out []step
	for i := range 80 {
		id := fmt.Sprintf("v%02d", i)
		opened := utc("2026-12-04 00:00:00").Add(time.Duration(i*97) * time.Minute)
		convs[id] = conv{pick("chA", "chB"), pick("gS", ""), opened.Format("2006-01-02 15:04:05")}
		at := func(sec int) string {
			return opened.Add(time.Duration(sec) * time.Second).Format("2006-01-02 15:04:05")
		}
		var v map[string]any
		if i%5 != 0 {
			v = visitor(map[string]any{
				"engine":   pick("baidu", "sogou", ""),
				"keyword":  pick("客服", "价格", ""),
				"referrer": pick("https://www.baidu.com/s", "https://blog.example.org/a", ""),
				"page":     pick("https://shop.example.com/", "https://shop.example.com/pricing?x=1"),
				"region":   pick("北京", "上海", ""),
				"device":   pick("desktop", "mobile"),
			})
		}
		agent := pick("a1", "a2", "a3")
		out = append(out, step{at(0), hub.EvConversationCreated, id, "", v},
			step{at(0), hub.EvMessageCreated, id, "", in()}, step{at(1), hub.EvConversationQueued, id, "", nil})
		if i%9 == 0 {
			out = append(out, step{at(120), hub.EvConversationClosed, id, "", nil})
			continue
		}
		out = append(out, step{at(30), hub.EvConversationAssigned, id, agent, nil},
			step{at(60), hub.EvMessageCreated, id, agent, msg("out", "agent", agent)})
		if i%7 == 0 {
			to := map[string]string{"a1": "a2", "a2": "a3", "a3": "a1"}[agent]
			out = append(out, step{at(3700), hub.EvConversationTransferred, id, agent, nil},
				step{at(3700), hub.EvConversationAssigned, id, to, nil})
			agent = to
		}
		out = append(out, step{at(3800), hub.EvConversationClosed, id, agent, nil})
	}
	return out
}

// checkOrigins compares every origin breakdown of r, over a few periods
// and filters, with the same count made from the facts (the openings, or
// an agent's takes, in the span, by the origin of their conversation),
// and the daily origin rows with the hourly ones summed per UTC day.
func checkOrigins(t *testing.T, k *store.Store, r *reports.Store) {
	t.Helper()
	ctx := context.Background()
	var facts []struct {
		Kind    string    `db:"kind"`
		At      time.Time `db:"at"`
		Channel string    `db:"channel_id"`
		Group   string    `db:"group_id"`
		Agent   string    `db:"agent_id"`
		Origin  string    `db:"origin"`
	}
	err := k.Select(ctx, &facts, `SELECT f.kind, f.at, f.channel_id, f.group_id, f.agent_id, c.origin
		FROM report_facts f JOIN report_conversations c ON c.conversation_id = f.conversation_id
		WHERE f.tenant_id = ? AND f.kind IN (?, ?) AND c.origin <> ''`, tenant, reports.KindOpened, reports.KindTaken)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) < 100 {
		t.Fatalf("%d facts with an origin: the history did not apply", len(facts))
	}
	spans := [][2]string{{"2026-12-04", "2026-12-04"}, {"2026-12-05", "2026-12-05"}, {"2026-12-04", "2026-12-09"},
		{"2026-12-05", "2026-12-07"}, {"2026-11-30", "2026-12-10"}}
	filters := []reports.Filter{{}, {ChannelID: "chA"}, {GroupID: "gS"}, {ChannelID: "chB", GroupID: "gS"},
		{AgentID: "a1"}, {AgentID: "a2", ChannelID: "chB"}, {AgentID: "a3", GroupID: "gS"}}
	for _, sp := range spans {
		for _, flt := range filters {
			f := period(t, sp[0], sp[1]).Filter(flt)
			for _, o := range reports.Origins {
				want := map[string]int64{}
				for _, x := range facts {
					kind, agent := reports.KindOpened, ""
					if f.AgentID != "" {
						kind, agent = reports.KindTaken, f.AgentID
					}
					if x.Kind != string(kind) || x.At.Before(f.From) || !x.At.Before(f.To) || x.Agent != agent ||
						(f.ChannelID != "" && x.Channel != f.ChannelID) || (f.GroupID != "" && x.Group != f.GroupID) {
						continue
					}
					var keys map[reports.Origin]string
					if err := json.Unmarshal([]byte(x.Origin), &keys); err != nil {
						t.Fatal(err)
					}
					want[keys[o]]++
				}
				got, err := r.ByOrigin(ctx, tenant, f, o)
				if err != nil {
					t.Fatal(err)
				}
				gotM := map[string]int64{}
				for _, g := range got {
					gotM[g.Key] = g.Conversations
				}
				if diff := diff(want, gotM); diff != "" {
					t.Errorf("%v %+v by %s (facts, rollup):\n%s", sp, flt, o, diff)
				}
			}
		}
	}
	for _, tb := range [][2]string{{"report_origins", "report_origin_days"},
		{"report_agent_origins", "report_agent_origin_days"}} {
		agent := map[bool]string{true: "agent_id, ", false: ""}[strings.Contains(tb[0], "agent")]
		var hours, days []string
		q := `SELECT ` + agent + `dim, k, hour - hour % 86400 AS day, channel_id, group_id, SUM(conversations) AS n FROM ` +
			tb[0] + ` GROUP BY ` + agent + `dim, k, hour - hour % 86400, channel_id, group_id`
		if err := k.Select(ctx, &hours, `SELECT `+concat(k, agent+"dim, k, day, channel_id, group_id, n")+
			` FROM (`+q+`) AS h`); err != nil {
			t.Fatal(err)
		}
		if err := k.Select(ctx, &days, `SELECT `+concat(k, agent+"dim, k, day, channel_id, group_id, conversations")+
			` FROM `+tb[1]); err != nil {
			t.Fatal(err)
		}
		sort.Strings(hours)
		sort.Strings(days)
		if len(hours) < 20 {
			t.Fatalf("%s: %d days", tb[0], len(hours))
		}
		if diff := diff(hours, days); diff != "" {
			t.Errorf("%s per day ≠ %s (want, got):\n%s", tb[0], tb[1], diff)
		}
	}
}

// concat joins columns into one text in SQL, for rows compared as strings.
func concat(k *store.Store, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = "CAST(" + p + " AS TEXT)"
	}
	return strings.Join(parts, " || '|' || ")
}

// The origins breakdowns — now read from daily rows with hourly edges —
// count what the facts count, for any period and filter, when the events
// were applied a few at a time, across a restart and (PostgreSQL: a
// cluster) by two processes at once while events kept coming; and the
// fixture's hand-worked origins still hold.
func TestOriginRollupsAcrossRestartAndTwoProcesses(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		many := manyVisitors()
		first := reports.New(d.Store, reports.Options{Batch: 7})
		emit(t, d.Store, clk, history)
		emit(t, d.Store, clk, many[:100])
		catchUp(t, first)

		k2 := reopen(t, d, clk)
		second := reports.New(k2, reports.Options{Batch: 5})
		if d.Name == "postgres" {
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, r := range []*reports.Store{first, second} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						if err := r.CatchUp(ctx); err != nil && ctx.Err() == nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			emit(t, k2, clk, many[100:])
			stop()
			wg.Wait()
		} else {
			emit(t, k2, clk, many[100:300])
			catchUp(t, second)
			emit(t, d.Store, clk, many[300:])
		}
		settled(t, second, k2)
		catchUp(t, first)
		checkOrigins(t, k2, second)

		got, err := first.ByOrigin(context.Background(), tenant,
			period(t, "2026-11-30", "2026-12-02").Filter(reports.Filter{}), reports.BySource)
		if err != nil {
			t.Fatal(err)
		}
		if diff := diff([]reports.OriginCount{{"baidu", 1}, {"direct", 1}, {"example.org", 1}}, got); diff != "" {
			t.Errorf("the fixture's sources (want, got):\n%s", diff)
		}
	})
}

// Migration 00047 fills the daily origin rows from the hourly ones a
// database already had.
func TestOriginDaysBackfill(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, history)
		emit(t, d.Store, clk, manyVisitors())
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		ctx := context.Background()
		for _, q := range []string{`DELETE FROM report_origin_days`, `DELETE FROM report_agent_origin_days`} {
			if _, err := d.Store.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		b, err := fs.ReadFile(store.Migrations(d.Store.Postgres), "00047_report_origin_days.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		n := 0
		for _, stmt := range strings.Split(up, ";") {
			if i := strings.Index(stmt, "INSERT INTO"); i >= 0 {
				if _, err := d.Store.Exec(ctx, stmt[i:]); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		if n != 2 {
			t.Fatalf("%d backfill statements, want 2", n)
		}
		checkOrigins(t, d.Store, r)
	})
}
