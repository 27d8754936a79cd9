// Package crmapi is the HTTP side of the customer center (客户中心) and the
// ticket workflow (工单): the customer list with search and filters, contacts
// entered by hand, tickets opened by hand or from a conversation, their
// status changes and the ticket views. hub/contacts and tickets keep the
// data and the rules; these handlers decode, call one method and answer.
package crmapi

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/tickets/views"
)

// API serves the customer center and ticket workflow routes.
type API struct {
	Contacts *contacts.Store
	Tickets  *tickets.Store
	// Fields keeps the custom-field definitions.
	Fields *fields.Store
	// Cards decides which contacts an agent may open a ticket for.
	Cards *conversations.Cards
	// Conversations reads the conversation a ticket is opened from.
	Conversations *conversations.Store
	// Identity tells a tenant's time zone, in which the list's dates are days.
	Identity *identity.Identity
	// Views keeps the agents' saved ticket views.
	Views *views.Store
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes for every signed-in agent; what each sees is
// decided by the stores' visibility rules.
func (a API) Mount(agents gin.IRoutes) {
	agents.GET("/contacts", a.listContacts)
	agents.POST("/contacts", a.createContact)
	agents.GET("/contacts/export", a.exportContacts)
	agents.POST("/contacts/import", a.importContacts)
	agents.GET("/custom-fields", a.listFields)
	agents.GET("/contacts/:id/followups", a.listFollowUps)
	agents.POST("/contacts/:id/followups", a.addFollowUp)
	agents.GET("/contacts/:id/merge-suggestions", a.mergeSuggestions)
	agents.GET("/contacts/:id/merges", a.listMerges)
	agents.POST("/contacts/:id/merge", a.merge)
	agents.POST("/contact-merges/:id/undo", a.unmerge)
	agents.GET("/tickets", a.listTickets)
	agents.GET("/tickets/views", a.ticketViews)
	agents.POST("/tickets", a.createTicket)
	agents.PATCH("/tickets/:id", a.updateTicket)
	agents.POST("/tickets/:id/reopen", a.reopenTicket)
	agents.GET("/ticket-views", a.listViews)
	agents.POST("/ticket-views", a.createView)
	agents.PATCH("/ticket-views/:id", a.updateView)
	agents.DELETE("/ticket-views/:id", a.deleteView)
}

func (a API) listContacts(g *gin.Context) {
	q, err := a.contactQuery(g, connectors.AgentOf(g))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	p, err := a.Contacts.Search(g.Request.Context(), connectors.AgentOf(g), q)
	a.Kit.Respond(g, http.StatusOK, p, err)
}

// contactQuery reads the list's query string: q, channel_id ("manual" for
// contacts entered by hand), owner_id ("me", "none" or an agent id), tag,
// contacted_from/contacted_to and created_from/created_to (a date, a day
// in the tenant's time zone, or an RFC 3339 time), field and field_value
// (a custom field holding a value), due (next follow-up due), sort, limit,
// offset.
func (a API) contactQuery(g *gin.Context, me *hub.Agent) (contacts.Query, error) {
	q := contacts.Query{Text: g.Query("q"), Channel: g.Query("channel_id"), Owner: g.Query("owner_id"),
		Tag: g.Query("tag"), Sort: g.Query("sort"), Field: g.Query("field"), FieldValue: g.Query("field_value")}
	if q.Owner == "me" {
		q.Owner = me.ID
	}
	if q.Field != "" && (!fieldKey.MatchString(q.Field) || q.FieldValue == "") {
		return q, hub.Invalid("field must be a custom field key, with field_value")
	}
	if g.Query("due") == "true" || g.Query("due") == "1" {
		now := time.Now().UTC()
		q.DueBy = &now
	}
	var err error
	if q.Limit, err = count(g, "limit"); err != nil {
		return q, err
	}
	if q.Offset, err = count(g, "offset"); err != nil {
		return q, err
	}
	loc := time.UTC
	if a.Identity != nil {
		if l, err := time.LoadLocation(a.Identity.Tenants.Timezone(g.Request.Context(), me.TenantID)); err == nil {
			loc = l
		}
	}
	for _, d := range []struct {
		name    string
		through bool
		dst     **time.Time
	}{{"contacted_from", false, &q.ContactedFrom}, {"contacted_to", true, &q.ContactedTo},
		{"created_from", false, &q.CreatedFrom}, {"created_to", true, &q.CreatedTo}} {
		if *d.dst, err = when(g, d.name, loc, d.through); err != nil {
			return q, err
		}
	}
	return q, nil
}

var fieldKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func count(g *gin.Context, name string) (int, error) {
	v := g.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, hub.Invalid("%s must be a non-negative integer", name)
	}
	return n, nil
}

// when reads an RFC 3339 time or a date (2006-01-02, a day in loc): the
// start of that day, or for the end of a range (through) the start of the
// next, so the day itself is included.
func when(g *gin.Context, name string, loc *time.Location, through bool) (*time.Time, error) {
	v := strings.TrimSpace(g.Query(name))
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if through {
			t = t.AddDate(0, 0, 1)
		}
		t = t.UTC()
		return &t, nil
	}
	return nil, hub.Invalid("%s must be a date (2006-01-02) or an RFC 3339 time", name)
}

func (a API) createContact(g *gin.Context) {
	var p contacts.Patch
	if !a.Kit.Bind(g, &p) {
		return
	}
	me := connectors.AgentOf(g)
	c, err := a.Contacts.Create(g.Request.Context(), me.TenantID, me.ID, p)
	a.Kit.Respond(g, http.StatusCreated, c, err)
}
