package tickets_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// The tickets report over 2026-12-01 (UTC), worked out by hand from six
// tickets whose times are set:
//
//	t1 leave-message, normal, created 11-30 10:00, unsolved      → backlog
//	t2 high, agent a, created 12-01 09:00, due 12:00, solved 11:00 → created, solved in 2 h, SLA met;
//	   first response due 09:30, answered 09:20                   → response met
//	t3 normal, created 12-01 10:00, due 10:30, solved 13:00       → created, solved in 3 h, SLA missed;
//	   first response due 10:15, answered 10:40 (flagged)         → response missed
//	t4 urgent, created 12-01 20:00, open                         → created, backlog
//	t5 normal, created 11-29, solved 11-30                       → not in the day
//	t6 normal, created 11-30 08:00, closed 12-02 05:00           → backlog (done after the day)
func TestReport(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		a := x.agent(hub.RoleAgent)
		off, _, _ := x.leave(x.f.Channel, "c1", "留言")
		c := mustTicket(t, x, off)
		at := func(s string) *time.Time {
			v, err := time.Parse("2006-01-02 15:04", s)
			if err != nil {
				t.Fatal(err)
			}
			return &v
		}
		set := func(id, prio string, created string, solved, closed, due *time.Time) {
			err := x.K.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE tickets SET priority = ?, created_at = ?, solved_at = ?, closed_at = ?,
					due_at = ? WHERE id = ?`, prio, at(created).UTC(), solved, closed, due, id)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		ids := map[string]string{"t1": off}
		for _, n := range []string{"t2", "t3", "t4", "t5", "t6"} {
			nt := tickets.NewTicket{Subject: n, ContactID: c.ContactID, ChannelID: c.ChannelID}
			if n == "t2" {
				nt.AssigneeID = &a.ID
			}
			tk, err := x.Tickets.Create(ctx, tid, nt)
			if err != nil {
				t.Fatal(err)
			}
			ids[n] = tk.ID
		}
		set(ids["t1"], "normal", "2026-11-30 10:00", nil, nil, nil)
		set(ids["t2"], "high", "2026-12-01 09:00", at("2026-12-01 11:00"), nil, at("2026-12-01 12:00"))
		set(ids["t3"], "normal", "2026-12-01 10:00", at("2026-12-01 13:00"), nil, at("2026-12-01 10:30"))
		set(ids["t4"], "urgent", "2026-12-01 20:00", nil, nil, nil)
		for id, r := range map[string][3]string{ids["t2"]: {"2026-12-01 09:30", "2026-12-01 09:20", "0"},
			ids["t3"]: {"2026-12-01 10:15", "2026-12-01 10:40", "2"}} {
			err := x.K.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE tickets SET first_response_due_at = ?, first_responded_at = ?,
					first_response_sla = ? WHERE id = ?`, at(r[0]).UTC(), at(r[1]).UTC(), r[2], id)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		set(ids["t5"], "normal", "2026-11-29 10:00", at("2026-11-30 10:00"), nil, nil)
		set(ids["t6"], "normal", "2026-11-30 08:00", nil, at("2026-12-02 05:00"), nil)
		day := tickets.ReportFilter{From: *at("2026-12-01 00:00"), To: *at("2026-12-02 00:00")}
		report := func(f tickets.ReportFilter) []tickets.ReportRow {
			t.Helper()
			rows, err := x.Tickets.Report(ctx, tid, f)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		check := func(name string, want, got []tickets.ReportRow) {
			t.Helper()
			if !reflect.DeepEqual(want, got) {
				t.Errorf("%s:\nwant %+v\n got %+v", name, want, got)
			}
		}
		check("totals", []tickets.ReportRow{{Created: 3, Solved: 2, Backlog: 3, SolveSeconds: 18000, SolvedWithDue: 2,
			SLAMet: 1, RespondedWithDue: 2, ResponseMet: 1}}, report(day))
		byPrio := day
		byPrio.By = tickets.ReportByPriority
		// busiest (created + backlog) first
		check("by priority", []tickets.ReportRow{
			{Key: "normal", Created: 1, Solved: 1, Backlog: 2, SolveSeconds: 10800, SolvedWithDue: 1, RespondedWithDue: 1},
			{Key: "urgent", Created: 1, Backlog: 1},
			{Key: "high", Created: 1, Solved: 1, SolveSeconds: 7200, SolvedWithDue: 1, SLAMet: 1, RespondedWithDue: 1,
				ResponseMet: 1},
		}, report(byPrio))
		byOrigin := day
		byOrigin.By = tickets.ReportByOrigin
		check("by origin", []tickets.ReportRow{
			{Key: "agent", Created: 3, Solved: 2, Backlog: 2, SolveSeconds: 18000, SolvedWithDue: 2, SLAMet: 1,
				RespondedWithDue: 2, ResponseMet: 1},
			{Key: "offline", Backlog: 1},
		}, report(byOrigin))
		byAgent := day
		byAgent.By, byAgent.AgentID = tickets.ReportByAgent, a.ID
		check("one agent", []tickets.ReportRow{{Key: a.ID, Created: 1, Solved: 1, SolveSeconds: 7200, SolvedWithDue: 1,
			SLAMet: 1, RespondedWithDue: 1, ResponseMet: 1}}, report(byAgent))
		other := day
		other.ChannelID = "ch_nope"
		check("another channel", []tickets.ReportRow{{}}, report(other))
		if _, err := x.Tickets.Report(ctx, tid, tickets.ReportFilter{By: "status"}); err == nil {
			t.Error("by status: no error")
		}
	})
}
