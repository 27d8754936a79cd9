package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

type fx struct {
	*hubtest.Hub
	t *testing.T
	f hubtest.Tenant
}

// leave stores a customer's message on a channel and files it into the
// contact's ticket, as routing does when nobody is online.
func (x *fx) leave(ch *hub.Channel, contact, text string) (ticketID string, created bool, messageID string) {
	x.t.Helper()
	ctx := context.Background()
	in := x.f.Msg(hub.NewID("m"), contact)
	in.ChannelID, in.Text = ch.ID, text
	r := x.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
	if r.Err != nil {
		x.t.Fatal(r.Err)
	}
	c, err := x.Conversations.ByID(ctx, r.ConversationID)
	if err != nil {
		x.t.Fatal(err)
	}
	err = x.K.Write(ctx, func(tx *store.Tx) error {
		ticketID, created, err = tickets.OpenOrAppend(ctx, tx, tickets.Ref{TenantID: c.TenantID, ChannelID: c.ChannelID,
			ContactID: c.ContactID, ConversationID: c.ID, Subject: text}, []string{r.MessageID})
		return err
	})
	if err != nil {
		x.t.Fatal(err)
	}
	return ticketID, created, r.MessageID
}

func (x *fx) agent(role hub.Role) *hub.Agent {
	x.t.Helper()
	a, err := x.Identity.Agents.Create(context.Background(), x.f.Admin.TenantID, identity.NewAgent{Email: hub.NewID("a") + "@t.test",
		Password: "password1", Role: role})
	if err != nil {
		x.t.Fatal(err)
	}
	return a
}

func (x *fx) ticketEvents(a *hub.Agent) int {
	x.t.Helper()
	evs, err := x.K.EventsAfter(context.Background(), a, 0, 1000)
	if err != nil {
		x.t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == hub.EvTicketCreated {
			n++
		}
	}
	return n
}

func each(t *testing.T, fn func(t *testing.T, x *fx)) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		fn(t, &fx{Hub: h, t: t, f: h.NewTenant(t)})
	})
}

// A contact has one open ticket per channel: opened (and announced to every
// agent) once, later messages appended once each; after it is solved the
// next message opens a new one.
func TestOpenOrAppend(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		plain := x.agent(hub.RoleAgent)
		subject := strings.Repeat("长", 100)
		id, created, m1 := x.leave(x.f.Channel, "c1", subject)
		if !created {
			t.Fatal("the first message opened no ticket")
		}
		again, created, m2 := x.leave(x.f.Channel, "c1", "second")
		if again != id || created {
			t.Fatalf("second message: ticket %s created=%v, want %s appended", again, created, id)
		}
		x.K.Write(ctx, func(tx *store.Tx) error { // appending twice is a no-op
			_, _, err := tickets.OpenOrAppend(ctx, tx, tickets.Ref{TenantID: tid, ChannelID: x.f.Channel.ID,
				ContactID: mustTicket(t, x, id).ContactID}, []string{m1})
			return err
		})
		tk := mustTicket(t, x, id)
		var ids []string
		for _, m := range tk.Messages {
			ids = append(ids, m.MessageID)
		}
		if fmt.Sprint(ids) != fmt.Sprint([]string{m1, m2}) || tk.Status != tickets.Open || tk.Subject != strings.Repeat("长", 80) {
			t.Fatalf("ticket %+v with messages %v; want open, [%s %s], the subject cut to 80", tk, ids, m1, m2)
		}
		if n := x.ticketEvents(plain); n != 1 {
			t.Fatalf("a plain agent sees %d ticket.created events, want 1", n)
		}
		if other, created, _ := x.leave(x.f.Channel, "c2", "x"); !created || other == id {
			t.Fatal("another contact shares the ticket")
		}
		if _, err := x.Tickets.Solve(ctx, tid, id); err != nil {
			t.Fatal(err)
		}
		next, created, _ := x.leave(x.f.Channel, "c1", "third")
		if !created || next == id {
			t.Fatalf("after solving: ticket %s created=%v, want a new one", next, created)
		}
		if n := x.ticketEvents(x.f.Admin); n != 3 {
			t.Fatalf("%d ticket.created events, want 3", n)
		}
		if n, _ := x.Tickets.OpenCount(ctx, tid); n != 2 {
			t.Fatalf("open count %d, want 2", n)
		}
	})
}

func mustTicket(t *testing.T, x *fx, id string) *tickets.Ticket {
	t.Helper()
	tk, err := x.Tickets.Get(context.Background(), x.f.Admin.TenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// A message left in the form goes straight into a ticket, and the agent's
// answer joins the ticket's history.
func TestLeftMessageAndReply(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		in := x.f.Msg("left1", "c1")
		in.LeaveMessage, in.Text = true, "请回电 13800000000"
		r := x.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
		if r.Err != nil || !r.Ticketed {
			t.Fatalf("left message: %+v", r)
		}
		c, _ := x.Conversations.ByID(ctx, r.ConversationID)
		list, err := x.Tickets.List(ctx, x.f.Admin.TenantID, tickets.Filter{ContactID: c.ContactID})
		if err != nil || len(list) != 1 || list[0].ConversationID != c.ID || list[0].Subject != in.Text {
			t.Fatalf("tickets of the contact: %+v, %v", list, err)
		}
		m, err := x.Conversations.ReplyToTicket(ctx, x.f.Admin, list[0].ID, "稍后联系您")
		if err != nil {
			t.Fatal(err)
		}
		tk := mustTicket(t, x, list[0].ID)
		if n := len(tk.Messages); n != 2 || tk.Messages[0].MessageID != r.MessageID || tk.Messages[1].MessageID != m.ID ||
			tk.Messages[1].Direction != hub.DirectionOut {
			t.Fatalf("history %+v, want the left message then the reply", tk.Messages)
		}
		if _, err := x.Conversations.ReplyToTicket(ctx, x.NewTenant(t).Admin, list[0].ID, "x"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("another tenant replies to the ticket: %v", err)
		}
	})
}

// Tickets are assigned within the tenant only; comments stay internal.
func TestAssignAndComments(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		a := x.agent(hub.RoleAgent)
		outsider := x.NewTenant(t).Admin
		id, _, _ := x.leave(x.f.Channel, "c1", "help")
		for _, c := range []struct {
			name, tenant, ticket, agent string
			want                        error
		}{
			{"another tenant's agent", tid, id, outsider.ID, tickets.ErrInvalid},
			{"an unknown agent", tid, id, "ag_nope", tickets.ErrInvalid},
			{"an unknown ticket", tid, "tc_nope", a.ID, tickets.ErrNotFound},
			{"by another tenant", outsider.TenantID, id, outsider.ID, tickets.ErrNotFound},
		} {
			if _, err := x.Tickets.Assign(ctx, c.tenant, c.ticket, c.agent); !errors.Is(err, c.want) {
				t.Errorf("assign %s: %v, want %v", c.name, err, c.want)
			}
		}
		tk, err := x.Tickets.Assign(ctx, tid, id, a.ID)
		if err != nil || tk.Status != tickets.Open || tk.AssigneeID == nil || *tk.AssigneeID != a.ID {
			t.Fatalf("assigned: %+v, %v", tk, err)
		}
		if tk.Visible(x.f.Admin.ID) || !tk.Visible(a.ID) {
			t.Fatal("Visible: want the assignee only")
		}
		if _, err := x.Tickets.AddComment(ctx, tid, id, a.ID, " \n "); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("empty comment: %v", err)
		}
		if _, err := x.Tickets.AddComment(ctx, outsider.TenantID, id, outsider.ID, "x"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("comment by another tenant: %v", err)
		}
		tk, err = x.Tickets.AddComment(ctx, tid, id, a.ID, "  已电话联系  ")
		if err != nil || len(tk.Comments) != 1 || tk.Comments[0].Text != "已电话联系" || tk.Comments[0].AgentID != a.ID || len(tk.Messages) != 1 {
			t.Fatalf("after a comment: %+v, %v", tk, err)
		}
		if tk, _ = x.Tickets.Solve(ctx, tid, id); tk.Status != tickets.Solved || tk.SolvedAt == nil {
			t.Fatalf("solved: %+v", tk)
		}
		if tk, _ = x.Tickets.Assign(ctx, tid, id, x.f.Admin.ID); tk.Status != tickets.Solved {
			t.Fatalf("assigning a solved ticket made it %s", tk.Status)
		}
		if _, err := x.Tickets.Get(ctx, outsider.TenantID, id); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("another tenant reads the ticket: %v", err)
		}
	})
}

// List filters by status, assignee (or none), viewer, contact and channel.
func TestListFilters(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		a, b := x.agent(hub.RoleAgent), x.agent(hub.RoleAgent)
		web := &hub.Channel{TenantID: tid, Type: "web", Name: "web"}
		if err := x.Channels.Create(ctx, web); err != nil {
			t.Fatal(err)
		}
		name := map[string]string{}
		t1, _, _ := x.leave(x.f.Channel, "c1", "1")
		t2, _, _ := x.leave(x.f.Channel, "c2", "2")
		t3, _, _ := x.leave(x.f.Channel, "c3", "3")
		t4, _, _ := x.leave(web, "c4", "4")
		name[t1], name[t2], name[t3], name[t4] = "t1", "t2", "t3", "t4"
		x.Tickets.Assign(ctx, tid, t2, a.ID)
		x.Tickets.Update(ctx, tid, t2, tickets.Change{Status: ptr(tickets.Pending)})
		x.Tickets.Assign(ctx, tid, t3, b.ID)
		x.Tickets.Solve(ctx, tid, t3)
		c3 := mustTicket(t, x, t3).ContactID
		for _, c := range []struct {
			f    tickets.Filter
			want string
		}{
			{tickets.Filter{}, "[t1 t2 t3 t4]"},
			{tickets.Filter{Status: tickets.Open}, "[t1 t4]"},
			{tickets.Filter{Status: tickets.Pending}, "[t2]"},
			{tickets.Filter{Assignee: "none"}, "[t1 t4]"},
			{tickets.Filter{Assignee: a.ID}, "[t2]"},
			{tickets.Filter{Viewer: a.ID}, "[t1 t2 t4]"},
			{tickets.Filter{Viewer: b.ID, Status: tickets.Solved}, "[t3]"},
			{tickets.Filter{ContactID: c3}, "[t3]"},
			{tickets.Filter{Channel: web.ID}, "[t4]"},
			{tickets.Filter{Limit: 1}, "[t3]"}, // the last changed
		} {
			list, err := x.Tickets.List(ctx, tid, c.f)
			var got []string
			for _, tk := range list {
				got = append(got, name[tk.ID])
			}
			sort.Strings(got)
			if err != nil || fmt.Sprint(got) != c.want {
				t.Errorf("List(%+v) = %v, %v; want %s", c.f, got, err, c.want)
			}
		}
		if _, err := x.Tickets.List(ctx, tid, tickets.Filter{Status: "archived"}); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("unknown status: %v", err)
		}
		if list, _ := x.Tickets.List(ctx, x.NewTenant(t).Admin.TenantID, tickets.Filter{}); len(list) != 0 {
			t.Errorf("another tenant lists %d tickets", len(list))
		}
		if n, _ := x.Tickets.OpenCount(ctx, tid); n != 3 {
			t.Errorf("open count %d, want 3", n)
		}
	})
}
