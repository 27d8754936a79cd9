// Package hubtest builds the hub's stores on a fresh kernel for tests, as
// serve builds them (without the bus): one call gives every noun store, a
// tenant with its admin, and an API channel to write on.
package hubtest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/inbox"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/kb/zh"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/richanswers"
	"github.com/kefu-hub/kefu/hub/robot"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
	"github.com/kefu-hub/kefu/tickets"
)

// Hub is every store of one hub on one kernel.
type Hub struct {
	K             *store.Store
	Identity      *identity.Identity
	Channels      *channels.Store
	Contacts      *contacts.Store
	Automations   *automations.Store
	Conversations *conversations.Store
	Assign        *assign.Assign
	Inbox         *inbox.Inbox
	Outbound      *outbound.Store
	Tickets       *tickets.Store
	Timers        *automations.Timers
	KB            *kb.Store
	Rich          *richanswers.Store
	Robot         *robot.Robot
	Ratings       *ratings.Store
}

// PublicURL is the test hub's public address (rating links point under it).
const PublicURL = "https://kefu.test"

// segmenter is shared by every test hub of a test binary, as by the stores
// of one hub process: its dictionary loads once.
var segmenter = &zh.Segmenter{}

// Build makes the stores on an open, migrated kernel.
func Build(k *store.Store) *Hub {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &Hub{K: k, Identity: identity.New(k, log, identity.Options{}), Channels: channels.New(k), Contacts: contacts.New(k),
		Automations: automations.New(k, log)}
	h.Ratings = ratings.New(k, ratings.Options{PublicURL: PublicURL})
	h.Conversations = conversations.New(k, h.Channels, h.Contacts, h.Automations, conversations.Options{Log: log, Ratings: h.Ratings})
	h.Assign = assign.New(k, assign.Deps{Conversations: h.Conversations, Identity: h.Identity, Channels: h.Channels,
		Contacts: h.Contacts, Automations: h.Automations, Log: log})
	h.KB = kb.New(k, segmenter)
	h.Rich = richanswers.New(k, h.KB, files.New(k))
	h.Robot = robot.New(k, robot.Deps{Convs: h.Conversations, Channel: h.Channels.Get, Brain: robot.KB{Store: h.KB},
		Available: h.Assign.Handoffs.Customers().Available, Groups: h.Identity.Groups, Rich: h.Rich, Misses: h.KB, Log: log})
	h.Inbox = inbox.New(k, h.Channels, h.Contacts, h.Conversations, h.Automations, h.Assign.Router, nil, h.Robot, h.Ratings)
	h.Tickets = tickets.New(k, h.Conversations, h.Identity.Agents, fields.Rules{Entity: fields.Ticket})
	handlers := map[automations.Kind]automations.Handler{}
	for _, m := range []map[automations.Kind]automations.Handler{h.Conversations.TimerHandlers(), h.Assign.Router.TimerHandlers()} {
		for kind, fn := range m {
			handlers[kind] = fn
		}
	}
	h.Timers = automations.NewTimers(k, handlers, log)
	return h
}

// Each runs f as a subtest on fresh stores of every dialect (SQLite, and
// PostgreSQL unless KEFU_TEST_EMBEDDED_ONLY=1).
func Each(t *testing.T, f func(t *testing.T, h *Hub)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) { f(t, Open(t, name)) })
	}
}

// Open returns fresh stores of one dialect.
func Open(tb testing.TB, dialect string) *Hub {
	tb.Helper()
	return Build(storetest.Open(tb, dialect, store.Options{}).Store)
}

// Tenant is a fresh tenant with its admin and an API channel.
type Tenant struct {
	Admin   *hub.Agent
	Channel *hub.Channel
}

// NewTenant creates a tenant, its admin and an API channel.
func (h *Hub) NewTenant(tb testing.TB) Tenant {
	tb.Helper()
	ctx := context.Background()
	_, admin, err := h.Identity.Tenants.Create(ctx, identity.NewTenant{Name: "T", AdminEmail: hub.NewID("a") + "@t.test",
		AdminPassword: "password1"}, false)
	if err != nil {
		tb.Fatal(err)
	}
	ch := &hub.Channel{TenantID: admin.TenantID, Type: "api", Name: "api", Secret: "whsec_x"}
	if err := h.Channels.Create(ctx, ch); err != nil {
		tb.Fatal(err)
	}
	return Tenant{Admin: admin, Channel: ch}
}

// Msg is a customer's text message on the tenant's channel.
func (t Tenant) Msg(id, contact string) hub.Inbound {
	return hub.Inbound{TenantID: t.Channel.TenantID, ChannelID: t.Channel.ID, ExternalID: id,
		Contact: hub.ContactInfo{ExternalID: contact, Name: "C"}, Type: "text", Text: "hello " + id}
}

// Route routes what an ingest stored, as the pipeline does: each tenant's
// in one pass.
func (h *Hub) Route(ctx context.Context, rs []inbox.Result) []assign.Decision {
	var tenants []string
	by := map[string][]assign.Stored{}
	for _, r := range rs {
		if r.Routable() {
			if _, ok := by[r.TenantID]; !ok {
				tenants = append(tenants, r.TenantID)
			}
			by[r.TenantID] = append(by[r.TenantID], r.Stored())
		}
	}
	var out []assign.Decision
	for _, t := range tenants {
		ds, _ := h.Assign.Router.AfterIngest(ctx, t, by[t])
		out = append(out, ds...)
	}
	return out
}

// NewGroup creates a group of the tenant named name, with the routing
// settings and members p sets (its Name is ignored).
func (h *Hub) NewGroup(tb testing.TB, tenantID, name string, p identity.GroupPatch) *identity.Group {
	tb.Helper()
	p.Name = &name
	g, err := h.Identity.Groups.Create(context.Background(), tenantID, p)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// OnlineAgent creates an agent of the tenant who takes at most maxChats
// chats, member of groups, and puts them online: routing can give them a
// conversation right away.
func (h *Hub) OnlineAgent(tb testing.TB, tenantID string, maxChats int, groups ...string) *hub.Agent {
	tb.Helper()
	ctx := context.Background()
	a, err := h.Identity.Agents.Create(ctx, tenantID, identity.NewAgent{Email: hub.NewID("ag") + "@t.test",
		Password: "password1", MaxChats: maxChats, Groups: groups})
	if err != nil {
		tb.Fatal(err)
	}
	if err := h.Identity.Agents.SetStatus(ctx, a, hub.StatusOnline); err != nil {
		tb.Fatal(err)
	}
	return a
}
