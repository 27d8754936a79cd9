package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-hub/kefu/hub"
)

// natsServer is a JetStream server on a loopback port that a test can stop
// and start again, with its store or without.
type natsServer struct {
	t    *testing.T
	port int
	dir  string
	ns   *server.Server
}

func startNATS(t *testing.T) *natsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &natsServer{t: t, port: port, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

func (s *natsServer) start() {
	s.t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, JetStream: true, StoreDir: s.dir,
		NoLog: true, NoSigs: true})
	if err != nil {
		s.t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server did not start")
	}
	s.ns = ns
}

func (s *natsServer) stop() {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		s.ns = nil
	}
}

// logBuf collects a bus's log lines.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) lines(level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, "level="+level) && strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

func openBus(t *testing.T, url string, o Options) (*Bus, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	o.URL, o.Log = url, slog.New(slog.NewTextHandler(logs, nil))
	if o.Prefix == "" {
		o.Prefix = "t"
	}
	if o.Partitions == 0 {
		o.Partitions = 2
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	b, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, logs
}

// consume subscribes to every durable topic (as the pipeline does) and
// acknowledges every inbound message, sending its id to got.
func consume(t *testing.T, b *Bus) <-chan string {
	t.Helper()
	got := make(chan string, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub := func(s message.Subscriber, topic string) {
		ch, err := s.Subscribe(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for m := range ch {
				if b.Topics.IsInbound(topic) {
					var in hub.Inbound
					json.Unmarshal(m.Payload, &in)
					got <- in.ExternalID
				}
				m.Ack()
			}
		}()
	}
	for i := 0; i < b.Topics.Partitions; i++ {
		sub(b.Ordered, b.Topics.InboundPartition(i))
	}
	sub(b.Queue, b.Topics.Outbound)
	sub(b.Queue, b.Topics.Poison)
	return got
}

func inbound(id string) hub.Inbound {
	return hub.Inbound{TenantID: "t1", ChannelID: "ch1", ExternalID: id, Contact: hub.ContactInfo{ExternalID: "c-" + id}}
}

// publishUntil publishes until the bus accepts the message (a platform
// retrying while the bus is down).
func publishUntil(t *testing.T, b *Bus, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := b.PublishInbound(inbound(id))
		if err == nil {
			return
		}
		if !errors.Is(err, hub.ErrUnavailable) {
			t.Fatalf("publish %s: %v is not ErrUnavailable (a platform would not retry)", id, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %s still failing after %s: %v", id, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receive waits until message id was consumed (in any order with others).
func receive(t *testing.T, got <-chan string, id string, within time.Duration) {
	t.Helper()
	seenMu.Lock()
	defer seenMu.Unlock()
	if seen[got] == nil {
		seen[got] = map[string]bool{}
	}
	timeout := time.After(within)
	for !seen[got][id] {
		select {
		case g := <-got:
			seen[got][g] = true
		case <-timeout:
			t.Fatalf("message %s not consumed within %s", id, within)
		}
	}
}

var (
	seenMu sync.Mutex
	seen   = map[<-chan string]map[string]bool{}
)

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A consumer deleted under the hub (as a NATS restart drops memory-state
// consumers) is recreated, and the hub's subscriptions get messages again
// without subscribing anew; the incident is logged once at error level and
// once when healed.
func TestDeletedConsumerIsRecreated(t *testing.T) {
	s := startNATS(t)
	b, logs := openBus(t, s.url(), Options{CheckEvery: 100 * time.Millisecond})
	got := consume(t, b)
	publishUntil(t, b, "m1", time.Second)
	receive(t, got, "m1", 5*time.Second)
	eventually(t, 5*time.Second, "ready", func() bool { return b.Ready() == nil })

	js, _ := jetstream.New(b.nc)
	for i := 0; i < b.Topics.Partitions; i++ {
		if err := js.DeleteConsumer(context.Background(), b.Topics.Inbound, durableName("", b.Topics.InboundPartition(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 2; i < 6; i++ {
		publishUntil(t, b, fmt.Sprintf("m%d", i), time.Second)
	}
	for i := 2; i < 6; i++ {
		receive(t, got, fmt.Sprintf("m%d", i), 5*time.Second)
	}
	// The check that recreated them records it once it is done.
	eventually(t, 5*time.Second, "ready again, the consumers counted as recreated", func() bool {
		h := b.Health()
		return b.Ready() == nil && h.Consuming && h.RecreatedConsumers >= uint64(b.Topics.Partitions) &&
			logs.lines("INFO", "bus: consuming again") > 0
	})
	if n := logs.lines("ERROR", "bus: the hub is not consuming"); n != 1 {
		t.Errorf("%d error lines for one incident, want 1:\n%s", n, logs.buf.String())
	}
	if n := logs.lines("INFO", "bus: consuming again"); n != 1 {
		t.Errorf("%d healed lines, want 1:\n%s", n, logs.buf.String())
	}
}

// The NATS server restarts with its store: nothing is lost, the hub
// consumes again by itself; while the server is down the bus is not ready
// and publishes fail at once as unavailable (webhooks answer 503).
func TestServerRestartKeepsConsuming(t *testing.T) {
	s := startNATS(t)
	b, _ := openBus(t, s.url(), Options{CheckEvery: 200 * time.Millisecond})
	got := consume(t, b)
	publishUntil(t, b, "before", time.Second)
	receive(t, got, "before", 5*time.Second)

	s.stop()
	eventually(t, 5*time.Second, "not ready while NATS is down", func() bool { return b.Ready() != nil })
	start := time.Now()
	if err := b.PublishInbound(inbound("down")); !errors.Is(err, hub.ErrUnavailable) || time.Since(start) > publishWait+time.Second {
		t.Fatalf("publish while NATS is down: %v after %s; want ErrUnavailable within %s", err, time.Since(start), publishWait)
	}
	s.start()
	publishUntil(t, b, "after", 10*time.Second)
	receive(t, got, "after", 10*time.Second)
	eventually(t, 10*time.Second, "ready after the restart", func() bool { return b.Ready() == nil })
}

// The NATS server comes back with an empty store: the bus recreates the
// streams and consumers, and messages flow again without a hub restart.
func TestServerStoreWipedIsRecreated(t *testing.T) {
	s := startNATS(t)
	b, logs := openBus(t, s.url(), Options{CheckEvery: 200 * time.Millisecond})
	got := consume(t, b)
	publishUntil(t, b, "before", time.Second)
	receive(t, got, "before", 5*time.Second)

	s.stop()
	s.dir = t.TempDir()
	s.start()
	publishUntil(t, b, "after", 10*time.Second)
	receive(t, got, "after", 10*time.Second)
	eventually(t, 10*time.Second, "ready after the wipe, 3 streams and every consumer recreated", func() bool {
		h := b.Health()
		return b.Ready() == nil && h.RecreatedStreams == 3 && h.RecreatedConsumers == uint64(len(b.consumerSpecs()))
	})
	if n := logs.lines("INFO", "bus: consuming again"); n != 1 {
		t.Errorf("%d healed lines, want 1:\n%s", n, logs.buf.String())
	}
}

// A stream deleted while the server runs: the first publish fails (503,
// retryable) and triggers a check, which recreates it.
func TestDeletedStreamIsRecreated(t *testing.T) {
	s := startNATS(t)
	b, _ := openBus(t, s.url(), Options{CheckEvery: time.Hour}) // only the publish's nudge checks
	got := consume(t, b)
	js, _ := jetstream.New(b.nc)
	if err := js.DeleteStream(context.Background(), b.Topics.Inbound); err != nil {
		t.Fatal(err)
	}
	publishUntil(t, b, "m1", 5*time.Second)
	receive(t, got, "m1", 5*time.Second)
}

// Stopping one hub of a cluster leaves every consumer in place for the
// others. (The NATS library deletes on unsubscribe a consumer it created
// itself: the hub that first subscribed took the partitions with it.)
func TestStoppingOneHubLeavesConsumers(t *testing.T) {
	s := startNATS(t)
	b1, _ := openBus(t, s.url(), Options{})
	consume(t, b1)
	b2, _ := openBus(t, s.url(), Options{})
	got2 := consume(t, b2)
	b1.StopConsuming()
	b1.Close()
	for i := 0; i < 10; i++ {
		publishUntil(t, b2, fmt.Sprintf("m%d", i), time.Second)
	}
	for i := 0; i < 10; i++ {
		receive(t, got2, fmt.Sprintf("m%d", i), 5*time.Second)
	}
}

// Lag counts every inbound message not yet acknowledged, also those of a
// partition whose consumer is missing; above MaxLag inbound publishes are
// refused with a retryable backpressure error, until the inbox catches up.
func TestLagAndBackpressure(t *testing.T) {
	s := startNATS(t)
	b, _ := openBus(t, s.url(), Options{CheckEvery: time.Hour, MaxLag: 4})
	got := consume(t, b)
	js, _ := jetstream.New(b.nc)
	for i := 0; i < b.Topics.Partitions; i++ {
		js.DeleteConsumer(context.Background(), b.Topics.Inbound, durableName("", b.Topics.InboundPartition(i)))
	}
	for i := 0; i < 5; i++ {
		publishUntil(t, b, fmt.Sprintf("m%d", i), time.Second)
	}
	b.check() // counts the waiting messages, then recreates the consumers
	if b.Lag() != 5 {
		t.Fatalf("lag %d, want 5 (the messages of partitions without a consumer count)", b.Lag())
	}
	err := b.PublishInbound(inbound("refused"))
	var bp *BackpressureError
	if !errors.As(err, &bp) || !errors.Is(err, hub.ErrUnavailable) || bp.RetryAfter() <= 0 {
		t.Fatalf("publish above the limit: %v; want a retryable BackpressureError", err)
	}
	if err := b.Ready(); err == nil || !strings.Contains(err.Error(), "backpressure") {
		t.Fatalf("Ready = %v, want backpressure", err)
	}
	if h := b.Health(); !h.Backpressure || !h.Consuming {
		t.Fatalf("health %+v: want backpressure while consuming", h)
	}
	for i := 0; i < 5; i++ {
		receive(t, got, fmt.Sprintf("m%d", i), 5*time.Second)
	}
	eventually(t, 5*time.Second, "backpressure off once the inbox caught up", func() bool {
		b.check()
		return b.PublishInbound(inbound("accepted")) == nil
	})
	// Ready also wants every consumer bound to its subscriber; checks this
	// close together can find one the server has not bound yet twice in a
	// row (a loaded box: the poison consumer in one make test), which a hub
	// checking every few seconds would not.
	eventually(t, 5*time.Second, "ready once the inbox caught up", func() bool {
		b.check()
		return b.Ready() == nil
	})
}

// Streams are updated to the bus's settings when they differ (as they are
// when KEFU_NATS_REPLICAS changes).
func TestStreamSettingsUpdated(t *testing.T) {
	s := startNATS(t)
	b, _ := openBus(t, s.url(), Options{})
	js, _ := jetstream.New(b.nc)
	st, _ := js.Stream(context.Background(), b.Topics.Inbound)
	cfg := st.CachedInfo().Config
	cfg.MaxAge = time.Hour
	if _, err := js.UpdateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	b.check()
	st, _ = js.Stream(context.Background(), b.Topics.Inbound)
	if got := st.CachedInfo().Config.MaxAge; got != 7*24*time.Hour {
		t.Fatalf("max age %s after a check, want 168h", got)
	}
}

// A consumer left by an older hub (the NATS library's own, delivering to a
// random inbox) is replaced at start by one delivering where every hub
// subscribes.
func TestForeignConsumerReplaced(t *testing.T) {
	s := startNATS(t)
	old, _ := openBus(t, s.url(), Options{})
	spec := old.consumerSpecs()[0]
	js, _ := jetstream.New(old.nc)
	js.DeleteConsumer(context.Background(), spec.Stream, spec.Config.Durable)
	foreign := spec.Config
	foreign.DeliverSubject, foreign.MemoryStorage = "_INBOX.old", true
	if _, err := js.CreatePushConsumer(context.Background(), spec.Stream, foreign); err != nil {
		t.Fatal(err)
	}
	old.Close()

	b, _ := openBus(t, s.url(), Options{})
	got := consume(t, b)
	var id string
	for i := 0; ; i++ { // a message on the first partition
		id = fmt.Sprintf("m%d", i)
		if b.Topics.InboundTopic(PartitionKey(&hub.Inbound{ChannelID: "ch1", Contact: hub.ContactInfo{ExternalID: "c-" + id}})) == spec.Config.FilterSubject {
			break
		}
	}
	publishUntil(t, b, id, time.Second)
	receive(t, got, id, 5*time.Second)
	js, _ = jetstream.New(b.nc)
	c, err := js.PushConsumer(context.Background(), spec.Stream, spec.Config.Durable)
	if err != nil || c.CachedInfo().Config.DeliverSubject != spec.Config.DeliverSubject {
		t.Fatalf("consumer %v, %v: not replaced", c, err)
	}
}

// StopConsuming takes no new message but lets the handler of one in flight
// finish and acknowledge it before it returns; the router stops after it
// without a panic, and what was not taken stays for the next hub.
func TestStopConsumingFinishesInFlight(t *testing.T) {
	s := startNATS(t)
	b, _ := openBus(t, s.url(), Options{Partitions: 1})
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, b.Logger)
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan string, 10), make(chan struct{})
	var handled sync.Map
	r.AddConsumerHandler("inbox", b.Topics.InboundPartition(0), b.Ordered, func(m *message.Message) error {
		var in hub.Inbound
		json.Unmarshal(m.Payload, &in)
		started <- in.ExternalID
		<-release
		if m.Context().Err() != nil {
			return m.Context().Err() // what the pipeline's handlers did when stopped first
		}
		handled.Store(in.ExternalID, true)
		return nil
	})
	r.AddConsumerHandler("events", b.Topics.Events, b.BroadcastSub, func(*message.Message) error { return nil })
	go r.Run(context.Background())
	<-r.Running()
	publishUntil(t, b, "in-flight", time.Second)
	if id := <-started; id != "in-flight" {
		t.Fatalf("started %s", id)
	}
	stopped := make(chan struct{})
	go func() { b.StopConsuming(); close(stopped) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("StopConsuming returned while a handler was still working")
	default:
	}
	if b.Ready() == nil {
		t.Error("ready while stopping")
	}
	close(release)
	<-stopped
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := handled.Load("in-flight"); !ok {
		t.Fatal("the message in flight was not handled to the end")
	}
	js, _ := jetstream.New(b.nc)
	st, err := js.Stream(context.Background(), b.Topics.Inbound)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 0 {
		t.Fatalf("%d messages left in the inbound stream; the one in flight should be acknowledged", n)
	}
}

// A hub that takes its time to subscribe (starting: migrations and the
// pipeline come after the bus) is not ready meanwhile, but that is no
// incident: no "not consuming" error is logged for consumers it has not
// got to yet, however many checks run before it does.
func TestSlowStartIsNoIncident(t *testing.T) {
	s := startNATS(t)
	b, logs := openBus(t, s.url(), Options{CheckEvery: 20 * time.Millisecond})
	time.Sleep(300 * time.Millisecond) // fifteen checks before anything subscribes
	if err := b.Ready(); err == nil || !strings.Contains(err.Error(), "subscribed to 0 of") {
		t.Fatalf("Ready before subscribing = %v, want not ready: subscribed to 0 of …", err)
	}
	got := consume(t, b)
	publishUntil(t, b, "m1", time.Second)
	receive(t, got, "m1", 5*time.Second)
	eventually(t, 5*time.Second, "ready", func() bool { return b.Ready() == nil })
	time.Sleep(100 * time.Millisecond) // more checks, now subscribed
	if n := logs.lines("ERROR", "bus: the hub is not consuming"); n != 0 {
		t.Errorf("%d error lines for a slow start, want none:\n%s", n, logs.buf.String())
	}
}

// A handler that outlasts the ack wait (the store stalled behind a lock)
// still acknowledges its message when it ends, and the partition's next
// message follows. Here every redelivery of the slow message is handed
// back, so only the first delivery's acknowledgement can let the next one
// through; the bus used to give up on that delivery after the ack wait
// (cancelling the handler's context) and drop its acknowledgement, so the
// next message waited for a redelivery to be handled.
func TestHandlerOutlastingTheAckWaitIsAcknowledged(t *testing.T) {
	s := startNATS(t)
	b, _ := openBus(t, s.url(), Options{Partitions: 1, AckWait: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, err := b.Ordered.Subscribe(ctx, b.Topics.InboundPartition(0))
	if err != nil {
		t.Fatal(err)
	}
	publishUntil(t, b, "slow", time.Second)
	publishUntil(t, b, "next", time.Second)
	id := func(m *message.Message) string {
		var in hub.Inbound
		json.Unmarshal(m.Payload, &in)
		return in.ExternalID
	}
	first := <-msgs
	if id(first) != "slow" {
		t.Fatalf("first delivery %s, want slow", id(first))
	}
	got := make(chan string, 10)
	go func() {
		for m := range msgs {
			if id(m) == "slow" {
				m.Nack()
				continue
			}
			got <- id(m)
			m.Ack()
		}
	}()
	time.Sleep(2500 * time.Millisecond) // the handler works for 2.5 ack waits
	if err := first.Context().Err(); err != nil {
		t.Errorf("the handler's context ended while it worked: %v", err)
	}
	first.Ack()
	receive(t, got, "next", 5*time.Second)
}
