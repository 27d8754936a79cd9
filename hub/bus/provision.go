package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// streamConfigs are the durable streams: file storage, work-queue retention
// (a message is removed once the hub acknowledged it, so a stream's message
// count is exactly what waits), a duplicate window so a re-publish of the
// same message id is dropped by JetStream too (the database unique key
// stays the truth), and the configured replica count.
func (b *Bus) streamConfigs() []jetstream.StreamConfig {
	subjects := map[string]string{b.Topics.Inbound: b.Topics.Inbound + ".*", b.Topics.Outbound: b.Topics.Outbound,
		b.Topics.Poison: b.Topics.Poison}
	var out []jetstream.StreamConfig
	for _, name := range []string{b.Topics.Inbound, b.Topics.Outbound, b.Topics.Poison} {
		out = append(out, jetstream.StreamConfig{Name: name, Subjects: []string{subjects[name]},
			Storage: jetstream.FileStorage, Retention: jetstream.WorkQueuePolicy, Duplicates: 2 * time.Minute,
			MaxAge: 7 * 24 * time.Hour, Replicas: b.opts.Replicas})
	}
	return out
}

// consumerSpec is a durable consumer the bus keeps, on its stream.
type consumerSpec struct {
	Stream string
	Config jetstream.ConsumerConfig
}

// consumerSpecs are the push consumers every hub process subscribes to:
// one per inbound partition (one message in flight, for each customer's
// order), the outbound deliveries and the poison queue. Each delivers to a
// fixed subject, to one member of the hubs' queue group.
func (b *Bus) consumerSpecs() []consumerSpec {
	spec := func(stream, topic string, maxAckPending int) consumerSpec {
		name := durableName("", topic)
		return consumerSpec{Stream: stream, Config: jetstream.ConsumerConfig{Durable: name, FilterSubject: topic,
			DeliverSubject: b.opts.Prefix + "_deliver." + name, DeliverGroup: b.opts.Prefix + "_hub",
			DeliverPolicy: jetstream.DeliverAllPolicy, AckPolicy: jetstream.AckExplicitPolicy, AckWait: b.opts.AckWait,
			MaxAckPending: maxAckPending, MemoryStorage: memoryConsumers}}
	}
	var out []consumerSpec
	for i := 0; i < b.Topics.Partitions; i++ {
		out = append(out, spec(b.Topics.Inbound, b.Topics.InboundPartition(i), 1))
	}
	return append(out, spec(b.Topics.Outbound, b.Topics.Outbound, 4*b.opts.Workers),
		spec(b.Topics.Poison, b.Topics.Poison, 4*b.opts.Workers))
}

// memoryConsumers keeps the consumers' state in memory (true) or on file.
// Both are correct because the bus recreates a missing consumer (at once
// on reconnect, else within a check) and the work-queue stream keeps every
// message not acknowledged. Memory state is lost with a NATS restart, so
// the recreated consumer redelivers what was in flight at once; file state
// survives it, but a delivery whose acknowledgement the restarted server
// missed blocks its partition until the ack wait (10 s) runs out —
// measured: consumed again 7–8 s after a restart on file, 0.2 s in memory.
// File state also costs about a third more CPU per consumed message
// (BenchmarkConsume: ~104 vs ~76 µs). A variable only so that the benchmark
// can compare.
var memoryConsumers = true

func (b *Bus) consumerSpec(topic string) (consumerSpec, bool) {
	for _, s := range b.consumerSpecs() {
		if s.Config.FilterSubject == topic {
			return s, true
		}
	}
	return consumerSpec{}, false
}

// repairs counts what one reconciliation found and did.
type repairs struct {
	streams, consumers int // found missing, and created
	updated            int // streams whose settings (replicas) were updated
	// missingStreams and missingConsumers could not be created (or read).
	missingStreams, missingConsumers int
	unbound                          []string // consumers nobody subscribes to
	lag                              uint64   // inbound messages waiting
	lagKnown                         bool
}

// reconcile makes the streams and consumers what they should be: a missing
// one is created, a stream with other settings (replicas) is updated, a
// consumer delivering elsewhere (made by an older hub) is replaced. It also
// reads what waits in the inbound stream (the work queue holds exactly the
// messages not yet acknowledged, whether or not their consumer exists) and
// which consumers nobody subscribes to.
func (b *Bus) reconcile(ctx context.Context) (repairs, error) {
	var r repairs
	var errs []error
	streams := map[string]jetstream.Stream{}
	for _, want := range b.streamConfigs() {
		s, err := b.reconcileStream(ctx, want, &r)
		if err != nil {
			errs = append(errs, err)
			r.missingStreams++
			continue
		}
		streams[want.Name] = s
	}
	if s := streams[b.Topics.Inbound]; s != nil {
		r.lag, r.lagKnown = s.CachedInfo().State.Msgs, true
	}
	have := map[string]map[string]*jetstream.ConsumerInfo{}
	for _, spec := range b.consumerSpecs() {
		infos, listed := have[spec.Stream]
		if !listed {
			var err error
			if infos, err = b.consumers(ctx, streams[spec.Stream]); err != nil {
				errs = append(errs, fmt.Errorf("consumers of %s: %w", spec.Stream, err))
			}
			have[spec.Stream] = infos
		}
		if infos == nil {
			r.missingConsumers++
			continue
		}
		if err := b.reconcileConsumer(ctx, spec, infos[spec.Config.Durable], &r); err != nil {
			errs = append(errs, err)
			r.missingConsumers++
		}
	}
	if len(errs) > 1 {
		return r, fmt.Errorf("%w (and %d more errors)", errs[0], len(errs)-1)
	}
	if len(errs) == 1 {
		return r, errs[0]
	}
	return r, nil
}

// reconcileStream returns the stream, created or updated as needed.
func (b *Bus) reconcileStream(ctx context.Context, want jetstream.StreamConfig, r *repairs) (jetstream.Stream, error) {
	s, err := b.js.Stream(ctx, want.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		s, err = b.js.CreateStream(ctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another hub made it meanwhile
			s, err = b.js.Stream(ctx, want.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		r.streams++
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("stream %s: %w", want.Name, err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Replicas == want.Replicas && slices.Equal(cfg.Subjects, want.Subjects) && cfg.MaxAge == want.MaxAge &&
		cfg.Duplicates == want.Duplicates {
		return s, nil
	}
	cfg.Replicas, cfg.Subjects, cfg.MaxAge, cfg.Duplicates = want.Replicas, want.Subjects, want.MaxAge, want.Duplicates
	if s, err = b.js.UpdateStream(ctx, cfg); err != nil {
		return nil, fmt.Errorf("update stream %s to %d replicas: %w", want.Name, want.Replicas, err)
	}
	r.updated++
	return s, nil
}

// consumers lists a stream's consumers by name (nil: the stream is missing).
func (b *Bus) consumers(ctx context.Context, s jetstream.Stream) (map[string]*jetstream.ConsumerInfo, error) {
	if s == nil {
		return nil, nil
	}
	out := map[string]*jetstream.ConsumerInfo{}
	l := s.ListConsumers(ctx)
	for info := range l.Info() {
		out[info.Name] = info
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Bus) reconcileConsumer(ctx context.Context, spec consumerSpec, have *jetstream.ConsumerInfo, r *repairs) error {
	name := spec.Config.Durable
	if have != nil && !consumerDiffers(have.Config, spec.Config) {
		if !have.PushBound {
			r.unbound = append(r.unbound, name)
		}
		return nil
	}
	if have != nil {
		// Made by an older hub (a random deliver subject, the NATS library's
		// own creation): replace it. Unacknowledged messages stay in the
		// work-queue stream and the new consumer delivers them.
		if err := b.js.DeleteConsumer(ctx, spec.Stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("replace consumer %s: %w", name, err)
		}
	}
	_, err := b.js.CreatePushConsumer(ctx, spec.Stream, spec.Config)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerExists) { // another hub made it meanwhile
		return fmt.Errorf("create consumer %s: %w", name, err)
	}
	r.consumers++
	return nil
}

// consumerDiffers reports whether an existing consumer would deliver
// elsewhere or otherwise than the bus needs. Limits that only tune it
// (ack wait, outbound in-flight count) are left as the first hub set them,
// so hubs with different worker counts do not replace each other's.
func consumerDiffers(have, want jetstream.ConsumerConfig) bool {
	return have.DeliverSubject != want.DeliverSubject || have.DeliverGroup != want.DeliverGroup ||
		have.FilterSubject != want.FilterSubject || have.AckPolicy != want.AckPolicy ||
		have.MemoryStorage != want.MemoryStorage || (want.MaxAckPending == 1 && have.MaxAckPending != 1)
}

// provisionAtStart creates the streams and consumers before anything
// subscribes. A NATS cluster that has just started answers "JetStream not
// ready" until it elected a leader, so it retries for up to 30 s.
func (b *Bus) provisionAtStart(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := b.reconcile(cctx)
		cancel()
		if err == nil {
			if r.streams+r.consumers+r.updated > 0 {
				b.log.Info("bus streams and consumers ready", "created_streams", r.streams,
					"created_consumers", r.consumers, "updated_streams", r.updated, "replicas", b.opts.Replicas)
			}
			b.health.lag.Store(r.lag)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("provision bus: %w: %w", ErrUnavailable, err)
		}
		b.log.Warn("bus not provisioned yet; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
