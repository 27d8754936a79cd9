// Package bus wires Kefu's Watermill bus onto NATS: JetStream for the durable
// topics (inbound, outbound, poison) and core NATS for the realtime events
// broadcast that every hub process receives. In embedded mode the NATS server
// runs in-process with its store under the data dir and listens on no port.
//
// The bus keeps its streams and consumers itself (see provision.go): it
// creates them, checks them every few seconds and whenever the connection
// comes back, and recreates what is missing, so a NATS server restarted
// with or without its store is consumed again without restarting the hub.
// Until then Ready reports why the hub is not consuming (health.go).
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
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/kefu-hub/kefu/hub"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

// Options configure a bus.
type Options struct {
	// URL is the NATS server, or a comma-separated list of a cluster's
	// servers; empty starts an in-process server storing under DataDir.
	URL, DataDir string
	// Prefix namespaces streams and subjects.
	Prefix string
	// Partitions is the number of inbound partitions; Workers how many
	// outbound deliveries (and poisoned messages) are handled at once.
	Partitions, Workers int
	// Replicas is the streams' JetStream replica count (consumers inherit
	// it); 0 means 1.
	Replicas int
	// MaxLag is how many inbound messages may wait before the bus refuses
	// new ones (backpressure); 0 never refuses.
	MaxLag uint64
	// CheckEvery is how often streams and consumers are checked and
	// repaired; 0 means every 2 s.
	CheckEvery time.Duration
	// AckWait is how long a delivered message may go unacknowledged before
	// JetStream delivers it again; 0 means ackWait (tests shorten it).
	AckWait time.Duration
	Log     *slog.Logger
}

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
	Broadcast    message.Publisher
	BroadcastSub message.Subscriber
	Logger       watermill.LoggerAdapter

	opts Options
	// nc publishes and manages streams; sc carries every subscription, so
	// that stopping can drain the subscriptions (see StopConsuming) while
	// handlers still publish and acknowledge.
	nc, sc  *nats.Conn
	js      jetstream.JetStream
	ns      *server.Server
	log     *slog.Logger
	subs    *subscriptions
	health  health
	kick    chan struct{}
	stop    chan struct{}
	stopped sync.WaitGroup
}

// Open connects (or starts the in-process server), creates the streams and
// consumers, and starts checking them.
func Open(ctx context.Context, o Options) (*Bus, error) {
	if o.Replicas < 1 {
		o.Replicas = 1
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 2 * time.Second
	}
	if o.AckWait <= 0 {
		o.AckWait = ackWait
	}
	b := &Bus{
		Topics: Topics{Inbound: o.Prefix + "_inbound", Outbound: o.Prefix + "_outbound",
			Poison: o.Prefix + "_poison", Events: o.Prefix + ".events", Partitions: o.Partitions},
		opts: o, log: o.Log, subs: newSubscriptions(),
		kick: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	b.Logger = quietAfterDrain{watermill.NewSlogLoggerWithLevelMapping(o.Log,
		map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}), b.subs}
	if err := b.connect(); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.provisionAtStart(ctx); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.build(); err != nil {
		b.Close()
		return nil, err
	}
	b.stopped.Add(1)
	go b.monitor()
	return b, nil
}

func (b *Bus) connect() error {
	var inProcess []nats.Option
	if b.opts.URL == "" {
		ns, err := startEmbedded(filepath.Join(b.opts.DataDir, "nats"))
		if err != nil {
			return err
		}
		b.ns = ns
		inProcess = append(inProcess, nats.InProcessServer(ns))
	}
	conn := func(name string) (*nats.Conn, error) {
		opts := append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond),
			nats.DrainTimeout(8 * time.Second),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.disconnected(name, err) }),
			nats.ReconnectHandler(func(*nats.Conn) { b.checkSoon() }),
		}, inProcess...)
		nc, err := nats.Connect(b.opts.URL, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect nats: %w: %w", ErrUnavailable, err)
		}
		return nc, nil
	}
	var err error
	if b.nc, err = conn("kefu"); err != nil {
		return err
	}
	if b.sc, err = conn("kefu-subscriptions"); err != nil {
		return err
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
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

// durableName derives a consumer name from a topic (no dots allowed).
func durableName(_, topic string) string { return strings.ReplaceAll(topic, ".", "_") + "_hub" }

// ackWait is how long a delivered durable message may go unacknowledged
// before JetStream hands it to another subscriber. It is also how long the
// messages in flight to a crashed process wait before another process (or
// the restarted one) gets them, so it is kept short: a handler takes
// milliseconds, and a redelivery of a slow one is absorbed by the dedup key.
const ackWait = 10 * time.Second

// handlerWait is how long a subscription waits for its handler to end with
// a message before giving up on it. It is much longer than the ack wait:
// a handler that outlasts the ack wait (the store stalled behind a lock)
// still acknowledges its message when it ends, and a partition's next
// message follows at once. Given up on, the delivery would never be
// acknowledged — its message would leave the stream only when a
// redelivery of it is handled, an ack wait later, partition by partition.
// (The redeliveries meanwhile wait behind it in the subscription and are
// absorbed by the dedup key.)
const handlerWait = 5 * time.Minute

func (b *Bus) build() error {
	pub, err := wmnats.NewPublisherWithNatsConn(b.nc, wmnats.PublisherPublishConfig{
		Marshaler: &wmnats.NATSMarshaler{}, SubjectCalculator: wmnats.DefaultSubjectCalculator,
		// A stored message is acknowledged in milliseconds; give up after
		// 2 s (a leader election, a restarting server) so the webhook
		// answers 503 well inside a platform's timeout (WeChat's is 5 s).
		JetStream: wmnats.JetStreamConfig{TrackMsgID: true, ConnectOptions: []nats.JSOpt{nats.MaxWait(publishWait)}},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("publisher: %w", err)
	}
	b.Durable = pub
	b.Queue = b.subscriber(b.opts.Workers, false)
	b.Ordered = b.subscriber(1, false)
	bpub, err := wmnats.NewPublisherWithNatsConn(b.nc, wmnats.PublisherPublishConfig{
		Marshaler: &wmnats.NATSMarshaler{}, SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream: wmnats.JetStreamConfig{Disabled: true},
	}, b.Logger)
	if err != nil {
		return fmt.Errorf("broadcast publisher: %w", err)
	}
	b.Broadcast = bpub
	b.BroadcastSub = b.subscriber(1, true)
	return nil
}

// publishWait bounds how long a durable publish waits for JetStream's ack.
const publishWait = 2 * time.Second

// Publish sends one durable message and waits for JetStream's ack. The id
// becomes the Nats-Msg-Id, so a republish inside the window is dropped.
// Without a connection it fails at once, else within publishWait (a
// webhook must answer inside the platform's timeout: WeChat's is 5 s).
func (b *Bus) Publish(topic, id string, payload []byte) error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("publish %s: %w: not connected to NATS", topic, ErrUnavailable)
	}
	m := message.NewMessage(id, payload)
	if err := b.Durable.Publish(topic, m); err != nil {
		if errors.Is(err, nats.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			b.checkSoon() // the stream may be gone: recreate it now
		}
		return fmt.Errorf("publish %s: %w: %w", topic, ErrUnavailable, err)
	}
	return nil
}

// StopConsuming drains every subscription: no new message is taken, and
// it returns once the handlers of those in flight have finished (acked or
// nacked) or after 8 s. Call it before stopping the router: cancelling the
// router first fails the messages in flight and can close a subscription's
// channel under a delivery (a "send on closed channel" panic).
func (b *Bus) StopConsuming() {
	b.subs.draining()
	closed := make(chan struct{})
	b.sc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := b.sc.Drain(); err != nil {
		b.sc.Close()
		return
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		b.sc.Close()
	}
}

// Close stops the checks and closes subscribers, the connections and the
// embedded server.
func (b *Bus) Close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	b.stopped.Wait()
	b.subs.draining()
	for _, c := range []interface{ Close() error }{b.Queue, b.Ordered, b.BroadcastSub, b.Durable, b.Broadcast} {
		if c != nil {
			c.Close()
		}
	}
	for _, c := range []*nats.Conn{b.sc, b.nc} {
		if c != nil {
			c.Close()
		}
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}
