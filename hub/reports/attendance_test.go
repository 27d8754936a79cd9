package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

func status(at, agent string, s hub.AgentStatus) step {
	return step{at, hub.EvAgentStatus, "", agent, map[string]any{"status": s}}
}

// The agents' status changes (UTC; local Asia/Shanghai is 8 hours later):
// a1 goes online at 23:30 local on 11-30 and stays on past midnight, is
// busy (示忙) 09:30–09:45 on 12-01, goes offline at 18:00; a2 is online
// 09:00–09:50, then again from 14:00 on (still online, said twice).
var statuses = []step{
	status("2026-11-30 15:30:00", "a1", hub.StatusOnline),
	status("2026-12-01 01:00:00", "a2", hub.StatusOnline),
	status("2026-12-01 01:30:00", "a1", hub.StatusBusy),
	status("2026-12-01 01:45:00", "a1", hub.StatusOnline),
	status("2026-12-01 01:50:00", "a2", hub.StatusOffline),
	status("2026-12-01 06:00:00", "a2", hub.StatusOnline),
	status("2026-12-01 07:00:00", "a2", hub.StatusOnline),
	status("2026-12-01 10:00:00", "a1", hub.StatusOffline),
}

func local(s string) *time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
	if err != nil {
		panic(err)
	}
	return &t
}

// Attendance (考勤) per agent and local date, worked out by hand.
func TestFixtureAttendance(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		r := reports.New(d.Store, reports.Options{Batch: 3}) // status changes across batches
		emit(t, d.Store, clk, statuses[:4])
		catchUp(t, r)
		emit(t, d.Store, clk, statuses[4:])
		catchUp(t, r)
		ctx := context.Background()
		// As of 12-01 20:00 local (12:00 UTC): 12-01 has 20 hours so far.
		got, err := r.Attendance(ctx, tenant, period(t, "2026-11-30", "2026-12-01"), "", utc("2026-12-01 12:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := wantAttendance()
		if diff := diff(want, got); diff != "" {
			t.Errorf("attendance (want, got):\n%s", diff)
		}
		// Two days later, a2's open interval fills 12-02 (one agent asked).
		got, err = r.Attendance(ctx, tenant, period(t, "2026-12-01", "2026-12-02"), "a2", utc("2026-12-03 00:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		want = []reports.AgentDay{
			{AgentID: "a2", Date: "2026-12-01", OnlineSeconds: 39000, OfflineSeconds: 47400,
				FirstOnline: local("2026-12-01 09:00:00"), LastOffline: local("2026-12-01 09:50:00")},
			{AgentID: "a2", Date: "2026-12-02", OnlineSeconds: 86400, FirstOnline: local("2026-12-02 00:00:00")},
		}
		if diff := diff(want, got); diff != "" {
			t.Errorf("a2 (want, got):\n%s", diff)
		}
	})
}

// Where 2026-12-01's conversations came from: c1 from a Baidu search on
// a phone, c2 from a blog on a desktop, c3 straight to the site (c5 and
// c4, on the other dates, carry no visitor).
func TestFixtureOrigins(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, history)
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		f := period(t, "2026-11-30", "2026-12-02").Filter(reports.Filter{})
		for o, want := range map[reports.Origin][]reports.OriginCount{
			reports.BySource:   {{"baidu", 1}, {"direct", 1}, {"example.org", 1}},
			reports.ByKeyword:  {{"", 2}, {"在线客服", 1}},
			reports.ByReferrer: {{"", 1}, {"baidu.com", 1}, {"example.org", 1}},
			reports.ByLanding:  {{"https://shop.example.com/", 2}, {"https://shop.example.com/pricing", 1}},
			reports.ByRegion:   {{"", 1}, {"北京", 1}, {"广东 深圳", 1}},
			reports.ByDevice:   {{"desktop", 2}, {"mobile", 1}},
		} {
			got, err := r.ByOrigin(context.Background(), tenant, f, o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := diff(want, got); diff != "" {
				t.Errorf("by %s (want, got):\n%s", o, diff)
			}
		}
		f.ChannelID = "chB" // c3 alone
		got, err := r.ByOrigin(context.Background(), tenant, f, reports.ByDevice)
		if err != nil {
			t.Fatal(err)
		}
		if diff := diff([]reports.OriginCount{{"desktop", 1}}, got); diff != "" {
			t.Errorf("chB by device (want, got):\n%s", diff)
		}
	})
}

// wantAttendance is the statuses' attendance over 2026-11-30 and 12-01 as
// of 12-01 20:00 local, worked out by hand.
func wantAttendance() []reports.AgentDay {
	return []reports.AgentDay{
		// on from 23:30: 30 minutes online, the rest of the day offline
		{AgentID: "a1", Date: "2026-11-30", OnlineSeconds: 1800, OfflineSeconds: 84600,
			FirstOnline: local("2026-11-30 23:30:00")},
		// 00:00–09:30 and 09:45–18:00 online (9.5 h + 8.25 h), 15 min
		// busy, 18:00–20:00 offline; on since midnight
		{AgentID: "a1", Date: "2026-12-01", OnlineSeconds: 63900, BusySeconds: 900, OfflineSeconds: 7200,
			FirstOnline: local("2026-12-01 00:00:00"), LastOffline: local("2026-12-01 18:00:00")},
		// 09:00–09:50 and 14:00–20:00 (now) online
		{AgentID: "a2", Date: "2026-12-01", OnlineSeconds: 24600, OfflineSeconds: 47400,
			FirstOnline: local("2026-12-01 09:00:00"), LastOffline: local("2026-12-01 09:50:00")},
	}
}

// On the day New York leaves daylight saving (2026-11-01 has 25 hours) the
// hours are summed one by one: 00:00 EDT to 11:00 EST is 12 hours online,
// the other 13 offline.
func TestAttendanceAcrossDaylightSaving(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		emit(t, d.Store, clk, []step{status("2026-11-01 04:00:00", "a3", hub.StatusOnline),
			status("2026-11-01 16:00:00", "a3", hub.StatusOffline)})
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		p, err := reports.ParsePeriod("2026-10-31", "2026-11-01", ny)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Attendance(context.Background(), tenant, p, "a3", utc("2026-11-03 00:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		first, last := time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 1, 11, 0, 0, 0, ny)
		want := []reports.AgentDay{{AgentID: "a3", Date: "2026-11-01", OnlineSeconds: 43200, OfflineSeconds: 46800,
			FirstOnline: &first, LastOffline: &last}}
		if diff := diff(want, got); diff != "" {
			t.Errorf("attendance (want, got):\n%s", diff)
		}
	})
}

// The average concurrency (平均并发会话数): the seconds each agent held
// conversations over their time on, per local date, worked out by hand
// from history and statuses (as of 12-01 20:00 local). a1 held c5 from
// 00:00:10 to 00:05:00 (290 s), c1 from 09:00:30 to 09:10:00 (570 s) and
// c2 from its transfer at 09:40 to its close at 10:00 (1200 s): 2060 s
// over 64,800 s on. a2 held c2 from 09:25 to the transfer (900 s) and
// still holds c8, taken at 19:00 (3600 s up to now): 4500 s over 24,600.
func TestFixtureConcurrency(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, history)
		emit(t, d.Store, clk, statuses)
		emit(t, d.Store, clk, []step{
			{"2026-12-01 11:00:00", hub.EvConversationCreated, "c8", "", nil},
			{"2026-12-01 11:00:00", hub.EvConversationAssigned, "c8", "a2", nil},
		})
		r := reports.New(d.Store, reports.Options{Batch: 7}) // holds across batches
		catchUp(t, r)
		got, err := r.Attendance(context.Background(), tenant, period(t, "2026-11-30", "2026-12-01"), "",
			utc("2026-12-01 12:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := wantAttendance()
		want[1].HeldSeconds, want[2].HeldSeconds = 2060, 4500
		if diff := diff(want, got); diff != "" {
			t.Errorf("attendance (want, got):\n%s", diff)
		}
		if c := reports.Concurrency(got[1].HeldSeconds, got[1].OnlineSeconds+got[1].BusySeconds); c == nil || *c != 2060.0/64800 {
			t.Errorf("a1's concurrency %v, want 2060/64800", c)
		}
		if reports.Concurrency(100, 0) != nil {
			t.Error("a concurrency without time on")
		}
		// Two days later c8 is still held: all of 12-02 (86,400 s).
		got, err = r.Attendance(context.Background(), tenant, period(t, "2026-12-02", "2026-12-02"), "a2",
			utc("2026-12-03 00:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].HeldSeconds != 86400 || got[0].OnlineSeconds != 86400 {
			t.Errorf("a2 on 12-02: %+v", got)
		}
	})
}

// With an agent filter the origins count the conversations the agent
// took, by where they came from: a1 took c1 (Baidu, phone) and c2 (the
// blog, desktop; transferred from a2) and c5 (no visitor); a2 took c2.
func TestFixtureOriginsByAgent(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, history)
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		for _, c := range []struct {
			agent string
			o     reports.Origin
			want  []reports.OriginCount
		}{
			{"a1", reports.BySource, []reports.OriginCount{{"baidu", 1}, {"example.org", 1}}},
			{"a1", reports.ByDevice, []reports.OriginCount{{"desktop", 1}, {"mobile", 1}}},
			{"a1", reports.ByKeyword, []reports.OriginCount{{"", 1}, {"在线客服", 1}}},
			{"a2", reports.BySource, []reports.OriginCount{{"example.org", 1}}},
			{"a3", reports.BySource, nil},
		} {
			f := period(t, "2026-11-30", "2026-12-03").Filter(reports.Filter{AgentID: c.agent})
			got, err := r.ByOrigin(context.Background(), tenant, f, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := diff(c.want, got); diff != "" {
				t.Errorf("%s by %s (want, got):\n%s", c.agent, c.o, diff)
			}
		}
	})
}
