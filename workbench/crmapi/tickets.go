package crmapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/tickets"
)

// listTickets filters by view (mine, unassigned, group, following,
// overdue, all), status, priority, assignee_id ("me", "none" or an agent
// id; "assignee" is the older name), channel_id, group_id ("none" or a
// group id), type, field and field_value (a custom field holding a value)
// and q (subject text or ticket id); saved=<view id> lists a saved view
// instead. sort=due lists the earliest due first. A plain agent sees the
// tickets assigned to them, to nobody, or that they follow; admins and
// supervisors see all.
func (a API) listTickets(g *gin.Context) {
	me := connectors.AgentOf(g)
	f, err := a.ticketFilter(g, me)
	if err == nil {
		if f.Limit, err = count(g, "limit"); err == nil {
			f.Offset, err = count(g, "offset")
		}
	}
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	ts, err := a.Tickets.List(g.Request.Context(), me.TenantID, f)
	a.Kit.Respond(g, http.StatusOK, gin.H{"tickets": ts}, err)
}

// ticketFilter reads the list's filters, or the saved view's (with the
// query's sort).
func (a API) ticketFilter(g *gin.Context, me *hub.Agent) (tickets.Filter, error) {
	if id := g.Query("saved"); id != "" {
		v, err := a.Views.Get(g.Request.Context(), me, id)
		if err != nil {
			return tickets.Filter{}, err
		}
		f := v.Filter.For(me)
		f.Sort = g.Query("sort")
		return f, nil
	}
	assignee := g.Query("assignee_id")
	if assignee == "" {
		assignee = g.Query("assignee")
	}
	if assignee == "me" {
		assignee = me.ID
	}
	if fk := g.Query("field"); fk != "" && !fieldKey.MatchString(fk) {
		return tickets.Filter{}, hub.Invalid("field must be a custom field key, with field_value")
	}
	return tickets.Filter{Status: tickets.Status(g.Query("status")), Assignee: assignee, Channel: g.Query("channel_id"),
		View: g.Query("view"), Me: me.ID, Priority: tickets.Priority(g.Query("priority")), Viewer: viewer(me), Sort: g.Query("sort"),
		Group: g.Query("group_id"), Type: g.Query("type"), Field: g.Query("field"), FieldValue: g.Query("field_value"),
		Text: g.Query("q")}, nil
}

// viewer limits a plain agent to the tickets assigned to them or nobody.
func viewer(a *hub.Agent) string {
	if a.SeesAll() {
		return ""
	}
	return a.ID
}

// ticketViews counts the tickets of each view (the tabs' badges), and
// lists the agent's saved views with theirs.
func (a API) ticketViews(g *gin.Context) {
	me := connectors.AgentOf(g)
	counts, err := a.Tickets.Counts(g.Request.Context(), me.TenantID, me.ID, viewer(me))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	named := []gin.H{}
	for _, name := range tickets.ViewNames {
		named = append(named, gin.H{"id": name, "count": counts[name]})
	}
	saved, err := a.Views.List(g.Request.Context(), me)
	a.Kit.Respond(g, http.StatusOK, gin.H{"views": named, "saved": saved}, err)
}

// newTicket is the body of POST /tickets: for a customer (contact_id) or
// from a conversation (conversation_id; its customer, its transcript).
type newTicket struct {
	Subject        string           `json:"subject"`
	ContactID      string           `json:"contact_id"`
	ConversationID string           `json:"conversation_id"`
	Priority       tickets.Priority `json:"priority"`
	Type           string           `json:"type"`
	AssigneeID     *string          `json:"assignee_id"`
	GroupID        *string          `json:"group_id"`
	DueAt          *time.Time       `json:"due_at"`
	// Fields are the custom-field values (自定义字段), by field key.
	Fields map[string]string `json:"fields"`
}

func (a API) createTicket(g *gin.Context) {
	var r newTicket
	if !a.Kit.Bind(g, &r) {
		return
	}
	me := connectors.AgentOf(g)
	n, err := a.resolve(g.Request.Context(), me, r)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	t, err := a.Tickets.Create(g.Request.Context(), me.TenantID, n)
	a.Kit.Respond(g, http.StatusCreated, t, err)
}

// resolve finds the ticket's customer and channel: the conversation's
// (which the agent must see) or the contact's (likewise).
func (a API) resolve(ctx context.Context, me *hub.Agent, r newTicket) (tickets.NewTicket, error) {
	n := tickets.NewTicket{Subject: r.Subject, ContactID: r.ContactID, ConversationID: r.ConversationID, Priority: r.Priority,
		Type: r.Type, AssigneeID: r.AssigneeID, GroupID: r.GroupID, DueAt: r.DueAt, CreatedBy: me.ID, Fields: r.Fields}
	if r.ConversationID != "" {
		c, err := a.Conversations.Get(ctx, me, r.ConversationID)
		if err != nil {
			return n, err
		}
		if r.ContactID != "" && r.ContactID != c.ContactID {
			return n, hub.Invalid("contact_id is not the conversation's customer")
		}
		n.ContactID, n.ChannelID = c.ContactID, c.ChannelID
		if n.Subject == "" {
			n.Subject = "会话工单 " + c.ID
		}
		return n, nil
	}
	if r.ContactID == "" {
		return n, hub.Invalid("请选择客户 (contact_id or conversation_id is required)")
	}
	card, err := a.Cards.Get(ctx, me, r.ContactID)
	if err != nil {
		return n, err
	}
	n.ChannelID = card.ChannelID
	return n, nil
}

// ticket answers 404 unless the caller may see the path's ticket.
func (a API) ticket(g *gin.Context) bool { return TicketSeen(a.Kit, a.Tickets, g) }

// TicketSeen answers 404 (through k) unless the caller may see the path's
// ticket; the ticket routes of other packages share it.
func TicketSeen(k connectors.AgentKit, ts *tickets.Store, g *gin.Context) bool {
	me := connectors.AgentOf(g)
	t, err := ts.Get(g.Request.Context(), me.TenantID, g.Param("id"))
	if err == nil && !me.SeesAll() && !t.Visible(me.ID) {
		err = tickets.ErrNotFound
	}
	if err != nil {
		k.Respond(g, 0, nil, err)
		return false
	}
	return true
}

func (a API) updateTicket(g *gin.Context) {
	var c tickets.Change
	if !a.Kit.Bind(g, &c) || !a.ticket(g) {
		return
	}
	t, err := a.Tickets.Update(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), c)
	a.Kit.Respond(g, http.StatusOK, t, err)
}

func (a API) reopenTicket(g *gin.Context) {
	if !a.ticket(g) {
		return
	}
	t, err := a.Tickets.Reopen(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, t, err)
}
