package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RetryAfter is how long a sender refused for backpressure is asked to wait.
const RetryAfter = 5 * time.Second

// BackpressureError refuses an inbound message because the inbox is too
// far behind: the sender should retry later (it is an ErrUnavailable, so
// it is answered 503, with Retry-After).
type BackpressureError struct{ Waiting, Limit uint64 }

func (e *BackpressureError) Error() string {
	return fmt.Sprintf("inbox backpressure: %d inbound messages waiting (limit %d)", e.Waiting, e.Limit)
}

// Unwrap makes it an ErrUnavailable.
func (e *BackpressureError) Unwrap() error { return ErrUnavailable }

// RetryAfter is how long the sender should wait before retrying.
func (e *BackpressureError) RetryAfter() time.Duration { return RetryAfter }

// Health is what the bus's checks found, for metrics.
type Health struct {
	// Consuming is whether this process takes messages from every
	// durable topic: connected, nothing missing, every consumer subscribed.
	Consuming bool
	// Backpressure is whether inbound messages are refused (too many wait).
	Backpressure bool
	// Lag is how many inbound messages wait (as of the last check).
	Lag uint64
	// MissingStreams and MissingConsumers are those the last check could
	// neither find nor recreate.
	MissingStreams, MissingConsumers int
	// RecreatedStreams and RecreatedConsumers count, since start, those a
	// check found missing and recreated.
	RecreatedStreams, RecreatedConsumers uint64
}

// health is what the checks found, kept for Ready, Lag and Health.
type health struct {
	mu      sync.Mutex
	err     error     // why the hub is not consuming (nil: it is)
	since   time.Time // when the current incident began (zero: none)
	fixed   repairs   // what the checks of the current incident recreated
	missing repairs   // what the last check could not recreate
	unbound map[string]bool
	lag     atomic.Uint64
	// backpressure is read on every inbound publish.
	backpressure           atomic.Bool
	recreatedS, recreatedC atomic.Uint64
}

// monitor checks the streams and consumers every CheckEvery, and at once
// when a connection comes back or a publish found no stream.
func (b *Bus) monitor() {
	defer b.stopped.Done()
	t := time.NewTicker(b.opts.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.kick:
		}
		if _, drained := b.subs.state(); drained {
			return
		}
		b.check()
	}
}

func (b *Bus) checkSoon() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *Bus) check() {
	if !b.nc.IsConnected() || !b.sc.IsConnected() {
		b.record(repairs{}, errors.New("not connected to NATS"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := b.reconcile(ctx)
	b.record(r, err)
}

// disconnected marks the hub not consuming as soon as a connection drops
// (not at the next check).
func (b *Bus) disconnected(conn string, err error) {
	if _, drained := b.subs.state(); drained {
		return // stopping
	}
	reason := "lost the connection to NATS (" + conn + ")"
	if err != nil {
		reason += ": " + err.Error()
	}
	b.record(repairs{}, errors.New(reason))
}

// record keeps a check's outcome and logs the incidents: one error line
// when the hub stops consuming (or a check had to recreate something), one
// line when it consumes again.
func (b *Bus) record(r repairs, err error) {
	h := &b.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.lagKnown {
		h.lag.Store(r.lag)
		b.updateBackpressure(r.lag)
	}
	h.recreatedS.Add(uint64(r.streams))
	h.recreatedC.Add(uint64(r.consumers))
	h.missing = repairs{missingStreams: r.missingStreams, missingConsumers: r.missingConsumers}
	if n, _ := b.subs.state(); err == nil && n >= len(b.consumerSpecs()) {
		err = h.notConsumed(r.unbound)
	} else if err == nil {
		// Still subscribing (a hub starting: migrations and the pipeline
		// come first): its consumers are unbound because it has not got to
		// them yet, and Ready says so; that is no incident.
		h.unbound = nil
	}
	h.err = err
	now := time.Now()
	if (err != nil || r.streams+r.consumers > 0) && h.since.IsZero() {
		h.since, h.fixed = now, repairs{}
		reason := "streams or consumers were missing"
		if err != nil {
			reason = err.Error()
		}
		b.log.Error("bus: the hub is not consuming", "reason", reason, "missing_streams", r.streams+r.missingStreams,
			"missing_consumers", r.consumers+r.missingConsumers)
	}
	h.fixed.streams += r.streams
	h.fixed.consumers += r.consumers
	if err == nil && !h.since.IsZero() {
		b.log.Info("bus: consuming again", "after", now.Sub(h.since).Round(time.Millisecond),
			"recreated_streams", h.fixed.streams, "recreated_consumers", h.fixed.consumers)
		h.since = time.Time{}
	}
}

// notConsumed reports consumers nobody subscribes to in two checks in a
// row (one may just have been recreated): this process subscribed to them
// all, so its subscriptions are not where the consumers deliver.
func (h *health) notConsumed(unbound []string) error {
	prev := h.unbound
	h.unbound = map[string]bool{}
	var both []string
	for _, name := range unbound {
		h.unbound[name] = true
		if prev[name] {
			both = append(both, name)
		}
	}
	if len(both) == 0 {
		return nil
	}
	return fmt.Errorf("%d consumers have no subscriber (%s)", len(both), strings.Join(both[:min(3, len(both))], ", "))
}

// updateBackpressure turns backpressure on above MaxLag waiting messages
// and off again at three quarters of it (so it does not flap).
func (b *Bus) updateBackpressure(lag uint64) {
	limit := b.opts.MaxLag
	if limit == 0 {
		return
	}
	on := b.health.backpressure.Load()
	switch {
	case !on && lag > limit:
		b.health.backpressure.Store(true)
		b.log.Warn("inbox backpressure on: inbound messages get 503 with Retry-After until the inbox catches up",
			"waiting", lag, "limit", limit)
	case on && lag <= limit*3/4:
		b.health.backpressure.Store(false)
		b.log.Info("inbox backpressure off", "waiting", lag, "limit", limit)
	}
}

// refuseInbound is the backpressure error while the inbox is too far behind.
func (b *Bus) refuseInbound() error {
	if !b.health.backpressure.Load() {
		return nil
	}
	return &BackpressureError{Waiting: b.health.lag.Load(), Limit: b.opts.MaxLag}
}

// Ready reports why the hub is not consuming its bus topics or refuses
// inbound messages (nil: it consumes and accepts): not connected, a stream
// or consumer missing and not recreated yet, a topic not subscribed, the
// bus stopping, or backpressure.
func (b *Bus) Ready() error {
	if err := b.consuming(); err != nil {
		return err
	}
	return b.refuseInbound()
}

func (b *Bus) consuming() error {
	n, drained := b.subs.state()
	if drained {
		return fmt.Errorf("%w: stopping", ErrUnavailable)
	}
	if !b.nc.IsConnected() || !b.sc.IsConnected() {
		return fmt.Errorf("%w: not connected to NATS", ErrUnavailable)
	}
	b.health.mu.Lock()
	err := b.health.err
	b.health.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: the hub is not consuming: %w", ErrUnavailable, err)
	}
	if want := len(b.consumerSpecs()); n < want {
		return fmt.Errorf("%w: subscribed to %d of %d durable topics", ErrUnavailable, n, want)
	}
	return nil
}

// Stopping reports whether StopConsuming began: the hub is shutting down.
func (b *Bus) Stopping() bool {
	_, drained := b.subs.state()
	return drained
}

// Lag is how many inbound messages wait, as of the last check: every
// message not yet acknowledged, including those of a partition whose
// consumer is missing.
func (b *Bus) Lag() uint64 { return b.health.lag.Load() }

// Health is what the checks found.
func (b *Bus) Health() Health {
	h := &b.health
	h.mu.Lock()
	missing := h.missing
	h.mu.Unlock()
	return Health{Consuming: b.consuming() == nil, Backpressure: h.backpressure.Load(), Lag: h.lag.Load(),
		MissingStreams: missing.missingStreams, MissingConsumers: missing.missingConsumers,
		RecreatedStreams: h.recreatedS.Load(), RecreatedConsumers: h.recreatedC.Load()}
}
