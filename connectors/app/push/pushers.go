package push

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Pushers keeps one Pusher per channel, rebuilt when the channel's push
// config changes, so the access token and provider token of each channel
// live as long as its config.
type Pushers struct {
	opts Options
	mu   sync.Mutex
	m    map[string]cachedPusher
}

type cachedPusher struct {
	raw string
	p   *Pusher
	err error
}

// NewPushers returns an empty cache building Pushers with opts; every
// channel's Pusher shares one APNs client (one HTTP/2 connection pool).
func NewPushers(opts Options) *Pushers {
	if opts.APNsClient == nil {
		opts.APNsClient = NewAPNsClient()
	}
	return &Pushers{opts: opts, m: map[string]cachedPusher{}}
}

// For is the Pusher of a channel's push config (the JSON of a Config).
func (s *Pushers) For(channelID string, raw json.RawMessage) (*Pusher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.m[channelID]; ok && c.raw == string(raw) {
		return c.p, c.err
	}
	c := cachedPusher{raw: string(raw)}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		c.err = fmt.Errorf("%w: %v", ErrConfig, err)
	} else {
		c.p, c.err = New(cfg, s.opts)
	}
	s.m[channelID] = c
	return c.p, c.err
}

// Send sends with the channel's Pusher; a config that cannot be used
// fails every target with its error.
func (s *Pushers) Send(ctx context.Context, channelID string, raw json.RawMessage, targets []Target, n Notification) []Result {
	p, err := s.For(channelID, raw)
	if err != nil {
		rs := make([]Result, len(targets))
		for i, t := range targets {
			rs[i] = Result{Target: t, Outcome: Failed, Err: err}
		}
		return rs
	}
	return p.Send(ctx, targets, n)
}

// Forget drops a channel's Pusher (the channel was deleted).
func (s *Pushers) Forget(channelID string) {
	s.mu.Lock()
	delete(s.m, channelID)
	s.mu.Unlock()
}
