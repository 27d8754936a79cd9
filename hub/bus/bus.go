// Package bus wires Kefu's Watermill bus onto NATS: JetStream for the durable
// topics (inbound, outbound, poison) and core NATS for the realtime events
// broadcast that every hub process receives. In embedded mode the NATS server
// runs in-process with its store under the data dir and listens on no port.
package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/kefu-hub/kefu/hub"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ErrUnavailable wraps publish failures so callers answer 5xx and the
// platform retries.
var ErrUnavailable = fmt.Errorf("bus: %w", hub.ErrUnavailable)

// Topics are the bus topic names for one hub deployment. Inbound is split
// into Partitions subjects (Inbound + ".N"): a customer's messages always
// go to the same partition, and each partition has one message in flight,
// so a customer's messages are stored in the order they were acknowledged.
type Topics struct {
	Inbound, Outbound, Poison, Events string
	Partitions                        int
}

// InboundTopic is the partition topic for a partition key (channel and
// customer): the same key always maps to the same partition.
func (t Topics) InboundTopic(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return t.InboundPartition(int(h.Sum32() % uint32(t.Partitions)))
}

// InboundPartition names partition n.
func (t Topics) InboundPartition(n int) string { return t.Inbound + "." + strconv.Itoa(n) }

// IsInbound reports whether a topic is one of the inbound partitions.
func (t Topics) IsInbound(topic string) bool { return strings.HasPrefix(topic, t.Inbound+".") }

// Bus is the open connection plus Watermill publishers and subscribers.
type Bus struct {
	Topics Topics
	// Durable publishes to JetStream and returns only after the stream stored it.
	Durable message.Publisher
	// Queue subscribes to a durable topic shared by all hub processes (each
	// message handled by one of them).
	Queue message.Subscriber
	// Ordered subscribes to inbound partitions: one message in flight per
	// partition across all processes.
	Ordered message.Subscriber
	// Broadcast publishes and subscribes best-effort messages every process gets.
	Broadcast     message.Publisher
	BroadcastSub  message.Subscriber
	Logger        watermill.LoggerAdapter
	nc            *nats.Conn
	ns            *server.Server
	embeddedStore string
	log           *slog.Logger
}

// Open connects to url, or starts an in-process JetStream server storing
// under dataDir when url is empty.
func Open(ctx context.Context, url, dataDir, prefix string, partitions, workers int, log *slog.Logger) (*Bus, error) {
	b := &Bus{
		Topics: Topics{Inbound: prefix + "_inbound", Outbound: prefix + "_outbound",
			Poison: prefix + "_poison", Events: prefix + ".events", Partitions: partitions},
		Logger: watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}),
		log:    log,
	}
	opts := []nats.Option{nats.Name("kefu"), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond)}
	if url == "" {
		ns, err := startEmbedded(filepath.Join(dataDir, "nats"))
		if err != nil {
			return nil, err
		}
		b.ns = ns
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect nats: %w: %w", ErrUnavailable, err)
	}
	b.nc = nc
	if err := b.provision(prefix); err != nil {
		b.Close()
		return nil, err
	}
	return b, b.build(prefix, workers)
}

func startEmbedded(dir string) (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{
		JetStream: true, StoreDir: dir, DontListen: true, ServerName: "kefu-embedded",
		NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats did not start in 10s")
	}
	return ns, nil
}

// provision creates the durable streams (file storage, work-queue retention:
// a message is removed once the hub acknowledged it) with a duplicate
// window, so a re-publish of the same message id is dropped by JetStream too
// (the database unique key stays the truth).
func (b *Bus) provision(prefix string) error {
	js, err := b.nc.JetStream()
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	streams := map[string]string{b.Topics.Inbound: b.Topics.Inbound + ".*", b.Topics.Outbound: b.Topics.Outbound,
		b.Topics.Poison: b.Topics.Poison}
	for name, subject := range streams {
		cfg := &nats.StreamConfig{Name: name, Subjects: []string{subject}, Storage: nats.FileStorage,
			Retention: nats.WorkQueuePolicy, Duplicates: 2 * time.Minute, MaxAge: 7 * 24 * time.Hour}
		if _, err := js.StreamInfo(name); err == nil {
			continue
		}
		if _, err := js.AddStream(cfg); err != nil && !errors.Is(err, nats.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create stream %s: %w", name, err)
		}
	}
	return nil
}

// durableName derives a consumer name from a topic (no dots allowed).
func durableName(_, topic string) string { return strings.ReplaceAll(topic, ".", "_") + "_hub" }

// ackWait is how long a delivered durable message may go unacknowledged
// before JetStream hands it to another subscriber. It is also how long the
// messages in flight to a crashed process wait before another process (or
// the restarted one) gets them, so it is kept short: a handler takes
// milliseconds, and a redelivery of a slow one is absorbed by the dedup key.
const ackWait = 10 * time.Second

func (b *Bus) build(prefix string, workers int) error {
	pub, err := wmnats.NewPublisherWithNatsConn(b.nc, wmnats.PublisherPublishConfig{
		Marshaler: &wmnats.NATSMarshaler{}, SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream: wmnats.JetStreamConfig{TrackMsgID: true},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("publisher: %w", err)
	}
	b.Durable = pub
	sub, err := wmnats.NewSubscriberWithNatsConn(b.nc, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler: &wmnats.NATSMarshaler{}, QueueGroupPrefix: prefix + "_hub",
		SubscribersCount: workers, AckWaitTimeout: ackWait,
		// A message handed back (the store is down) comes again after a pause.
		NakDelay: wmnats.NewStaticDelay(2 * time.Second),
		JetStream: wmnats.JetStreamConfig{
			// An ack lost in a crash only means a redelivery, which the
			// database dedup key absorbs; async acks keep the inbox fast.
			AckAsync:          true,
			DurableCalculator: durableName,
			SubscribeOptions: []nats.SubOpt{nats.ManualAck(), nats.AckExplicit(), nats.DeliverAll(),
				nats.AckWait(ackWait), nats.MaxAckPending(4 * workers)},
		},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("subscriber: %w", err)
	}
	b.Queue = sub
	ordered, err := wmnats.NewSubscriberWithNatsConn(b.nc, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler: &wmnats.NATSMarshaler{}, QueueGroupPrefix: prefix + "_hub",
		SubscribersCount: 1, AckWaitTimeout: ackWait, NakDelay: wmnats.NewStaticDelay(2 * time.Second),
		JetStream: wmnats.JetStreamConfig{
			AckAsync: true, DurableCalculator: durableName,
			SubscribeOptions: []nats.SubOpt{nats.ManualAck(), nats.AckExplicit(), nats.DeliverAll(),
				// Consumer state in memory: a partition consumer rewriting its
				// state file per message cost a tenth of the hub's CPU; on a
				// restart unacknowledged messages come again (work-queue
				// retention removes acknowledged ones) and dedup absorbs them.
				nats.AckWait(ackWait), nats.MaxAckPending(1), nats.ConsumerMemoryStorage()},
		},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("ordered subscriber: %w", err)
	}
	b.Ordered = ordered
	bpub, err := wmnats.NewPublisherWithNatsConn(b.nc, wmnats.PublisherPublishConfig{
		Marshaler: &wmnats.NATSMarshaler{}, SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream: wmnats.JetStreamConfig{Disabled: true},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("broadcast publisher: %w", err)
	}
	b.Broadcast = bpub
	bsub, err := wmnats.NewSubscriberWithNatsConn(b.nc, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler: &wmnats.NATSMarshaler{}, JetStream: wmnats.JetStreamConfig{Disabled: true},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("broadcast subscriber: %w", err)
	}
	b.BroadcastSub = bsub
	return nil
}

// Ping reports whether the bus connection is up (for /readyz).
func (b *Bus) Ping() error {
	if b.nc == nil || !b.nc.IsConnected() {
		return fmt.Errorf("%w: not connected", ErrUnavailable)
	}
	return nil
}

// Lag returns how many inbound messages wait unacknowledged for the hub, for
// the bus-lag metric.
func (b *Bus) Lag() (uint64, error) {
	js, err := b.nc.JetStream()
	if err != nil {
		return 0, err
	}
	var lag uint64
	for i := 0; i < b.Topics.Partitions; i++ {
		ci, err := js.ConsumerInfo(b.Topics.Inbound, durableName("", b.Topics.InboundPartition(i)))
		if err != nil {
			continue // not subscribed yet
		}
		lag += ci.NumPending + uint64(ci.NumAckPending)
	}
	return lag, nil
}

// Publish sends one durable message and waits for JetStream's ack. The id
// becomes the Nats-Msg-Id, so a republish inside the window is dropped.
func (b *Bus) Publish(topic, id string, payload []byte) error {
	m := message.NewMessage(id, payload)
	if err := b.Durable.Publish(topic, m); err != nil {
		return fmt.Errorf("publish %s: %w: %w", topic, ErrUnavailable, err)
	}
	return nil
}

// Close closes subscribers, the connection and the embedded server.
func (b *Bus) Close() {
	for _, c := range []interface{ Close() error }{b.Queue, b.Ordered, b.BroadcastSub, b.Durable, b.Broadcast} {
		if c != nil {
			c.Close()
		}
	}
	if b.nc != nil {
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}
