package tickets_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store/storetest"
	"github.com/kefu-hub/kefu/tickets"
)

// The view badges (我的/未分配/本组/我关注的/已超时/全部) always equal the
// length of the list each view shows and a plain COUNT, for an admin, a
// group member and an agent outside the group, whatever changed the
// tickets: offline messages, hand-made tickets, assigning, regrouping,
// every status move and reopen, follows, manual due times, and the SLA
// sweeper flagging breaches as the clock passes them.
func TestCountsFollowEveryChange(t *testing.T) {
	eachClocked(t, func(t *testing.T, x *fx, clk *clock, _ storetest.Dialect) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		li, wang := x.agent(hub.RoleAgent), x.agent(hub.RoleAgent)
		name, members := "售后", []string{li.ID}
		g, err := x.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: &name, AgentIDs: &members})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Tickets.SetPolicies(ctx, tid, []tickets.Policy{{Priority: tickets.Urgent, FirstResponseMinutes: 30,
			ResolutionMinutes: 120}}); err != nil {
			t.Fatal(err)
		}
		steps := 0
		check := func(what string) {
			t.Helper()
			steps++
			for _, who := range []struct{ me, viewer string }{{x.f.Admin.ID, ""}, {li.ID, li.ID}, {wang.ID, wang.ID}, {li.ID, ""}} {
				got := badges(t, x.Tickets, tid, who.me, who.viewer, "after "+what)
				if who.viewer == "" {
					var n int
					if err := x.K.Get(ctx, &n, `SELECT COUNT(*) FROM tickets WHERE tenant_id = ?`, tid); err != nil || got["all"] != n {
						t.Errorf("after %s: all %d, COUNT %d (%v)", what, got["all"], n, err)
					}
				}
			}
		}
		check("nothing")
		off1, _, _ := x.leave(x.f.Channel, "c1", "留言一")
		off2, _, _ := x.leave(x.f.Channel, "c2", "留言二")
		check("offline messages")
		c := mustTicket(t, x, off1)
		n := func(subject string, p tickets.Priority, assignee, group *string) *tickets.Ticket {
			return mustCreate(t, x, tickets.NewTicket{Subject: subject, ContactID: c.ContactID, ChannelID: c.ChannelID,
				Priority: p, AssigneeID: assignee, GroupID: group, CreatedBy: x.f.Admin.ID})
		}
		mine := n("发票", tickets.Urgent, &li.ID, nil).ID
		grp := n("退货", tickets.Normal, nil, &g.ID).ID
		other := n("换货", tickets.High, &wang.ID, &g.ID).ID
		check("hand-made tickets")
		for _, st := range []struct {
			id string
			c  tickets.Change
		}{
			{off1, tickets.Change{AssigneeID: &li.ID}},
			{off2, tickets.Change{GroupID: &g.ID}},
			{grp, tickets.Change{AssigneeID: &wang.ID}},
			{grp, tickets.Change{AssigneeID: ptr("")}},
			{other, tickets.Change{GroupID: ptr("")}},
			{other, tickets.Change{DueAt: ptr(clk.now().Add(time.Hour).Format(time.RFC3339))}},
			{grp, tickets.Change{DueAt: ptr(clk.now().Add(3 * time.Hour).Format(time.RFC3339))}},
			{mine, tickets.Change{Status: ptr(tickets.Pending)}},
			{mine, tickets.Change{Status: ptr(tickets.Open)}},
			{off2, tickets.Change{Status: ptr(tickets.Solved)}},
			{off1, tickets.Change{Status: ptr(tickets.Closed)}},
			{grp, tickets.Change{Priority: ptr(tickets.Urgent), GroupID: &g.ID}},
		} {
			if _, err := x.Tickets.Update(ctx, tid, st.id, st.c); err != nil {
				t.Fatal(err)
			}
			check("a change")
		}
		if _, err := x.Tickets.Reopen(ctx, tid, off1); err != nil {
			t.Fatal(err)
		}
		check("a reopen")
		if _, err := x.Tickets.Assign(ctx, tid, off1, wang.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := x.Tickets.Solve(ctx, tid, other); err != nil {
			t.Fatal(err)
		}
		check("assign and solve")
		for _, id := range []string{other, grp, off1} {
			if _, err := x.Tickets.Follow(ctx, tid, id, wang.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := x.Tickets.Follow(ctx, tid, id, li.ID); err != nil {
				t.Fatal(err)
			}
		}
		check("follows")
		if _, err := x.Tickets.Unfollow(ctx, tid, grp, li.ID); err != nil {
			t.Fatal(err)
		}
		check("an unfollow")
		before, _ := x.Tickets.Counts(ctx, tid, x.f.Admin.ID, "")
		// time passes: manual due times run out, SLA targets breach
		for _, d := range []time.Duration{90 * time.Minute, 4 * time.Hour} {
			clk.set(clk.now().Add(d))
			if _, err := x.Tickets.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			check("time passing")
		}
		after, _ := x.Tickets.Counts(ctx, tid, x.f.Admin.ID, "")
		if after["overdue"] <= before["overdue"] {
			t.Errorf("overdue before %d, after the due times passed %d", before["overdue"], after["overdue"])
		}
		if off3, created, _ := x.leave(x.f.Channel, "c3", "留言三"); !created || off3 == "" {
			t.Fatal("a third offline ticket")
		}
		check("another offline message")
		t.Logf("%d states compared", steps)
	})
}

// badges returns an agent's view badges, checking each against the length
// of its list.
func badges(t *testing.T, s *tickets.Store, tenantID, me, viewer, when string) map[string]int {
	t.Helper()
	ctx := context.Background()
	got, err := s.Counts(ctx, tenantID, me, viewer)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tickets.ViewNames {
		list, err := s.List(ctx, tenantID, tickets.Filter{View: v, Me: me, Viewer: viewer, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if got[v] != len(list) {
			t.Errorf("%s: %s's %q badge %d, the list shows %d", when, me, v, got[v], len(list))
		}
	}
	return got
}
