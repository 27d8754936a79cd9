// Package pipeline runs the hub's bus handlers: the inbox (inbound topic →
// store, batched), routing after each stored message, outbound deliveries,
// the poison queue, the realtime broadcast, and the sweepers that make the
// bus nudges reliable (queued conversations, due retries).
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/bus"
	"github.com/kefu-hub/kefu/hub/inbox"
	"github.com/kefu-hub/kefu/hub/metrics"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/robot"
	"github.com/kefu-hub/kefu/hub/store"
)

// Deps is what a pipeline runs with.
type Deps struct {
	Store    *store.Store
	Inbox    *inbox.Inbox
	Router   *assign.Router
	Timers   *automations.Timers
	Outbound *outbound.Store
	Failed   *Failed
	Bus      *bus.Bus
	// Sender sends deliveries through the channels' connectors.
	Sender outbound.Sender
	// Channel looks up a channel (for metrics labels).
	Channel func(ctx context.Context, id string) (*hub.Channel, error)
	// Sinks take the event broadcast on this process: the agent stream and
	// the connectors that push over their own sockets.
	Sinks []func([]hub.Event)
	// Robot answers the conversations the robot works (nil: no robot).
	Robot   *robot.Robot
	Metrics *metrics.Metrics
	Log     *slog.Logger
}

// Pipeline owns the bus handlers and sweepers of one hub process.
type Pipeline struct {
	Deps
	bus   *bus.Bus
	m     *metrics.Metrics
	log   *slog.Logger
	lanes []chan *job // inbound jobs by tenant (see batcher)
	turns *turns
	// MaxBatch bounds how many inbound messages share one transaction.
	MaxBatch int
	// SweepEvery is how often queues and due deliveries are swept.
	SweepEvery time.Duration
	ready      chan struct{}
	readyOnce  sync.Once
	busyPause  time.Duration // the first pause of a message whose conversation was busy (see later)
	annMu      sync.Mutex
	announced  map[string]time.Time // last queue-position announcement per tenant
	robotTurns chan robot.Turn
}

type job struct {
	in    hub.Inbound
	done  chan inbox.Result
	waits int // times its customer's conversation was busy
}

// New builds a pipeline; call Run to start it.
func New(d Deps) *Pipeline {
	n := 1
	if d.Store != nil && d.Store.Postgres {
		n = pgLanes
	}
	lanes := make([]chan *job, n)
	for i := range lanes {
		lanes[i] = make(chan *job, 4096)
	}
	return &Pipeline{Deps: d, bus: d.Bus, m: d.Metrics, log: d.Log,
		lanes: lanes, turns: newTurns(),
		MaxBatch: 256, SweepEvery: time.Second, busyPause: 5 * time.Millisecond, ready: make(chan struct{}), robotTurns: make(chan robot.Turn, 4096)}
}

// pgLanes is how many batches are stored at once on PostgreSQL.
const pgLanes = 8

// lane is the batcher lane of a tenant's inbound messages.
func (p *Pipeline) lane(tenantID string) chan *job {
	if len(p.lanes) == 1 {
		return p.lanes[0]
	}
	h := fnv.New32a()
	h.Write([]byte(tenantID))
	return p.lanes[h.Sum32()%uint32(len(p.lanes))]
}

// Ready is closed once the bus handlers are running.
func (p *Pipeline) Ready() <-chan struct{} { return p.ready }

// Kick asks for the tenant's queue to be drained (capacity freed).
func (p *Pipeline) Kick(tenantID string) { p.turns.kick(tenantID) }

// Run starts everything and blocks until ctx ends. Stopping goes in order:
// the bus drains its subscriptions first (no new message is taken; those
// in flight are stored and acknowledged, or handed back), then the router
// stops, then the workers. Cancelling the handlers with ctx instead would
// fail the messages in flight ("context canceled") and could close a
// subscription's channel under a delivery (a panic in the NATS callback).
func (p *Pipeline) Run(ctx context.Context) error {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, p.bus.Logger)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	// Only a message that keeps failing while the store is healthy is
	// poisoned; during an outage it is handed back to JetStream (redelivered
	// after a delay) so nothing is parked just because the database blinked.
	poison, err := middleware.PoisonQueueWithFilter(p.bus.Durable, p.bus.Topics.Poison, p.storeHealthy)
	if err != nil {
		return fmt.Errorf("poison queue: %w", err)
	}
	retry := middleware.Retry{MaxRetries: 5, InitialInterval: 100 * time.Millisecond, MaxInterval: 3 * time.Second,
		Multiplier: 2, Logger: p.bus.Logger,
		ShouldRetry: func(r middleware.RetryParams) bool { return !errors.Is(r.Err, context.Canceled) && !p.bus.Stopping() }}
	r.AddMiddleware(poison, retry.Middleware, middleware.Recoverer)
	for i := 0; i < p.bus.Topics.Partitions; i++ {
		r.AddConsumerHandler(fmt.Sprintf("inbox-%d", i), p.bus.Topics.InboundPartition(i), p.bus.Ordered, p.handleInbound)
	}
	r.AddConsumerHandler("outbound", p.bus.Topics.Outbound, p.bus.Queue, p.handleOutbound)
	r.AddConsumerHandler("poison", p.bus.Topics.Poison, p.bus.Queue, p.handlePoison)
	r.AddConsumerHandler("events", p.bus.Topics.Events, p.bus.BroadcastSub, p.handleEvents)

	// The router and the workers outlive ctx until the bus has drained.
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	var wg sync.WaitGroup
	spawn := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(work) }()
	}
	spawn(p.batcher)
	for i := 0; i < 4; i++ {
		spawn(p.router)
	}
	spawn(p.sweeper)
	spawn(p.timers)
	spawn(p.robotWorker)
	go func() {
		<-r.Running()
		p.readyOnce.Do(func() { close(p.ready) })
	}()
	go func() {
		select {
		case <-ctx.Done():
		case <-work.Done(): // the router ended by itself
			return
		}
		p.bus.StopConsuming()
		if err := r.Close(); err != nil {
			p.log.Warn("router did not stop in time", "err", err)
		}
	}()
	err = r.Run(work)
	stop()
	wg.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("router: %w", err)
	}
	return nil
}

// storeHealthy decides whether a message that failed its retries goes to
// the poison queue (failed_messages): only when the store is up — during
// an outage the message is handed back to JetStream and redelivered after
// a delay — and never for a handler interrupted by the hub stopping
// (context canceled, or any failure once stopping began): that message is
// handed back too, and stored when it comes again (it may be stored
// already; the dedup key absorbs it).
func (p *Pipeline) storeHealthy(err error) bool {
	if errors.Is(err, context.Canceled) || p.bus.Stopping() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.Store.Ping(ctx) == nil
}

func (p *Pipeline) handleInbound(msg *message.Message) error {
	var in hub.Inbound
	if err := json.Unmarshal(msg.Payload, &in); err != nil {
		p.m.Inbound.WithLabelValues("unknown", "failed").Inc()
		return p.Failed.Record(msg.Context(), msg.UUID, p.bus.Topics.InboundPartition(0), msg.Payload, "undecodable: "+err.Error())
	}
	j := &job{in: in, done: make(chan inbox.Result, 1)}
	select {
	case p.lane(in.TenantID) <- j:
	case <-msg.Context().Done():
		return msg.Context().Err()
	}
	var r inbox.Result
	select {
	case r = <-j.done:
	case <-msg.Context().Done():
		return msg.Context().Err()
	}
	typ := p.channelType(msg.Context(), in.ChannelID)
	var invalid *hub.InvalidError
	switch {
	case errors.As(r.Err, &invalid):
		p.m.Inbound.WithLabelValues(typ, "failed").Inc()
		return p.Failed.Record(msg.Context(), msg.UUID, p.bus.Topics.InboundTopic(bus.PartitionKey(&in)), msg.Payload, r.Err.Error())
	case r.Err != nil:
		return r.Err // retried, then poisoned
	case r.Duplicate:
		p.m.Inbound.WithLabelValues(typ, "duplicate").Inc()
	case r.Blocked:
		p.m.Inbound.WithLabelValues(typ, "blocked").Inc() // blacklisted sender: acknowledged, dropped
	default:
		p.m.Inbound.WithLabelValues(typ, "stored").Inc()
		if !in.ReceivedAt.IsZero() {
			p.m.IngestLat.Observe(time.Since(in.ReceivedAt).Seconds())
		}
	}
	return nil
}

func (p *Pipeline) channelType(ctx context.Context, id string) string {
	if ch, err := p.Channel(ctx, id); err == nil {
		return ch.Type
	}
	return "unknown"
}

// batcher stores inbound messages in batches: each lane takes what is
// waiting (up to MaxBatch) and commits it in one transaction, so throughput
// grows with load while a lone message is stored at once. SQLite has one
// writer: one lane. On PostgreSQL every statement is a round trip and the
// tenant's event counter is the last lock a transaction takes, so two
// batches of one tenant would only queue on that lock (eight of them one
// message each took ~60 ms apiece): a tenant's messages all go through one
// lane, where they wait for the batch in flight and then share the next,
// and the eight lanes store different tenants' batches at once.
func (p *Pipeline) batcher(ctx context.Context) {
	size := p.MaxBatch
	if len(p.lanes) > 1 {
		size = min(size, 64)
	}
	var wg sync.WaitGroup
	for _, l := range p.lanes {
		wg.Add(1)
		go func() { defer wg.Done(); p.batches(ctx, l, size) }()
	}
	wg.Wait()
}

func (p *Pipeline) batches(ctx context.Context, jobs chan *job, size int) {
	batch := make([]*job, 0, size)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			batch = append(batch[:0], j)
		}
	fill:
		for len(batch) < size {
			select {
			case j := <-jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		ins := make([]hub.Inbound, len(batch))
		for i, j := range batch {
			ins[i] = j.in
		}
		results := p.Inbox.Ingest(ctx, ins)
		for i, j := range batch {
			if results[i].Busy {
				p.later(ctx, jobs, j)
				continue
			}
			j.done <- results[i]
			if results[i].Routable() {
				p.turns.add(results[i].TenantID, results[i].Stored())
			}
			if p.Robot == nil {
				continue
			}
			r := results[i]
			t := robot.Turn{TenantID: r.TenantID, ChannelID: j.in.ChannelID, ConversationID: r.ConversationID,
				MessageID: r.MessageID, New: r.New}
			if r.ForRobot() {
				p.robotTurns <- t
			} else if r.Err == nil && !r.Duplicate && !r.Blocked && !r.Ticketed && r.MessageID != "" &&
				p.Robot.Always(ctx, r.TenantID, j.in.ChannelID, j.in.Text) {
				t.Always = true // a keyword rule may answer always
				p.robotTurns <- t
			}
		}
	}
}

// later puts back a message whose customer's conversation was busy (a
// routing pass held it), for a batch as soon as the tenant's routing turn
// in this process ends, or after a pause — 5 ms, then 10, then 20 — when
// something else holds it (another process's turn, an agent's reply). Its
// handler waits meanwhile, so the bus hands out none of the customer's
// later messages. (A pause that doubled up to 80 ms kept follow-ups
// waiting long after the turn had let go of their conversation.)
func (p *Pipeline) later(ctx context.Context, jobs chan<- *job, j *job) {
	j.waits++
	pause := p.busyPause << min(j.waits-1, 2)
	turn := p.turns.ended(j.in.TenantID)
	go func() {
		t := time.NewTimer(pause)
		defer t.Stop()
		select {
		case <-t.C:
		case <-turn:
		case <-ctx.Done():
			return // stopping: the unacknowledged message comes again
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
		}
	}()
}

// router works routing turns: one tenant at a time (see turns), its stored
// messages routed in one pass, then its queues drained when capacity may
// have freed or a conversation had to wait.
func (p *Pipeline) router(ctx context.Context) {
	for {
		tenantID, routes, drain, ok := p.turns.next(ctx)
		if !ok {
			return
		}
		p.turns.done(tenantID, p.routeTurn(ctx, tenantID, routes, drain))
	}
}

func (p *Pipeline) routeTurn(ctx context.Context, tenantID string, routes []assign.Stored, drain bool) (more bool) {
	if len(routes) > 0 {
		ds, err := p.Router.AfterIngest(ctx, tenantID, routes)
		for _, d := range ds {
			p.decided(d)
			// It may wait only because an older conversation was being
			// routed at the same moment by another process: drain now,
			// oldest first, rather than on the next sweep.
			drain = drain || d.Outcome == assign.Queued || d.Again
		}
		if err != nil && ctx.Err() == nil { // stopping: the next start routes them
			p.log.Warn("route conversations; the sweeper retries", "tenant", tenantID, "err", err)
		}
	}
	if !drain {
		return false
	}
	ds, more, err := p.Router.Drain(ctx, tenantID)
	for _, d := range ds {
		p.decided(d)
	}
	if err != nil && ctx.Err() == nil {
		p.log.Warn("drain queue", "tenant", tenantID, "err", err)
	}
	p.announce(ctx, tenantID)
	return more
}

func (p *Pipeline) decided(d assign.Decision) {
	if d.Outcome != assign.Skipped {
		p.m.Routing.WithLabelValues(string(d.Outcome)).Inc()
		p.log.Debug("routed", "conversation", d.ConversationID, "outcome", d.Outcome, "agent", d.AgentID)
	}
}

func (p *Pipeline) handleOutbound(msg *message.Message) error {
	return p.deliver(msg.Context(), string(msg.Payload))
}

func (p *Pipeline) deliver(ctx context.Context, id string) error {
	err := p.Outbound.Deliver(ctx, id, counted{p})
	if err != nil {
		return fmt.Errorf("deliver %s: %w", id, err)
	}
	return nil
}

func (p *Pipeline) handlePoison(msg *message.Message) error {
	reason := msg.Metadata.Get(middleware.ReasonForPoisonedKey)
	topic := msg.Metadata.Get(middleware.PoisonedTopicKey)
	p.log.Error("message failed after retries; kept for admins", "topic", topic, "id", msg.UUID, "reason", reason)
	return p.Failed.Record(msg.Context(), msg.UUID, topic, msg.Payload, reason)
}

func (p *Pipeline) handleEvents(msg *message.Message) error {
	evs, err := bus.DecodeEvents(msg.Payload)
	if err != nil {
		p.log.Warn("event broadcast", "err", err)
		return nil
	}
	for _, sink := range p.Sinks {
		sink(evs)
	}
	return nil
}

// sweeper drains queues and retries due deliveries, so a lost nudge or a
// crashed process delays work but never loses it.
func (p *Pipeline) sweeper(ctx context.Context) {
	t := time.NewTicker(p.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if tenants, err := p.Router.TenantsWithQueue(ctx); err == nil {
			for _, id := range tenants {
				p.Kick(id)
			}
		}
		if p.Robot != nil {
			lost, err := p.Robot.Lost(ctx)
			if err != nil {
				p.log.Warn("lost robot turns", "err", err)
			}
			for _, t := range lost {
				p.turns.add(t.TenantID, assign.Stored{ConversationID: t.ConversationID, Status: hub.ConvQueued, New: true})
			}
		}
		ids, err := p.Outbound.Due(ctx, 200)
		if err != nil {
			p.log.Warn("due deliveries", "err", err)
			continue
		}
		p.deliverAll(ctx, ids)
	}
}

// deliverAll attempts due deliveries a few at a time, so one slow callback
// does not hold up the others.
func (p *Pipeline) deliverAll(ctx context.Context, ids []string) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := p.deliver(ctx, id); err != nil {
				p.log.Warn("deliver", "err", err)
			}
		}()
	}
	wg.Wait()
}

// counted wraps the sender to count results per channel type.
type counted struct{ p *Pipeline }

func (c counted) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	r := c.p.Sender.Send(ctx, ch, out)
	result := "delivered"
	if r.Err != nil {
		result = "retry"
		if r.Permanent {
			result = "failed"
		}
	}
	c.p.m.Outbound.WithLabelValues(ch.Type, result).Inc()
	return r
}

// Republish puts a payload back on a durable topic (an admin retrying a
// failed message).
func (p *Pipeline) Republish(ctx context.Context, topic, id string, payload []byte) error {
	if !p.bus.Topics.IsInbound(topic) && topic != p.bus.Topics.Outbound {
		return hub.Invalid("messages of topic %q cannot be retried", topic)
	}
	return p.bus.Publish(topic, id, payload)
}

// timers fires due durable timers (greeting, still checking, idle reminder
// and close, unanswered flag, overflow, max wait). The timers live in the
// database, so they survive restarts, and each fires once however many
// processes sweep.
func (p *Pipeline) timers(ctx context.Context) {
	t := time.NewTicker(max(p.SweepEvery/2, 50*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tenants, err := p.Router.FireDueTimers(ctx, p.Timers, 200)
		if err != nil {
			p.log.Warn("due timers", "err", err)
		}
		for _, id := range tenants {
			p.Kick(id)
		}
	}
}

// announce tells waiting customers of a tenant their new places after a
// drain, at most twice a second per tenant and process.
func (p *Pipeline) announce(ctx context.Context, tenantID string) {
	now := time.Now()
	p.annMu.Lock()
	if p.announced == nil {
		p.announced = map[string]time.Time{}
	}
	last := p.announced[tenantID]
	if now.Sub(last) < 500*time.Millisecond {
		p.annMu.Unlock()
		return
	}
	p.announced[tenantID] = now
	p.annMu.Unlock()
	if err := p.Router.AnnouncePositions(ctx, tenantID); err != nil {
		p.log.Warn("announce queue positions", "tenant", tenantID, "err", err)
	}
}

// robotWorker answers the robot's turns in order, off the ingest lanes; a
// conversation it hands over is routed at once.
func (p *Pipeline) robotWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-p.robotTurns:
			if t.Always {
				if err := p.Robot.AutoReply(ctx, t); err != nil {
					p.log.Warn("keyword auto-reply", "conversation", t.ConversationID, "err", err)
				}
				continue
			}
			handed, err := p.Robot.Answer(ctx, t)
			if err != nil {
				p.log.Warn("robot answer", "conversation", t.ConversationID, "err", err)
			}
			if handed {
				p.turns.add(t.TenantID, assign.Stored{ConversationID: t.ConversationID, Status: hub.ConvQueued, New: true})
			}
		}
	}
}
