package tickets_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
	"github.com/kefu-hub/kefu/tickets"
)

// clock is a test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// sh is a Shanghai wall time of the week of Monday 2026-12-07.
func sh(t *testing.T, s string) time.Time {
	t.Helper()
	day := map[string]int{"Mon": 7, "Tue": 8, "Wed": 9, "Thu": 10}[s[:3]]
	v, err := time.Parse("15:04", s[4:])
	if day == 0 || err != nil {
		t.Fatalf("bad time %q", s)
	}
	return time.Date(2026, 12, day, v.Hour(), v.Minute(), 0, 0, shanghai).UTC()
}

// eachClocked runs f on stores of every dialect whose clock the test sets.
func eachClocked(t *testing.T, f func(t *testing.T, x *fx, c *clock, d storetest.Dialect)) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: sh(t, "Mon 09:00")}
			d := storetest.Open(t, name, store.Options{Now: c.now})
			h := hubtest.Build(d.Store)
			f(t, &fx{Hub: h, t: t, f: h.NewTenant(t)}, c, d)
		})
	}
}

func when(t *testing.T, got *time.Time, want time.Time, what string) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Fatalf("%s = %v, want %s (%s in Shanghai)", what, got, want, want.In(shanghai).Format("Mon 15:04"))
	}
}

// SLA clocks as an agent sees them on a ticket: targets by priority and
// group counted in the group's business hours (calendar time without a
// group); the first public reply stops the first-response clock; waiting on
// the customer stops the resolution clock and the customer's answer starts
// it again, later by the working time it stood; the sweeper warns at 80 %
// and flags the breach, once.
func TestSLAClocks(t *testing.T) {
	eachClocked(t, func(t *testing.T, x *fx, c *clock, _ storetest.Dialect) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		name := "售后"
		g, err := x.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: &name, Hours: &hub.Hours{
			Weekly: []hub.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00"}}}})
		if err != nil {
			t.Fatal(err)
		}
		ps := []tickets.Policy{{Priority: tickets.Urgent, FirstResponseMinutes: 30, ResolutionMinutes: 120},
			{Priority: tickets.High, GroupID: g.ID, FirstResponseMinutes: 60, ResolutionMinutes: 480},
			{Priority: tickets.High, FirstResponseMinutes: 5, ResolutionMinutes: 10}}
		if _, err := x.Tickets.SetPolicies(ctx, tid, ps); err != nil {
			t.Fatal(err)
		}
		if got, _ := x.Tickets.Policies(ctx, tid); len(got) != 3 || got[1].GroupID != g.ID {
			t.Fatalf("policies read back %+v", got)
		}
		if _, err := x.Tickets.SetPolicies(ctx, tid, append(ps, ps[0])); err == nil {
			t.Fatal("two rules for one priority and group were accepted")
		}

		// A left message at Monday 17:30 has no target (normal); made high
		// for the 售后 group its clocks count in the group's hours.
		c.set(sh(t, "Mon 17:30"))
		id, _, _ := x.leave(x.f.Channel, "c1", "发票开错了")
		if tk := mustTicket(t, x, id); tk.FirstResponseDueAt != nil || tk.DueAt != nil {
			t.Fatalf("a normal ticket without a policy has due times %v %v", tk.FirstResponseDueAt, tk.DueAt)
		}
		c.set(sh(t, "Mon 17:40"))
		high, gid := tickets.High, g.ID
		tk, err := x.Tickets.Update(ctx, tid, id, tickets.Change{Priority: &high, GroupID: &gid})
		if err != nil {
			t.Fatal(err)
		}
		when(t, tk.FirstResponseDueAt, sh(t, "Tue 09:30"), "first response due")
		when(t, tk.DueAt, sh(t, "Tue 16:30"), "resolution due")
		when(t, tk.NextDueAt, sh(t, "Tue 09:30"), "next due")

		// The first public reply stops the first-response clock.
		c.set(sh(t, "Mon 17:50"))
		if _, err := x.Conversations.ReplyToTicket(ctx, x.f.Admin, id, "我们明早处理"); err != nil {
			t.Fatal(err)
		}
		tk = mustTicket(t, x, id)
		when(t, tk.FirstRespondedAt, sh(t, "Mon 17:50"), "first responded")
		when(t, tk.NextDueAt, sh(t, "Tue 16:30"), "next due after the reply")

		// Waiting on the customer from Tuesday 10:00 stops the clock; their
		// answer on Wednesday 10:00 reopens the ticket, due 9 working
		// hours later (Tue 10–18, Wed 9–10) than before: Wednesday 16:30.
		c.set(sh(t, "Tue 10:00"))
		pending := tickets.Pending
		if tk, err = x.Tickets.Update(ctx, tid, id, tickets.Change{Status: &pending}); err != nil || tk.SLAPausedAt == nil || tk.NextDueAt != nil {
			t.Fatalf("pending: %+v, %v", tk, err)
		}
		c.set(sh(t, "Tue 17:00"))
		if n, _ := x.Tickets.Sweep(ctx); n != 0 {
			t.Fatalf("a paused ticket was flagged %d times", n)
		}
		c.set(sh(t, "Wed 10:00"))
		x.leave(x.f.Channel, "c1", "还没好吗")
		tk = mustTicket(t, x, id)
		if tk.Status != tickets.Open || tk.SLAPausedAt != nil {
			t.Fatalf("after the customer's answer: status %s, paused %v", tk.Status, tk.SLAPausedAt)
		}
		when(t, tk.DueAt, sh(t, "Wed 16:30"), "resumed resolution due")

		// An urgent ticket without a group counts calendar time: due 30
		// minutes and 2 hours after creation.
		c.set(sh(t, "Wed 11:00"))
		urgent := mustCreate(t, x, tickets.NewTicket{Subject: "系统宕机", ContactID: tk.ContactID, ChannelID: tk.ChannelID, Priority: tickets.Urgent})
		when(t, urgent.FirstResponseDueAt, sh(t, "Wed 11:30"), "urgent first response due")
		when(t, urgent.DueAt, sh(t, "Wed 13:00"), "urgent resolution due")

		// 80 % of the first-response target (24 minutes): a warning; past
		// it: the breach; sweeping again tells nobody twice.
		c.set(sh(t, "Wed 11:25"))
		if n, err := x.Tickets.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep at 80 %%: %d flags, %v", n, err)
		}
		if tk := mustTicket(t, x, urgent.ID); tk.FirstResponseSLA != tickets.SLAWarned {
			t.Fatalf("first response %v, want warned", tk.FirstResponseSLA)
		}
		c.set(sh(t, "Wed 11:31"))
		if n, _ := x.Tickets.Sweep(ctx); n != 1 {
			t.Fatalf("sweep past due: %d flags, want 1", n)
		}
		if n, _ := x.Tickets.Sweep(ctx); n != 0 {
			t.Fatalf("sweeping again raised %d flags", n)
		}
		overdue, err := x.Tickets.List(ctx, tid, tickets.Filter{View: "overdue"})
		if err != nil || len(overdue) != 1 || overdue[0].ID != urgent.ID || overdue[0].FirstResponseSLA != tickets.SLABreached {
			t.Fatalf("overdue view %+v, %v; want the urgent ticket, breached", overdue, err)
		}
		counts, _ := x.Tickets.Counts(ctx, tid, x.f.Admin.ID, "")
		if counts["overdue"] != 1 || counts["all"] != 2 {
			t.Fatalf("counts %v", counts)
		}
		byDue, _ := x.Tickets.List(ctx, tid, tickets.Filter{Sort: "due"})
		if len(byDue) != 2 || byDue[0].ID != urgent.ID || byDue[1].ID != id {
			t.Fatalf("sorted by due: %v", ids(byDue))
		}
		// Solved at Wednesday 12:00, the customer's mail reopens it on
		// Thursday 10:00: 7 working hours stood (Wed 12–18, Thu 9–10), so
		// it is due Thursday 14:30.
		c.set(sh(t, "Wed 12:00"))
		if _, err := x.Tickets.Solve(ctx, tid, id); err != nil {
			t.Fatal(err)
		}
		c.set(sh(t, "Thu 10:00"))
		if err := tickets.ReopenForCustomer(ctx, x.K, tid, id); err != nil {
			t.Fatal(err)
		}
		tk = mustTicket(t, x, id)
		if tk.Status != tickets.Open || tk.SLAPausedAt != nil {
			t.Fatalf("reopened by the customer: status %s, paused %v", tk.Status, tk.SLAPausedAt)
		}
		when(t, tk.DueAt, sh(t, "Thu 14:30"), "due after the reopening")

		var warned, breached int
		evs, _ := x.K.EventsAfter(ctx, x.f.Admin, 0, 1000)
		for _, e := range evs {
			if e.Type == tickets.EvTicketSLA {
				if string(e.Payload) != "" && contains(string(e.Payload), `"level":"breached"`) {
					breached++
				} else {
					warned++
				}
			}
		}
		if warned != 1 || breached != 1 {
			t.Fatalf("supervisors saw %d warnings and %d breaches, want 1 and 1", warned, breached)
		}
	})
}

func mustCreate(t *testing.T, x *fx, n tickets.NewTicket) *tickets.Ticket {
	t.Helper()
	tk, err := x.Tickets.Create(context.Background(), x.f.Admin.TenantID, n)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func ids(ts []tickets.Ticket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Two hub processes sweep the same database at once: each breach is
// flagged, and announced, once; a third process started later finds
// nothing left to flag (the due times and flags are stored).
func TestSweepTwoHubs(t *testing.T) {
	eachClocked(t, func(t *testing.T, x *fx, c *clock, d storetest.Dialect) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		if _, err := x.Tickets.SetPolicies(ctx, tid, []tickets.Policy{{Priority: tickets.Normal, FirstResponseMinutes: 10}}); err != nil {
			t.Fatal(err)
		}
		first, _, _ := x.leave(x.f.Channel, "c0", "x")
		tk := mustTicket(t, x, first)
		const n = 20
		for i := 0; i < n-1; i++ {
			mustCreate(t, x, tickets.NewTicket{Subject: "工单", ContactID: tk.ContactID, ChannelID: tk.ChannelID})
		}
		other := func() *hubtest.Hub {
			s, err := store.Open(ctx, d.URL, d.Dir, store.Options{Now: c.now, Keys: storetest.Keys})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return hubtest.Build(s)
		}
		second := other()
		c.set(c.now().Add(11 * time.Minute))
		var wg sync.WaitGroup
		raised := make([]int, 2)
		for i, h := range []*hubtest.Hub{x.Hub, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for try := 0; try < 3; try++ {
					k, err := h.Tickets.Sweep(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					raised[i] += k
				}
			}()
		}
		wg.Wait()
		if raised[0]+raised[1] != n {
			t.Fatalf("the two hubs raised %v flags, want %d in all", raised, n)
		}
		if k, err := other().Tickets.Sweep(ctx); err != nil || k != 0 {
			t.Fatalf("a restarted hub raised %d more flags (%v)", k, err)
		}
		evs, _ := x.K.EventsAfter(ctx, x.f.Admin, 0, 10000)
		sla := 0
		for _, e := range evs {
			if e.Type == tickets.EvTicketSLA {
				sla++
			}
		}
		if sla != n {
			t.Fatalf("%d ticket.sla events, want %d (one per breach)", sla, n)
		}
	})
}

// Followers: an agent follows a ticket assigned to someone else, sees it
// in their "following" view and gets its SLA warnings; unfollowing ends
// both.
func TestFollowers(t *testing.T) {
	eachClocked(t, func(t *testing.T, x *fx, c *clock, _ storetest.Dialect) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		owner, watcher := x.agent(hub.RoleAgent), x.agent(hub.RoleAgent)
		if _, err := x.Tickets.SetPolicies(ctx, tid, []tickets.Policy{{Priority: tickets.Normal, ResolutionMinutes: 60}}); err != nil {
			t.Fatal(err)
		}
		id, _, _ := x.leave(x.f.Channel, "c1", "退款")
		if _, err := x.Tickets.Follow(ctx, tid, id, watcher.ID); err != nil {
			t.Fatal(err)
		}
		tk, err := x.Tickets.Assign(ctx, tid, id, owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !tk.Visible(watcher.ID) || len(tk.Followers) != 1 || tk.Followers[0] != watcher.ID {
			t.Fatalf("followers %v; visible to the follower: %v", tk.Followers, tk.Visible(watcher.ID))
		}
		list, err := x.Tickets.List(ctx, tid, tickets.Filter{View: "following", Me: watcher.ID, Viewer: watcher.ID})
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Fatalf("following view: %v, %v", ids(list), err)
		}
		if counts, _ := x.Tickets.Counts(ctx, tid, watcher.ID, watcher.ID); counts["following"] != 1 || counts["mine"] != 0 {
			t.Fatalf("the follower's counts %v", counts)
		}
		c.set(c.now().Add(61 * time.Minute))
		if n, _ := x.Tickets.Sweep(ctx); n != 1 {
			t.Fatalf("sweep raised %d flags, want 1", n)
		}
		for _, a := range []*hub.Agent{owner, watcher} {
			evs, _ := x.K.EventsAfter(ctx, a, 0, 1000)
			got := 0
			for _, e := range evs {
				if e.Type == tickets.EvTicketSLA && contains(string(e.Payload), id) {
					got++
				}
			}
			if got != 1 {
				t.Fatalf("agent %s got %d breach notices, want 1", a.ID, got)
			}
		}
		if _, err := x.Tickets.Unfollow(ctx, tid, id, watcher.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := x.Tickets.List(ctx, tid, tickets.Filter{Me: watcher.ID, Viewer: watcher.ID}); len(list) != 0 {
			t.Fatalf("after unfollowing the agent still sees %v", ids(list))
		}
		// the view holds the agent's own follows still to be worked, the
		// latest changed first: not a solved one, not another's follow
		follow := func(contact string, a *hub.Agent) string {
			c.set(c.now().Add(time.Minute))
			id, _, _ := x.leave(x.f.Channel, contact, "换货")
			if _, err := x.Tickets.Follow(ctx, tid, id, a.ID); err != nil {
				t.Fatal(err)
			}
			return id
		}
		older, solved := follow("c2", watcher), follow("c3", watcher)
		if _, err := x.Tickets.Solve(ctx, tid, solved); err != nil {
			t.Fatal(err)
		}
		follow("c4", owner)
		newer := follow("c5", watcher)
		list, err = x.Tickets.List(ctx, tid, tickets.Filter{View: "following", Me: watcher.ID, Viewer: watcher.ID})
		if err != nil || !slices.Equal(ids(list), []string{newer, older}) {
			t.Fatalf("following view: %v, %v; want %v", ids(list), err, []string{newer, older})
		}
		if counts, _ := x.Tickets.Counts(ctx, tid, watcher.ID, watcher.ID); counts["following"] != 2 {
			t.Fatalf("the follower's counts %v", counts)
		}
	})
}
