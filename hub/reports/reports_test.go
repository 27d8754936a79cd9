package reports_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// The fixture's figures, worked out by hand from history (local dates in
// Asia/Shanghai).
var (
	// 2026-12-01: c1, c2, c3 opened; c1 (FRT 90 s) and c2 (600 s) answered,
	// c3 abandoned in the queue; c1 (600 s), c2 (2400 s), c3 (300 s) and
	// c5 (301 s, closed 00:05 local) resolved; messages in: c1 ×4, c2, c3;
	// agents' messages: c1 ×4, c2 ×2, c5 (00:01 local); rated c5 4, c1 5
	// (changed to 2 on 12-02: counted here, as a 2), c2 3.
	// After c1's first response its customer waited twice: 15 s (01:01:45
	// to 01:02:00) and 150 s (from the first of two messages, 01:03:00, to
	// 01:05:30); its reply at 01:06:00 answered nobody waiting. Offered a
	// rating by their close: c5 (its close predates rating_offered: taken
	// as offered), c1, c2, not c3 (nobody answered it, and chB invites by
	// text only then); rated: c5 (satisfied), c1 (bad, by its latest 2),
	// c2 — each once.
	wantDec1 = reports.Counts{Conversations: 3, Taken: 4, Answered: 2, FirstResponseSeconds: 690, Resolved: 4,
		ResolutionSeconds: 3601, MessagesIn: 6, MessagesOut: 7, Rated: 3, Satisfied: 1, BadRatings: 1, Abandoned: 1,
		Transfers: 1, Waited: 2, WaitSeconds: 330, FirstResponseBusinessSeconds: 690, WaitBusinessSeconds: 330, // c1 waited 30 s for a1, c2 300 s for a2
		Replies: 2, ReplySeconds: 165, ReplyBusinessSeconds: 165, ResolutionBusinessSeconds: 3601, RatingInvited: 3,
		RatingResponses: 3, WaitHist: reports.Hist{W30: 1, W300: 1}, // no group has hours: business = calendar
		WaitBizHist: reports.Hist{W30: 1, W300: 1}, ReplyHist: reports.Hist{W20: 1, W180: 1},
		ReplyBizHist: reports.Hist{W20: 1, W180: 1}}
	// 2026-11-30: c5 opened at 23:59:59, answered after 61 s (counted at
	// its opening), its message in.
	wantNov30 = reports.Counts{Conversations: 1, Answered: 1, FirstResponseSeconds: 61, MessagesIn: 1, Waited: 1,
		WaitSeconds: 11, FirstResponseBusinessSeconds: 61, WaitBusinessSeconds: 11, // taken at 00:00:10 local
		WaitHist: reports.Hist{W20: 1}, WaitBizHist: reports.Hist{W20: 1}}
	// 2026-12-02: c4 opened at 00:10, nobody online: a ticket. c1's rating
	// changed at 11:00 counts nothing here.
	wantDec2 = reports.Counts{Conversations: 1, MessagesIn: 1, Tickets: 1}
	// 2026-12-03: the robot answered c6, then handed it over at 10:01:02;
	// a2 took it 30 s later and replied 60 s after the hand-off (not 122 s
	// after the opening); closed 600 s after the opening. The robot also
	// answered c7, which closed 300 s after opening without people: the
	// robot took 2, resolved 1 alone, handed 1 over. a2 asked c6's
	// customer for a rating at 10:05 (one offer, not another at its close),
	// c7's was offered one at its close; c6 was rated 3 (bad), then 4 a
	// minute later: one rating, satisfied, not bad, one response.
	wantDec3 = reports.Counts{Conversations: 2, Taken: 1, Answered: 1, FirstResponseSeconds: 60, Resolved: 2,
		ResolutionSeconds: 900, MessagesIn: 3, MessagesOut: 1, Waited: 1, WaitSeconds: 30, RobotConversations: 2,
		RobotResolved: 1, RobotHandovers: 1, FirstResponseBusinessSeconds: 60, WaitBusinessSeconds: 30,
		ResolutionBusinessSeconds: 900, Rated: 1, Satisfied: 1, RatingInvited: 2, RatingResponses: 1,
		WaitHist: reports.Hist{W30: 1}, WaitBizHist: reports.Hist{W30: 1}}
)

func each(t *testing.T, f func(t *testing.T, d storetest.Dialect, clk *clock)) {
	clk := &clock{}
	storetest.Each(t, store.Options{Now: clk.Now}, func(t *testing.T, d storetest.Dialect) { f(t, d, clk) })
}

func period(t *testing.T, from, to string) reports.Period {
	t.Helper()
	p, err := reports.ParsePeriod(from, to, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func totals(t *testing.T, r *reports.Store, from, to string, f reports.Filter) reports.Counts {
	t.Helper()
	c, err := r.Totals(context.Background(), tenant, period(t, from, to).Filter(f))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func catchUp(t *testing.T, r *reports.Store) {
	t.Helper()
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// settled catches r up until every tenant's report cursor has reached the
// tenant's last event. CatchUp leaves a tenant whose cursor another
// process holds to that process; one stopped in the middle of a batch
// (its context cancelled) can hold the cursor a moment longer, until
// PostgreSQL has rolled its transaction back — the hub's next tick
// applies those events, and so does the next call here.
func settled(t *testing.T, r *reports.Store, k *store.Store) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		catchUp(t, r)
		heads, err := k.EventHeads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var cursors []struct {
			TenantID string `db:"tenant_id"`
			Last     int64  `db:"last_event_id"`
		}
		if err := k.Select(ctx, &cursors, `SELECT tenant_id, last_event_id FROM report_cursors`); err != nil {
			t.Fatal(err)
		}
		done := map[string]int64{}
		for _, c := range cursors {
			done[c.TenantID] = c.Last
		}
		behind := false
		for tenant, head := range heads {
			behind = behind || done[tenant] < head
		}
		if !behind {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reports are still behind the events after 10 s: heads %v, cursors %v", heads, done)
		}
	}
}

// Every figure of the fixture history, by day, in the tenant's time zone.
func TestFixtureFigures(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, history)
		// events of a conversation whose opening the log does not have
		// count for nothing (they would skew the rates)
		emit(t, d.Store, clk, []step{
			{"2026-12-01 03:00:05", hub.EvConversationAssigned, "c9", "a1", nil},
			{"2026-12-01 03:00:09", hub.EvMessageCreated, "c9", "a1", msg("out", "agent", "a1")},
		})
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		for _, c := range []struct {
			day  string
			want reports.Counts
		}{{"2026-11-30", wantNov30}, {"2026-12-01", wantDec1}, {"2026-12-02", wantDec2}, {"2026-12-03", wantDec3}} {
			if diff := diff(c.want, totals(t, r, c.day, c.day, reports.Filter{})); diff != "" {
				t.Errorf("%s (want, got):\n%s", c.day, diff)
			}
		}
		f := reports.Derive(wantDec1)
		if *f.AnswerRate != 2.0/3 || *f.FirstResponseAvg != 345 || *f.ResolutionAvg != 900.25 ||
			*f.SatisfactionRate != 1.0/3 || *f.QueueWaitAvg != 165 {
			t.Errorf("derived %v %v %v %v", *f.AnswerRate, *f.FirstResponseAvg, *f.ResolutionAvg, *f.SatisfactionRate)
		}
		if r := reports.Derive(wantDec3).RobotResolutionRate; r == nil || *r != 0.5 {
			t.Errorf("robot resolution rate %v, want 1/2", r)
		}
		// reply time (15 + 150) ÷ 2; p90 of the waits 30 and 300 s: the
		// 2nd (⌈0.9 × 2⌉) is in the range up to 300 s, of the replies 15
		// and 150 s in the one up to 180 s; the 3 offered all rated;
		// (6 + 7) messages ÷ 3 conversations
		if *f.ReplyAvg != 82.5 || *f.QueueWaitP90 != 300 || *f.ReplyP90 != 180 || *f.RatingResponseRate != 1 ||
			*f.MessagesPerConversation != 13.0/3 {
			t.Errorf("derived %v %v %v %v %v", *f.ReplyAvg, *f.QueueWaitP90, *f.ReplyP90, *f.RatingResponseRate,
				*f.MessagesPerConversation)
		}
		f3 := reports.Derive(wantDec3)
		if f3.ReplyAvg != nil || f3.ReplyP90 != nil || *f3.QueueWaitP90 != 30 || *f3.RatingResponseRate != 0.5 ||
			*f3.MessagesPerConversation != 2 || *f3.SatisfactionRate != 1 {
			t.Errorf("12-03 derived %v %v %v %v %v", f3.ReplyAvg, *f3.QueueWaitP90, *f3.RatingResponseRate,
				*f3.MessagesPerConversation, *f3.SatisfactionRate)
		}
		// 11-30 to 12-03 (whole UTC days from the daily rollup): c1's
		// changed rating once, as a 2; four rated, two satisfied (c5, c6),
		// one bad (c1); five offered (c5, c1, c2, c6, c7): 参评率 4/5
		all := wantNov30
		for _, c := range []reports.Counts{wantDec1, wantDec2, wantDec3} {
			all.Add(c)
		}
		got := totals(t, r, "2026-11-30", "2026-12-03", reports.Filter{})
		if diff := diff(all, got); diff != "" {
			t.Errorf("11-30 to 12-03 (want, got):\n%s", diff)
		}
		if fa := reports.Derive(got); got.Rated != 4 || got.Satisfied != 2 || got.BadRatings != 1 ||
			*fa.SatisfactionRate != 0.5 || *fa.RatingResponseRate != 0.8 {
			t.Errorf("four days: rated %d, satisfied %d, bad %d, 满意率 %v, 参评率 %v", got.Rated, got.Satisfied,
				got.BadRatings, *fa.SatisfactionRate, *fa.RatingResponseRate)
		}
		if reports.Derive(wantNov30).SatisfactionRate != nil {
			t.Error("a satisfaction rate without ratings")
		}
	})
}

// The filters and breakdowns of 2026-12-01.
func TestFixtureBreakdowns(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, history)
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		day := "2026-12-01"
		// a1 took c1, c2 (transferred from a2) and c5 (16:00:10 UTC is
		// 00:00:10 local); answered c1 (c5's answer counts on 11-30);
		// got three messages while theirs (c1 from 01:01:45); sent 6;
		// replied to c1's waiting customer twice (15 and 150 s); resolved
		// c1, c2, c5 and offered them a rating; rated 2 (c1's 5, changed),
		// 3, 4.
		a1 := reports.Counts{Conversations: 3, Taken: 3, Answered: 1, FirstResponseSeconds: 90, Resolved: 3,
			ResolutionSeconds: 3301, MessagesIn: 3, MessagesOut: 6, Rated: 3, Satisfied: 1, BadRatings: 1, Waited: 1,
			WaitSeconds: 30, FirstResponseBusinessSeconds: 90, WaitBusinessSeconds: 30, // no hours: calendar time
			Replies: 2, ReplySeconds: 165, ReplyBusinessSeconds: 165, ResolutionBusinessSeconds: 3301, RatingInvited: 3,
			RatingResponses: 3, WaitHist: reports.Hist{W30: 1}, WaitBizHist: reports.Hist{W30: 1},
			ReplyHist: reports.Hist{W20: 1, W180: 1}, ReplyBizHist: reports.Hist{W20: 1, W180: 1}}
		// a2 took c2, answered it after 600 s, transferred it.
		a2 := reports.Counts{Conversations: 1, Taken: 1, Answered: 1, FirstResponseSeconds: 600, MessagesOut: 1,
			Transfers: 1, Waited: 1, WaitSeconds: 300, FirstResponseBusinessSeconds: 600, WaitBusinessSeconds: 300,
			WaitHist: reports.Hist{W300: 1}, WaitBizHist: reports.Hist{W300: 1}}
		if diff := diff(a1, totals(t, r, day, day, reports.Filter{AgentID: "a1"})); diff != "" {
			t.Errorf("a1 (want, got):\n%s", diff)
		}
		byAgent, err := r.By(context.Background(), tenant, period(t, day, day).Filter(reports.Filter{}), reports.ByAgent)
		if err != nil {
			t.Fatal(err)
		}
		want := []reports.KeyCounts{{Key: "a1", Counts: a1}, {Key: "a2", Counts: a2}}
		if diff := diff(want, byAgent); diff != "" {
			t.Errorf("by agent (want, got):\n%s", diff)
		}
		chB := reports.Counts{Conversations: 1, Resolved: 1, ResolutionSeconds: 300, MessagesIn: 1, Abandoned: 1,
			ResolutionBusinessSeconds: 300}
		if diff := diff(chB, totals(t, r, day, day, reports.Filter{ChannelID: "chB"})); diff != "" {
			t.Errorf("channel chB (want, got):\n%s", diff)
		}
		// Two filters at once (report_cells): chA's conversations of group
		// gS are all of the day's but c3 (chB).
		chAgS := reports.Counts{Conversations: 2, Taken: 4, Answered: 2, FirstResponseSeconds: 690, Resolved: 3,
			ResolutionSeconds: 3301, MessagesIn: 5, MessagesOut: 7, Rated: 3, Transfers: 1, Waited: 2,
			WaitSeconds: 330, FirstResponseBusinessSeconds: 690, WaitBusinessSeconds: 330, Replies: 2, ReplySeconds: 165,
			ReplyBusinessSeconds: 165, ResolutionBusinessSeconds: 3301, RatingInvited: 3, RatingResponses: 3,
			Satisfied: 1, BadRatings: 1, WaitHist: reports.Hist{W30: 1, W300: 1}, WaitBizHist: reports.Hist{W30: 1, W300: 1},
			ReplyHist: reports.Hist{W20: 1, W180: 1}, ReplyBizHist: reports.Hist{W20: 1, W180: 1}}
		if diff := diff(chAgS, totals(t, r, day, day, reports.Filter{ChannelID: "chA", GroupID: "gS"})); diff != "" {
			t.Errorf("chA and gS: %s", diff)
		}
		if diff := diff(reports.Counts{}, totals(t, r, day, day, reports.Filter{ChannelID: "chB", AgentID: "a1"})); diff != "" {
			t.Errorf("chB and a1: %s", diff)
		}
		// Three days: whole UTC days from the daily rollup, the edges by hour.
		all := wantNov30
		all.Add(wantDec1)
		all.Add(wantDec2)
		if diff := diff(all, totals(t, r, "2026-11-30", "2026-12-02", reports.Filter{})); diff != "" {
			t.Errorf("three days: %s", diff)
		}
		hours, err := r.Hours(context.Background(), tenant, period(t, "2026-11-30", "2026-12-02").Filter(reports.Filter{}))
		if err != nil {
			t.Fatal(err)
		}
		// 2026-12-01 is a Tuesday: c1 and c2 opened at 09:xx, c3 at 22:30;
		// c5 on Monday 23:59:59, c4 on Wednesday 00:10.
		hm := reports.Heatmap(shanghai, hours)
		if hm[1][9] != 2 || hm[1][22] != 1 || hm[0][23] != 1 || hm[2][0] != 1 || sum(hm) != 5 {
			t.Errorf("heatmap %v", hm)
		}
		days := reports.Daily(period(t, "2026-11-30", "2026-12-02"), hours)
		if len(days) != 3 || days[0].Counts != wantNov30 || days[1].Counts != wantDec1 || days[2].Counts != wantDec2 {
			t.Errorf("daily %+v", days)
		}
		// Days: the same dates summed by the store (Shanghai keeps one
		// offset), under the filters too
		for _, c := range []struct {
			p    reports.Period
			f    reports.Filter
			want []reports.DayCounts
		}{
			{period(t, "2026-11-30", "2026-12-02"), reports.Filter{}, []reports.DayCounts{{Date: "2026-11-30", Counts: wantNov30},
				{Date: "2026-12-01", Counts: wantDec1}, {Date: "2026-12-02", Counts: wantDec2}}},
			{period(t, day, day), reports.Filter{AgentID: "a1"}, []reports.DayCounts{{Date: day, Counts: a1}}},
			{period(t, day, day), reports.Filter{ChannelID: "chA", GroupID: "gS"}, []reports.DayCounts{{Date: day, Counts: chAgS}}},
		} {
			if diff := diff(c.want, daysOf(t, r, c.p, c.f)); diff != "" {
				t.Errorf("days %+v: %s", c.f, diff)
			}
		}
		// New York's dates, with and without the end of summer time (1
		// November) in the period: as Daily sums Hours
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range []string{"2026-10-25", "2026-11-28"} {
			p, err := reports.ParsePeriod(from, "2026-12-03", ny)
			if err != nil {
				t.Fatal(err)
			}
			hours, err := r.Hours(context.Background(), tenant, p.Filter(reports.Filter{}))
			if err != nil {
				t.Fatal(err)
			}
			if diff := diff(reports.Daily(p, hours), daysOf(t, r, p, reports.Filter{})); diff != "" || len(hours) == 0 {
				t.Errorf("New York from %s: %s", from, diff)
			}
		}
	})
}

func daysOf(t *testing.T, r *reports.Store, p reports.Period, f reports.Filter) []reports.DayCounts {
	t.Helper()
	days, err := r.Days(context.Background(), tenant, p, f)
	if err != nil {
		t.Fatal(err)
	}
	return days
}

func sum(hm [7][24]int64) int64 {
	var n int64
	for _, row := range hm {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// diff is "" when want and got are equal, else both.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("want %+v\n got %+v", want, got)
}

// The queue waits' 90th percentile is the bound of the range the
// ⌈0.9 n⌉-th shortest wait falls in.
func TestQueueWaitP90(t *testing.T) {
	for _, c := range []struct {
		h    reports.Hist
		want float64
	}{
		{reports.Hist{W10: 5, W30: 10, W60: 3, W300: 1, Over: 1}, 60}, // the 18th of 20 is within 60 s
		{reports.Hist{W10: 9, Over: 1}, 10},                           // the 9th of 10
		{reports.Hist{W10: 8, Over: 2}, 86400},                        // past a day: the last bound
		{reports.Hist{W20: 1}, 20},
	} {
		if got := c.h.P90(); got == nil || *got != c.want {
			t.Errorf("%+v: p90 %v, want %v", c.h, got, c.want)
		}
	}
	if (reports.Hist{}).P90() != nil {
		t.Error("a p90 without waits")
	}
}
