package connectors

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
)

// Files is the attachment store connectors save customer media into
// (*hub.Store implements it).
type Files interface {
	// SaveFile stores a file; one with the same id already stored is kept.
	SaveFile(ctx context.Context, f *hub.File) error
	// FillFile completes a pending file, or records why fetching it failed.
	FillFile(ctx context.Context, tenantID, id, contentType string, data []byte, fetchErr string) error
	// File returns a tenant's file with its data.
	File(ctx context.Context, tenantID, id string) (*hub.File, error)
}

// Tokens keeps platform access tokens shared by every hub process, each
// with the time to stop using it (*hub.Store implements it).
type Tokens interface {
	PlatformToken(ctx context.Context, name string) (string, time.Time, error)
	SavePlatformToken(ctx context.Context, name, token string, expires time.Time) error
	DropPlatformToken(ctx context.Context, name, token string) error
}

// Typer is a connector whose platform can show the customer that an agent
// is typing (WeChat's typing indicator).
type Typer interface {
	Typing(ctx context.Context, ch *hub.Channel, contactID string, typing bool) error
}

// MediaFetcher is a connector that can fetch a pending file (customer media
// whose download has not succeeded yet) from its platform on demand.
type MediaFetcher interface {
	FetchFile(ctx context.Context, ch *hub.Channel, f *hub.File) (*hub.File, error)
}

// Windowed is a connector whose platform limits when agents may write
// (WeChat's 48-hour, 5-message window).
type Windowed interface {
	ReplyPolicy() hub.ReplyPolicy
}

// ReplyPolicies collects the reply rules of the connectors that have one,
// by channel type, for hub.Store.SetReplyPolicies.
func (r Registry) ReplyPolicies() map[string]hub.ReplyPolicy {
	out := map[string]hub.ReplyPolicy{}
	for typ, c := range r {
		if w, ok := c.(Windowed); ok {
			out[typ] = w.ReplyPolicy()
		}
	}
	return out
}

// Pager is a connector that serves pages and scripts at the hub's root (the
// web channel's /widget.js and /chat/{channel_id}).
type Pager interface {
	Pages(r gin.IRouter)
}

// Linker is a connector whose setup info holds links to the hub (the web
// channel's snippet and direct chat URL); base is the hub's public address.
type Linker interface {
	InfoAt(ch *hub.Channel, base string) map[string]any
}
