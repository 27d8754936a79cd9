package tickets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/tickets"
)

func ptr[T any](v T) *T { return &v }

// Every status change the workflow allows passes, every other is a
// conflict that names both statuses in Chinese.
func TestMove(t *testing.T) {
	all := []tickets.Status{tickets.StatusNew, tickets.Open, tickets.Pending, tickets.Solved, tickets.Closed}
	allowed := map[string]bool{"new>open": true, "new>pending": true, "new>solved": true, "new>closed": true,
		"open>pending": true, "open>solved": true, "open>closed": true, "pending>open": true, "pending>solved": true,
		"pending>closed": true, "solved>open": true, "solved>closed": true, "closed>open": true}
	for _, from := range all {
		for _, to := range all {
			err := tickets.Move(from, to)
			want := from == to || allowed[string(from)+">"+string(to)]
			if (err == nil) != want {
				t.Errorf("%s → %s: %v, allowed %v", from, to, err, want)
			}
			if err != nil && (!errors.Is(err, hub.ErrConflict) || !strings.Contains(err.Error(), "工单不能从")) {
				t.Errorf("%s → %s: %v, want a conflict explained in Chinese", from, to, err)
			}
		}
	}
	if err := tickets.Move(tickets.Open, "archived"); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
}

// Tickets opened by hand live beside the offline ones: several per
// customer, new until assigned, through the workflow, counted per view.
func TestCreateAndViews(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		a := x.agent(hub.RoleAgent)
		off, _, _ := x.leave(x.f.Channel, "c1", "留言")
		c := mustTicket(t, x, off)
		n := tickets.NewTicket{Subject: "  退货  ", ContactID: c.ContactID, ChannelID: c.ChannelID, CreatedBy: a.ID}
		mine, err := x.Tickets.Create(ctx, tid, tickets.NewTicket{Subject: "发票", ContactID: c.ContactID, ChannelID: c.ChannelID,
			ConversationID: c.ConversationID, Priority: tickets.High, AssigneeID: &a.ID, DueAt: ptr(time.Now().Add(-time.Hour))})
		if err != nil || mine.Status != tickets.Open || mine.Origin != tickets.FromConversation || mine.Priority != tickets.High {
			t.Fatalf("created from a conversation: %+v, %v", mine, err)
		}
		loose, err := x.Tickets.Create(ctx, tid, n)
		if err != nil || loose.Status != tickets.StatusNew || loose.Subject != "退货" || loose.Priority != tickets.Normal ||
			loose.Origin != tickets.FromAgent {
			t.Fatalf("created by hand: %+v, %v", loose, err)
		}
		for name, bad := range map[string]tickets.NewTicket{
			"no subject":    {ContactID: c.ContactID, ChannelID: c.ChannelID},
			"bad priority":  {Subject: "x", ContactID: c.ContactID, ChannelID: c.ChannelID, Priority: "asap"},
			"foreign agent": {Subject: "x", ContactID: c.ContactID, ChannelID: c.ChannelID, AssigneeID: ptr("ag_nope")},
			"foreign group": {Subject: "x", ContactID: c.ContactID, ChannelID: c.ChannelID, GroupID: ptr("gr_nope")},
		} {
			if _, err := x.Tickets.Create(ctx, tid, bad); !errors.Is(err, tickets.ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		// A later offline message still goes to the offline ticket.
		if again, created, _ := x.leave(x.f.Channel, "c1", "还在吗"); again != off || created {
			t.Fatalf("offline message went to %s (created %v), want %s", again, created, off)
		}
		counts, err := x.Tickets.Counts(ctx, tid, a.ID, a.ID)
		if err != nil || counts["mine"] != 1 || counts["unassigned"] != 2 || counts["overdue"] != 1 || counts["all"] != 3 {
			t.Fatalf("counts for the agent: %v, %v", counts, err)
		}
		if list, _ := x.Tickets.List(ctx, tid, tickets.Filter{View: "overdue"}); len(list) != 1 || list[0].ID != mine.ID {
			t.Fatalf("overdue view: %+v", list)
		}
		if _, err := x.Tickets.List(ctx, tid, tickets.Filter{View: "later"}); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("unknown view: %v", err)
		}
		// The workflow: assigning opens, solving stamps, closing is final
		// but for a reopen, which clears the stamps.
		steps := []struct {
			c    tickets.Change
			want tickets.Status
			err  error
		}{
			{tickets.Change{AssigneeID: &a.ID}, tickets.Open, nil},
			{tickets.Change{Status: ptr(tickets.StatusNew)}, tickets.Open, hub.ErrConflict},
			{tickets.Change{Status: ptr(tickets.Pending), Priority: ptr(tickets.Urgent)}, tickets.Pending, nil},
			{tickets.Change{Status: ptr(tickets.Solved)}, tickets.Solved, nil},
			{tickets.Change{Status: ptr(tickets.Closed)}, tickets.Closed, nil},
			{tickets.Change{Status: ptr(tickets.Pending)}, tickets.Closed, hub.ErrConflict},
			{tickets.Change{DueAt: ptr("tomorrow")}, tickets.Closed, tickets.ErrInvalid},
		}
		for i, st := range steps {
			tk, err := x.Tickets.Update(ctx, tid, loose.ID, st.c)
			if !errors.Is(err, st.err) || (err == nil && tk.Status != st.want) {
				t.Fatalf("step %d: %+v, %v; want %s, %v", i, tk, err, st.want, st.err)
			}
		}
		tk, err := x.Tickets.Reopen(ctx, tid, loose.ID)
		if err != nil || tk.Status != tickets.Open || tk.SolvedAt != nil || tk.ClosedAt != nil || tk.Priority != tickets.Urgent {
			t.Fatalf("reopened: %+v, %v", tk, err)
		}
		// Reopening a solved offline ticket while the customer has a newer
		// one open on the channel would break the one-open rule: refused.
		x.Tickets.Solve(ctx, tid, off)
		if next, created, _ := x.leave(x.f.Channel, "c1", "又来了"); !created || next == off {
			t.Fatalf("after solving, a new offline ticket: %s %v", next, created)
		}
		if _, err := x.Tickets.Reopen(ctx, tid, off); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("reopening a second offline ticket: %v", err)
		}
		if _, err := x.Tickets.Update(ctx, x.NewTenant(t).Admin.TenantID, loose.ID, tickets.Change{Status: ptr(tickets.Solved)}); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("another tenant changes the ticket: %v", err)
		}
	})
}
