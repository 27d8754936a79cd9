// Package connectors defines the small interface every customer channel
// implements — its inbound webhook routes, normalization onto the bus, and
// Send for what goes back — and the registry main builds explicitly.
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
}

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
	// Send pushes one outbound delivery to the platform.
	Send(ctx context.Context, ch *hub.Channel, d *hub.Delivery) hub.SendResult
}

// Registry is the set of connectors, keyed by type; it sends each delivery
// through its channel's connector.
type Registry map[string]Connector

var _ hub.Sender = Registry(nil)

// NewRegistry indexes connectors by type.
func NewRegistry(cs ...Connector) Registry {
	r := Registry{}
	for _, c := range cs {
		r[c.Type()] = c
	}
	return r
}

// Send dispatches to the channel type's connector.
func (r Registry) Send(ctx context.Context, ch *hub.Channel, d *hub.Delivery) hub.SendResult {
	c, ok := r[ch.Type]
	if !ok {
		return hub.SendResult{Err: fmt.Errorf("no connector for channel type %q", ch.Type), Permanent: true}
	}
	return c.Send(ctx, ch, d)
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
