package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
)

// subscriber gives each topic its own Watermill NATS subscriber. A
// JetStream topic's subscriber binds (nats.Bind) to the consumer the bus
// keeps (provision.go): the NATS library then never creates a consumer —
// and so never deletes one when it unsubscribes, as it does with those it
// created (one hub stopping then left every other hub of the cluster
// consuming nothing). The consumers' deliver subjects are fixed, so a
// consumer the bus recreates delivers to the subscriptions already there.
type subscriber struct {
	b      *Bus
	count  int  // subscriptions per topic (a queue group within the process)
	core   bool // core NATS (the broadcast), not JetStream
	mu     sync.Mutex
	subs   []*wmnats.Subscriber
	closed bool
}

var _ message.Subscriber = (*subscriber)(nil)

func (b *Bus) subscriber(count int, core bool) *subscriber {
	return &subscriber{b: b, count: count, core: core}
}

// Subscribe subscribes to topic on the bus's subscription connection.
func (s *subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	cfg := wmnats.SubscriberSubscriptionConfig{Unmarshaler: &wmnats.NATSMarshaler{}, SubscribersCount: s.count,
		AckWaitTimeout: handlerWait, CloseTimeout: 10 * time.Second}
	if s.core {
		cfg.JetStream = wmnats.JetStreamConfig{Disabled: true}
	} else {
		spec, ok := s.b.consumerSpec(topic)
		if !ok {
			return nil, fmt.Errorf("subscribe %s: not a durable topic of this bus", topic)
		}
		cfg.QueueGroupPrefix = spec.Config.DeliverGroup
		// A message handed back (the store is down) comes again after a pause.
		cfg.NakDelay = wmnats.NewStaticDelay(2 * time.Second)
		cfg.JetStream = wmnats.JetStreamConfig{
			// An ack lost in a crash only means a redelivery, which the
			// database dedup key absorbs; async acks keep the inbox fast.
			AckAsync:          true,
			DurableCalculator: durableName,
			SubscribeOptions:  []nats.SubOpt{nats.Bind(spec.Stream, spec.Config.Durable), nats.ManualAck()},
		}
	}
	ws, err := wmnats.NewSubscriberWithNatsConn(s.b.sc, cfg, s.b.Logger)
	if err != nil {
		return nil, fmt.Errorf("subscriber %s: %w", topic, err)
	}
	out, err := ws.Subscribe(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", topic, err)
	}
	s.mu.Lock()
	s.subs = append(s.subs, ws)
	s.mu.Unlock()
	if !s.core {
		s.b.subs.add(topic)
	}
	return out, nil
}

// Close closes every topic's subscriber once. After StopConsuming their
// connection is closed already, which is not an error.
func (s *subscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, ws := range s.subs {
		if err := ws.Close(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// subscriptions records which durable topics this process subscribes to
// (the hub is not consuming until every one is) and whether they were
// drained on the way out.
type subscriptions struct {
	mu      sync.Mutex
	topics  map[string]bool
	drained bool
}

func newSubscriptions() *subscriptions { return &subscriptions{topics: map[string]bool{}} }

func (s *subscriptions) add(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.topics[topic] = true
}

func (s *subscriptions) draining() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drained = true
}

// state is how many durable topics are subscribed, and whether they were
// drained.
func (s *subscriptions) state() (n int, drained bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.topics), s.drained
}

// quietAfterDrain is the Watermill logger, except that once the bus has
// drained its subscriptions (shutting down) the subscribers' failures to
// unsubscribe from the closed connection are expected, not errors.
type quietAfterDrain struct {
	watermill.LoggerAdapter
	subs *subscriptions
}

func (q quietAfterDrain) Error(msg string, err error, fields watermill.LogFields) {
	if _, drained := q.subs.state(); drained && (errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrConnectionDraining) || errors.Is(err, nats.ErrBadSubscription)) {
		q.LoggerAdapter.Debug(msg+": "+err.Error(), fields)
		return
	}
	q.LoggerAdapter.Error(msg, err, fields)
}

func (q quietAfterDrain) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietAfterDrain{q.LoggerAdapter.With(fields), q.subs}
}
