package reports_test

import (
	"context"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// c10 opens at 17:50 local on Friday 2026-12-04 in group gB, open Monday
// to Friday 09:00–18:00 (the tenant's Asia/Shanghai): a1 takes it at 18:10
// and first replies at 09:05 on Monday; the customer writes again at 17:55
// and a1 replies at 09:03 on Tuesday, then closes it at 09:10.
var bizHistory = []step{
	{"2026-12-04 09:50:00", hub.EvConversationCreated, "c10", "", nil},
	{"2026-12-04 09:50:00", hub.EvMessageCreated, "c10", "", in()},
	{"2026-12-04 09:50:00", hub.EvConversationQueued, "c10", "", nil},
	{"2026-12-04 10:10:00", hub.EvConversationAssigned, "c10", "a1", nil},
	{"2026-12-07 01:05:00", hub.EvMessageCreated, "c10", "a1", msg("out", "agent", "a1")},
	{"2026-12-07 09:55:00", hub.EvMessageCreated, "c10", "a1", in()},
	{"2026-12-08 01:03:00", hub.EvMessageCreated, "c10", "a1", msg("out", "agent", "a1")},
	{"2026-12-08 01:10:00", hub.EvConversationClosed, "c10", "a1", nil},
}

func init() { convs["c10"] = conv{"chA", "gB", "2026-12-04 09:50:00"} }

// A first response and a queue wait across the end of a business day (and
// a weekend) count in calendar time and, beside it, in the group's hours.
func TestFixtureBusinessHours(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		ctx := context.Background()
		err := d.Store.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tenants (id, name, timezone, created_at) VALUES (?, ?, ?, ?)`,
				tenant, "fixture", "Asia/Shanghai", utc("2026-11-01 00:00:00"))
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO agent_groups (id, tenant_id, name, created_at, settings) VALUES (?, ?, ?, ?, ?)`,
				"gB", tenant, "售后", utc("2026-11-01 00:00:00"), `{"business_hours":{"weekly":[{"days":["mon","tue","wed","thu","fri"],"from":"09:00","to":"18:00"}]}}`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		emit(t, d.Store, clk, bizHistory)
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		// calendar: waited 20 min; answered 2 days 15 h 15 min after the
		// opening; replied 15 h 8 min after Monday's 17:55 message; closed
		// 3 days 15 h 20 min after the opening. Business hours: the wait is
		// Friday's last 10 minutes, the answer those 10 plus Monday's first
		// 5, the reply Monday's last 5 plus Tuesday's first 3 minutes, the
		// resolution Friday's 10 minutes, Monday's 9 hours and Tuesday's 10
		// minutes.
		want := reports.Counts{Conversations: 1, Taken: 1, Answered: 1, FirstResponseSeconds: 227700, MessagesIn: 2,
			MessagesOut: 2, Waited: 1, WaitSeconds: 1200, FirstResponseBusinessSeconds: 900, WaitBusinessSeconds: 600,
			Resolved: 1, ResolutionSeconds: 314400, ResolutionBusinessSeconds: 33600, Replies: 1, ReplySeconds: 54480,
			ReplyBusinessSeconds: 480, RatingInvited: 1, WaitHist: reports.Hist{W1800: 1},
			WaitBizHist: reports.Hist{W600: 1}, ReplyHist: reports.Hist{W1d: 1},
			ReplyBizHist: reports.Hist{W600: 1}}
		got := totals(t, r, "2026-12-04", "2026-12-08", reports.Filter{})
		if diff := diff(want, got); diff != "" {
			t.Errorf("(want, got):\n%s", diff)
		}
		cal, biz := reports.Derive(got), reports.Derive(got.InBusinessHours())
		if *cal.FirstResponseAvg != 227700 || *cal.QueueWaitAvg != 1200 {
			t.Errorf("calendar averages %v %v", *cal.FirstResponseAvg, *cal.QueueWaitAvg)
		}
		if *biz.FirstResponseAvg != 900 || *biz.QueueWaitAvg != 600 || *biz.ReplyAvg != 480 || *biz.ResolutionAvg != 33600 {
			t.Errorf("business-hours averages %v %v %v %v, want 900, 600, 480 and 33600", *biz.FirstResponseAvg,
				*biz.QueueWaitAvg, *biz.ReplyAvg, *biz.ResolutionAvg)
		}
		if *cal.ReplyAvg != 54480 || *cal.ResolutionAvg != 314400 {
			t.Errorf("calendar reply %v, resolution %v", *cal.ReplyAvg, *cal.ResolutionAvg)
		}
		// the 90th percentiles, rounded up to the ranges' bounds: the wait
		// of 1200 s (600 s of business time), the reply of 54,480 s (480 s)
		if *cal.QueueWaitP90 != 1800 || *biz.QueueWaitP90 != 600 || *cal.ReplyP90 != 86400 || *biz.ReplyP90 != 600 {
			t.Errorf("p90 wait %v, business %v; reply %v, business %v, want 1800, 600, 86400 and 600",
				*cal.QueueWaitP90, *biz.QueueWaitP90, *cal.ReplyP90, *biz.ReplyP90)
		}
		// the group's hours read per group: the same figures filtered by it
		if diff := diff(want, totals(t, r, "2026-12-04", "2026-12-08", reports.Filter{GroupID: "gB"})); diff != "" {
			t.Errorf("group gB (want, got):\n%s", diff)
		}
	})
}
