package tickets_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// A reopened ticket keeps the solve it had (UTC days, worked out by hand):
//
//	t7 created 12-01 08:00, solved 09:00, reopened 09:30, solved 10:30
//	   → 12-01: created, solved once, 9000 s to its last solve
//	t8 created 11-30 09:00, solved 12-01 12:00, reopened 14:00, open
//	   → 12-01: solved in 97,200 s, and in the backlog at the day's end
//	t9 created 11-29 09:00, solved 11-30 09:00, reopened 12-01 09:00, open
//	   → 12-01: backlog only
//	t10 created 12-01 01:00, solved 02:00, reopened 12-02 03:00, solved 04:00
//	   → 12-01: created, solved in 3600 s, not backlog (solved at the end);
//	     12-02: solved again, 97,200 s to that solve
func TestReportReopened(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		off, _, _ := x.leave(x.f.Channel, "c1", "留言")
		c := mustTicket(t, x, off)
		at := func(s string) any {
			if s == "" {
				return nil
			}
			v, err := time.Parse("2006-01-02 15:04", s)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		// history: created, then the earlier solve and its reopening (if
		// any), then the current solve ("" when open now)
		for _, h := range [][4]string{
			{"2026-12-01 08:00", "2026-12-01 09:00", "2026-12-01 09:30", "2026-12-01 10:30"},
			{"2026-11-30 09:00", "2026-12-01 12:00", "2026-12-01 14:00", ""},
			{"2026-11-29 09:00", "2026-11-30 09:00", "2026-12-01 09:00", ""},
			{"2026-12-01 01:00", "2026-12-01 02:00", "2026-12-02 03:00", "2026-12-02 04:00"},
		} {
			tk, err := x.Tickets.Create(ctx, tid, tickets.NewTicket{Subject: "t", ContactID: c.ContactID, ChannelID: c.ChannelID})
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []func(context.Context, string, string) (*tickets.Ticket, error){
				x.Tickets.Solve, x.Tickets.Reopen} {
				if _, err := step(ctx, tid, tk.ID); err != nil {
					t.Fatal(err)
				}
			}
			if h[3] != "" {
				if _, err := x.Tickets.Solve(ctx, tid, tk.ID); err != nil {
					t.Fatal(err)
				}
			}
			err = x.K.Write(ctx, func(tx *store.Tx) error {
				n, err := tx.Exec(ctx, `UPDATE ticket_solves SET solved_at = ?, reopened_at = ? WHERE ticket_id = ?`,
					at(h[1]), at(h[2]), tk.ID)
				if err == nil && n != 1 {
					t.Errorf("%d solves kept of a ticket reopened once", n)
				}
				if err != nil {
					return err
				}
				_, err = tx.Exec(ctx, `UPDATE tickets SET created_at = ?, solved_at = ? WHERE id = ?`, at(h[0]), at(h[3]), tk.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		day := func(from, to string) tickets.ReportFilter {
			return tickets.ReportFilter{From: at(from).(time.Time), To: at(to).(time.Time)}
		}
		for _, c := range []struct {
			f    tickets.ReportFilter
			want tickets.ReportRow
		}{
			{day("2026-12-01 00:00", "2026-12-02 00:00"), tickets.ReportRow{Created: 2, Solved: 3, Backlog: 2,
				SolveSeconds: 9000 + 97200 + 3600}},
			{day("2026-12-02 00:00", "2026-12-03 00:00"), tickets.ReportRow{Solved: 1, Backlog: 2, SolveSeconds: 97200}},
			// both days: t10 solved once, to its last solve
			{day("2026-12-01 00:00", "2026-12-03 00:00"), tickets.ReportRow{Created: 2, Solved: 3, Backlog: 2,
				SolveSeconds: 9000 + 97200 + 97200}},
		} {
			rows, err := x.Tickets.Report(ctx, tid, c.f)
			if err != nil {
				t.Fatal(err)
			}
			// (the leave-message the fixture needs was created today: after these days)
			if len(rows) != 1 || !reflect.DeepEqual(c.want, rows[0]) {
				t.Errorf("%s: want %+v\n got %+v", c.f.From.Format(time.DateOnly), c.want, rows)
			}
		}
	})
}
