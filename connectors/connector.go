// Package connectors defines the small interface every customer channel
// implements — its platform routes, normalization onto the bus, and Send
// for what goes back — the optional interfaces a channel may add, and the
// registry the hub builds from the channel kinds listed in main.
package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Deps is what the hub gives a connector.
type Deps struct {
	// Channel looks up the channel a webhook URL names.
	Channel func(ctx context.Context, id string) (*hub.Channel, error)
	// Publish stores a normalized message durably on the bus; when it
	// returns nil the connector may acknowledge the platform.
	Publish func(ctx context.Context, in hub.Inbound) error
	// HTTP is the client for calls to platforms and callbacks (it refuses
	// private addresses unless the operator allows them).
	HTTP *http.Client
	// MaxBody bounds inbound bodies (413 beyond).
	MaxBody int64
	// Tolerance is how old a signed timestamp may be.
	Tolerance time.Duration
	// AllowPrivate lets callback URLs name loopback or private hosts.
	AllowPrivate bool
	Log          *slog.Logger
	Now          func() time.Time
	// Files stores media customers send (nil: media is not downloaded).
	Files Files
	// Tokens keeps platform access tokens for every hub process (nil: each
	// connector keeps them in memory, for tests of one process).
	Tokens Tokens
	// PublicURL is the hub's address as customers' browsers reach it.
	PublicURL string
	// Store is the kernel, for a connector that keeps tables of its own
	// (the web channel's visitors); nil in tests that need none.
	Store *store.Store
	// Customers is what channels that talk to customers over their own
	// sockets (web, app) ask of the hub.
	Customers Customers
	// Robot takes the customers' feedback on robot answers (nil: the
	// channel refuses it).
	Robot RobotFeedback
	// Avatars are the agents' pictures customers' chats show (nil: none).
	Avatars AgentAvatars
	// Ratings is the tenants' rating scale the web widget's form offers
	// (nil: five plain stars, no reasons).
	Ratings RatingScale
	// Help is the knowledge base a channel's public help centre shows (nil:
	// no help centre).
	Help HelpArticles
	// Region looks an IP address up in the configured IP database ("" when
	// unknown or none is configured).
	Region func(ip string) string
	// Sockets caps the customer sockets of channels that hold them (web).
	Sockets SocketLimits
}

// SocketLimits caps the open customer sockets of this process: from one
// client address, of one channel, and in all (which the connector keeps
// below the open-file limit anyway). Zero means the connector's default.
type SocketLimits struct{ PerAddr, PerChannel, Max int }

// Connector is one channel type.
type Connector interface {
	// Type is the channel type name used in URLs and the API ("api", "wechat" …).
	Type() string
	// Setup validates a channel's type-specific config when an admin
	// creates or updates it, and fills in the channel's secret, normalized
	// config and whether it wants conversation events.
	Setup(ch *hub.Channel, cfg json.RawMessage, rotate bool) error
	// Info is what the admin pastes into the platform (besides the webhook URL).
	Info(ch *hub.Channel) map[string]any
	// Routes registers the platform endpoints; the group is
	// /webhooks/{type} and routes take a :channel_id parameter.
	Routes(r gin.IRoutes)
	// Send pushes one outbound message or event to the platform.
	Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult
}

// Kind describes a channel type before its connector exists: what the hub
// must know of it when it stores replies, and how to build the connector.
// main lists the kinds; adding a channel is one more entry.
type Kind struct {
	// Type is the channel type name.
	Type string
	// Window is the platform's rule for when agents may write (nil: none).
	Window *hub.ReplyPolicy
	// Pushes marks a channel that delivers agent messages over its own
	// sockets (it is an EventSink): replies to it are sent when stored and
	// never go through the delivery queue.
	Pushes bool
	// New builds the connector.
	New func(Deps) Connector
}

// Kinds are the channel types the hub serves.
type Kinds []Kind

// Windows are the reply rules by channel type.
func (ks Kinds) Windows() map[string]hub.ReplyPolicy {
	out := map[string]hub.ReplyPolicy{}
	for _, k := range ks {
		if k.Window != nil {
			out[k.Type] = *k.Window
		}
	}
	return out
}

// Pushing are the channel types that deliver over their own sockets.
func (ks Kinds) Pushing() map[string]bool {
	out := map[string]bool{}
	for _, k := range ks {
		if k.Pushes {
			out[k.Type] = true
		}
	}
	return out
}

// Build makes every kind's connector.
func (ks Kinds) Build(d Deps) Registry {
	r := Registry{}
	for _, k := range ks {
		r[k.Type] = k.New(d)
	}
	return r
}

// Registry is the set of connectors, keyed by type; it sends each delivery
// through its channel's connector.
type Registry map[string]Connector

// Send dispatches to the channel type's connector.
func (r Registry) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	c, ok := r[ch.Type]
	if !ok {
		return hub.SendResult{Err: fmt.Errorf("no connector for channel type %q", ch.Type), Permanent: true}
	}
	return c.Send(ctx, ch, out)
}

// Mount registers every connector's routes under /webhooks/{type}, and the
// pages of those that serve some (Pager).
func (r Registry) Mount(e gin.IRouter) {
	for typ, c := range r {
		c.Routes(e.Group("/webhooks/" + typ))
		if p, ok := c.(Pager); ok {
			p.Pages(e)
		}
	}
}

// MountAgentAPI registers the agent-facing routes of the connectors that
// have some (AgentAPI) on r, a group already behind agent authentication.
func (r Registry) MountAgentAPI(g gin.IRouter, kit AgentKit) {
	for _, c := range r {
		if a, ok := c.(AgentAPI); ok {
			a.AgentRoutes(g, kit)
		}
	}
}

// Sinks are the connectors that take the event broadcast.
func (r Registry) Sinks() []EventSink {
	var out []EventSink
	for _, c := range r {
		if s, ok := c.(EventSink); ok {
			out = append(out, s)
		}
	}
	return out
}

// Runners are the connectors with background loops.
func (r Registry) Runners() []Runner {
	var out []Runner
	for _, c := range r {
		if s, ok := c.(Runner); ok {
			out = append(out, s)
		}
	}
	return out
}
