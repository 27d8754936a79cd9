package push

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Options are the Pusher's surroundings; zero values take the defaults.
type Options struct {
	// HTTPClient calls the webhook, Google's OAuth endpoint and FCM;
	// default connectors.NewHTTPClient(false) (no internal addresses).
	HTTPClient *http.Client
	// APNsClient speaks HTTP/2 to APNs (over TLS, or cleartext for an
	// http:// APNsBase); default one built for it.
	APNsClient *http.Client
	// FCMBase replaces https://fcm.googleapis.com (KEFU_FCM_API_BASE).
	FCMBase string
	// APNsBase replaces https://api.push.apple.com and its sandbox
	// (KEFU_APNS_API_BASE).
	APNsBase string
	// OAuthBase replaces the scheme and host of the service account's
	// token_uri (the JWT's audience stays token_uri).
	OAuthBase string
	// Tokens shares FCM access tokens between hub processes; nil keeps
	// them in this process.
	Tokens connectors.Tokens
	// Now and Sleep are the clock (tests replace them).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Retry bounds retries of 429 and 5xx answers.
	Retry Retry
	// TTL is how long FCM and APNs keep a notification for an offline
	// device (default 24h).
	TTL time.Duration
	// Parallel is how many targets of one Send are sent at once (default 8).
	Parallel int
	// Timeout bounds one Send, retries included (default 30s): a push
	// service that is down holds the caller's delivery worker no longer.
	Timeout time.Duration
}

// Retry is the retry policy: at most Attempts requests per target, waiting
// Retry-After when the service says it (at most MaxWait; longer gives up)
// or else Backoff, doubled each time.
type Retry struct {
	Attempts int           // default 3
	Backoff  time.Duration // default 500ms
	MaxWait  time.Duration // default 30s
}

// Default bases.
const (
	FCMDefaultBase     = "https://fcm.googleapis.com"
	APNsProductionBase = "https://api.push.apple.com"
	APNsSandboxBase    = "https://api.sandbox.push.apple.com"
)

func (o Options) withDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = connectors.NewHTTPClient(false)
	}
	if o.APNsClient == nil {
		o.APNsClient = NewAPNsClient()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = hub.Sleep
	}
	if o.Retry.Attempts < 1 {
		o.Retry.Attempts = 3
	}
	if o.Retry.Backoff <= 0 {
		o.Retry.Backoff = 500 * time.Millisecond
	}
	if o.Retry.MaxWait <= 0 {
		o.Retry.MaxWait = 30 * time.Second
	}
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Parallel < 1 {
		o.Parallel = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	o.FCMBase = strings.TrimRight(o.FCMBase, "/")
	if o.FCMBase == "" {
		o.FCMBase = FCMDefaultBase
	}
	o.APNsBase = strings.TrimRight(o.APNsBase, "/")
	o.OAuthBase = strings.TrimRight(o.OAuthBase, "/")
	return o
}
