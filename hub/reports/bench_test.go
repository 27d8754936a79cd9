package reports

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// benchConversations is how many conversations the generator spreads over
// the 90 days the benchmarks report on:
//
//	go test ./hub/reports -run '^$' -bench . -benchtime 200x -conversations 1000000
var benchConversations = flag.Int("conversations", 100_000, "conversations the report benchmarks generate")

// benchRounds times each query this many times on the one generated
// dataset (sub-benchmarks round1, round2, …), so a spread of p99s costs one
// generation, not one per -count:
//
//	go test ./hub/reports -run '^$' -bench . -benchtime 100x -conversations 1000000 -rounds 3
var benchRounds = flag.Int("rounds", 1, "times each report benchmark query is timed on the generated dataset")

const benchTenant = "tn_bench"

// benchStart is the first day of the generated 90 days (Asia/Shanghai).
var benchStart = time.Date(2026, 9, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// generate writes the rollup of n conversations over 90 days: each one's
// facts, as the consumer derives them, summed per hour, channel, group and
// agent. 5 channels, 4 groups, 60 agents; 8% abandoned in the queue, 5%
// tickets, the rest taken and answered (3 messages each way, the last two
// agents' replies to a waiting customer), all offered a rating at the close,
// 30% rated;
// half from web visitors (where they came from: 6 sources, 20 keywords,
// 10 landing pages, 31 regions, 3 devices), and each agent on two shifts
// a day (online 09:00–12:00 with 15 minutes busy, 13:00–18:00).
func generate(tb testing.TB, k *store.Store, n int) int {
	rng := rand.New(rand.NewPCG(16, uint64(n)))
	cells := map[cell]*Counts{}
	origins := map[originRow]int64{}
	add := func(f Fact) {
		addTo(cells, cell{hour: hourOf(f.At), channel: f.ChannelID, group: f.GroupID, agentID: f.AgentID}, f.counts())
	}
	span := int64(90 * 24 * time.Hour / time.Second)
	for range n {
		opened := benchStart.Add(time.Duration(rng.Int64N(span)) * time.Second)
		ch, grp := fmt.Sprintf("ch_%d", rng.IntN(5)), fmt.Sprintf("gr_%d", rng.IntN(4))
		agent := fmt.Sprintf("ag_%02d", rng.IntN(60))
		f := func(k Kind, at time.Time, agent string, v int64) Fact {
			return Fact{Kind: k, At: at, ChannelID: ch, GroupID: grp, AgentID: agent, Value: v}
		}
		add(f(KindOpened, opened, "", 0))
		add(f(KindMessageIn, opened, "", 0))
		var web []originRow
		if rng.IntN(2) == 0 {
			v := &hub.Visitor{Engine: []string{"baidu", "sogou", "so360", "google", "bing", ""}[rng.IntN(6)],
				Referrer: fmt.Sprintf("https://site%d.example/", rng.IntN(8)), Keyword: fmt.Sprintf("关键词%d", rng.IntN(20)),
				Page: fmt.Sprintf("https://shop.example/p%d?x=1", rng.IntN(10)), Region: fmt.Sprintf("省%d", rng.IntN(31)),
				Device: []string{"desktop", "mobile", "tablet"}[rng.IntN(3)]}
			web = originsOf(v, opened, &convState{ChannelID: ch, GroupID: grp})
			for _, o := range web {
				origins[o]++
			}
		}
		switch p := rng.IntN(100); {
		case p < 8:
			add(f(KindAbandoned, opened, "", 0))
			add(f(KindResolved, opened.Add(2*time.Minute), "", 120))
			add(f(KindResolvedBusiness, opened.Add(2*time.Minute), "", 120))
			add(f(KindRatingInvited, opened.Add(2*time.Minute), "", 0))
			continue
		case p < 13:
			add(f(KindTicket, opened, "", 0))
			for _, o := range web { // a leave-message from a web visitor
				o.dim = LeaveMessages(o.dim)
				origins[o]++
			}
			continue
		}
		taken := opened.Add(time.Duration(rng.IntN(60)) * time.Second)
		frt := 5 + rng.Int64N(300)
		add(f(KindTaken, taken, agent, 0))
		add(f(KindQueueWait, opened, agent, int64(taken.Sub(opened)/time.Second)))
		add(f(KindFirstResponse, opened, agent, frt))
		for m := range 3 {
			at := opened.Add(time.Duration(frt+int64(m)*120) * time.Second)
			add(f(KindMessageOut, at, agent, 0))
			if m > 0 { // the customer's message 90 s before
				add(f(KindReply, at, agent, 90))
				add(f(KindReplyBusiness, at, agent, 90))
			}
			add(f(KindMessageIn, at.Add(30*time.Second), agent, 0))
		}
		res := 600 + rng.Int64N(1800)
		closed := opened.Add(time.Duration(res) * time.Second)
		add(f(KindResolved, closed, agent, res))
		add(f(KindResolvedBusiness, closed, agent, res))
		add(f(KindRatingInvited, closed, agent, 0))
		if rng.IntN(10) < 3 {
			score := 1 + rng.Int64N(5)
			add(f(KindRated, closed.Add(time.Minute), agent, score))
			add(f(KindRatingResponse, closed.Add(time.Minute), agent, 0))
			if score <= 2 {
				add(f(KindBadRating, closed.Add(time.Minute), agent, 0))
			}
		}
	}
	// the consumer's own rollup writes, 20,000 cells a transaction
	chunk := map[cell]*Counts{}
	flush := func() {
		if err := k.Write(context.Background(), func(tx *store.Tx) error {
			return addRollup(context.Background(), tx, benchTenant, chunk)
		}); err != nil {
			tb.Fatal(err)
		}
		chunk = map[cell]*Counts{}
	}
	for c, n := range cells {
		if chunk[c] = n; len(chunk) == 20_000 {
			flush()
		}
	}
	flush()
	shifts := map[agentHour]*agentTime{}
	for a := range 60 {
		id := fmt.Sprintf("ag_%02d", a)
		for d := range 90 {
			day := benchStart.AddDate(0, 0, d)
			at := func(h, m int) int64 { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute).Unix() }
			spend(shifts, id, "online", at(9, 0), at(10, 30))
			spend(shifts, id, "busy", at(10, 30), at(10, 45))
			spend(shifts, id, "online", at(10, 45), at(12, 0))
			spend(shifts, id, "online", at(13, 0), at(18, 0))
			off := agentHour{id, floor(at(18, 0), 3600)}
			if shifts[off] == nil {
				shifts[off] = &agentTime{}
			}
			shifts[off].add(agentTime{lastOff: at(18, 0)})
		}
	}
	if err := k.Write(context.Background(), func(tx *store.Tx) error {
		if err := addOrigins(context.Background(), tx, benchTenant, origins); err != nil {
			return err
		}
		return saveAttendance(context.Background(), tx, benchTenant, shifts)
	}); err != nil {
		tb.Fatal(err)
	}
	if k.Postgres { // what autovacuum does after a bulk load
		if _, err := k.Exec(context.Background(), `ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	}
	return len(cells)
}

// BenchmarkReports90Days times what the report routes ask of the store
// over the 90 generated days: the summary (the period and the previous
// one), the daily volume (the hours summed into days) and the agent
// breakdown; it reports the 99th percentile as p99-ms.
func BenchmarkReports90Days(b *testing.B) {
	ctx := context.Background()
	p := Period{From: benchStart, To: benchStart.AddDate(0, 0, 89)}
	for _, dialect := range storetest.Names() {
		b.Run(dialect, func(b *testing.B) {
			k := storetest.Open(b, dialect, store.Options{}).Store
			start := time.Now()
			rows := generate(b, k, *benchConversations)
			b.Logf("%s: %d conversations → %d cells in %v", dialect, *benchConversations, rows, time.Since(start))
			r := New(k, Options{})
			for _, q := range []struct {
				name string
				run  func() error
			}{
				{"summary", func() error {
					if _, err := r.Totals(ctx, benchTenant, p.Filter(Filter{})); err != nil {
						return err
					}
					_, err := r.Totals(ctx, benchTenant, p.Previous().Filter(Filter{}))
					return err
				}},
				{"summary-agent", func() error {
					_, err := r.Totals(ctx, benchTenant, p.Filter(Filter{AgentID: "ag_07"}))
					return err
				}},
				{"volume-by-day", func() error {
					_, err := r.Days(ctx, benchTenant, p, Filter{})
					return err
				}},
				{"agents", func() error {
					_, err := r.By(ctx, benchTenant, p.Filter(Filter{}), ByAgent)
					return err
				}},
				{"volume-by-source", func() error {
					_, err := r.ByOrigin(ctx, benchTenant, p.Filter(Filter{}), BySource)
					return err
				}},
				{"leave-messages-by-source", func() error {
					_, err := r.ByOrigin(ctx, benchTenant, p.Filter(Filter{}), LeaveMessages(BySource))
					return err
				}},
				{"attendance", func() error {
					_, err := r.Attendance(ctx, benchTenant, p, "", p.To.AddDate(0, 0, 1))
					return err
				}},
			} {
				for round := range max(*benchRounds, 1) {
					name := q.name
					if *benchRounds > 1 {
						name = fmt.Sprintf("%s/round%d", q.name, round+1)
					}
					b.Run(name, func(b *testing.B) {
						times := make([]time.Duration, 0, b.N)
						for b.Loop() {
							t0 := time.Now()
							if err := q.run(); err != nil {
								b.Fatal(err)
							}
							times = append(times, time.Since(t0))
						}
						slices.Sort(times)
						b.ReportMetric(float64(times[(len(times)*99)/100].Microseconds())/1000, "p99-ms")
					})
				}
			}
		})
	}
}
