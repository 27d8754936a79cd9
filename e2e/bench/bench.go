// Package bench is `kefu bench`: a load tool for a running hub on this
// machine. It creates a fresh tenant, agents (each holding an agent
// websocket) and a developer API channel, drives customers posting signed
// messages to the channel's webhook for a fixed time, waits for stragglers,
// and reports sustained accepted messages/s, end-to-end latency (POST start
// → the agent socket frame carrying the message) and a verdict on every
// accepted message: on time, late (shown after the drain, or only found in
// the hub's store), lost (not stored even after -settle-late) or
// duplicated. `-visitors N -messages M` drives web-widget visitors instead
// (RunVisitorLoad); `-visitors N` alone holds idle visitor sockets
// (RunVisitors).
//
// It refuses any target that is not loopback and stops by itself.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// Config is one bench run.
type Config struct {
	// URL is the hub's base URL; only loopback hosts are accepted.
	URL string
	// Email and Password log in the platform admin (who may create tenants).
	Email, Password string
	// Customers is how many distinct customers post; messages go to them in turn.
	Customers int
	// Agents is how many agents are online, each with a websocket.
	Agents int
	// Rate is the open-loop target in messages/s; 0 posts as fast as the
	// hub answers with Concurrency posts in flight.
	Rate float64
	// Concurrency bounds the posts in flight.
	Concurrency int
	// Await (max-rate mode) makes each of the Concurrency loops wait until
	// its message reached an agent before posting the next (closed loop end
	// to end); without it a loop waits only for the 2xx.
	Await bool
	// Duration is how long messages are sent.
	Duration time.Duration
	// Drain is how long to wait after sending for accepted messages to
	// reach an agent; those that reach one later are late.
	Drain time.Duration
	// SettleLate bounds the re-checks of the store after the drain: an
	// accepted message neither shown nor stored by then is lost.
	SettleLate time.Duration
	// PID is the hub's process id for its memory; 0 finds the process
	// listening on the URL's port (the RSS is then left out if none is).
	PID int
	// Size is the approximate message text size in bytes.
	Size int
	// Callback makes the channel deliver its events to a local sink, so the
	// hub's outbound webhook path is part of the load.
	Callback bool
	// Timeout bounds each HTTP request.
	Timeout time.Duration
	// WarmUp has every customer open a conversation before the timed run,
	// so the run measures steady traffic and the warm-up reports the cost
	// of opening and assigning conversations.
	WarmUp bool
}

// Defaults are the settings of a plain `kefu bench`.
func Defaults() Config {
	return Config{URL: "http://127.0.0.1:8080", Email: "admin@kefu.local", Customers: 200, Agents: 20,
		Rate: 0, Concurrency: 64, Await: true, Duration: 20 * time.Second, Drain: 30 * time.Second,
		SettleLate: 30 * time.Second, Size: 60,
		Callback: true, Timeout: 30 * time.Second, WarmUp: true}
}

// Validate checks the settings, including the loopback guard.
func (c Config) Validate() error {
	var errs []error
	if _, err := CheckLoopback(c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.Email == "" || c.Password == "" {
		errs = append(errs, errors.New("the platform admin's email and password are required"))
	}
	if c.Customers < 1 || c.Agents < 1 {
		errs = append(errs, errors.New("customers and agents must be at least 1"))
	}
	if c.Agents >= 1 && c.Customers > 1000*c.Agents {
		errs = append(errs, fmt.Errorf("%d customers need more than %d agents (max_chats is at most 1000)", c.Customers, c.Agents))
	}
	if c.Rate < 0 || c.Concurrency < 1 {
		errs = append(errs, errors.New("rate must be >= 0 and concurrency >= 1"))
	}
	if c.Duration <= 0 || c.Drain < 0 || c.SettleLate < 0 || c.Timeout <= 0 {
		errs = append(errs, errors.New("duration and timeout must be positive, drain and settle-late not negative"))
	}
	return errors.Join(errs...)
}

// Run sets up the tenant, drives the load, drains and returns the report.
// The hub keeps the bench tenant (its agents are set offline at the end).
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	base, _ := CheckLoopback(cfg.URL)
	hc := newHTTPClient(cfg.Concurrency, cfg.Timeout)
	var sink *callbackSink
	callback := ""
	if cfg.Callback {
		var err error
		if sink, err = startCallbackSink(); err != nil {
			return nil, err
		}
		defer sink.close()
		callback = sink.URL
	}
	fx, err := setUp(ctx, cfg, base, hc, callback, log)
	if err != nil {
		return nil, fmt.Errorf("bench setup: %w", err)
	}
	defer fx.tearDown(context.WithoutCancel(ctx))

	sockCtx, stopSockets := context.WithCancel(ctx)
	defer stopSockets()
	led := ledger.New(time.Now())
	socks, err := openSockets(sockCtx, base, fx, led, log)
	if err != nil {
		return nil, fmt.Errorf("bench setup: %w", err)
	}
	cpu0 := cpuTime()
	d := &driver{cfg: cfg, http: hc, url: base.String() + "/webhooks/api/" + fx.channelID, secret: fx.secret,
		runID: fx.runID, ledger: led, pad: padding(cfg.Size), log: log}
	ph := d.run(ctx)
	drained := drain(ctx, led, cfg.Drain)
	verdict := settle(ctx, led, newStoreAudit(fx.admin, fx.channelID, led), cfg.SettleLate, log)
	stopSockets()
	socks.wg.Wait()

	r := newReport(cfg, modeName(cfg), led.Tally(), ph.start, ph.sendEnd)
	r.Verdict = verdict
	r.HubPID, r.HubRSSEndMB = hubRSS(cfg.PID, base.Port(), log)
	r.TenantID, r.ChannelID = fx.tenantID, fx.channelID
	r.DrainTook, r.WarmUpTook = ms(drained), ms(ph.warmUp)
	r.Reconnects, r.Frames = int(socks.reconnects.Load()), int(socks.frames.Load())
	r.BehindSchedule, r.MaxScheduleLagMS = int(d.lag.behind.Load()), ms(time.Duration(d.lag.worst.Load()))
	r.BenchCPUSeconds = (cpuTime() - cpu0).Seconds()
	if sink != nil {
		r.Callbacks = int(sink.got.Load())
	}
	return r, ctx.Err()
}

func modeName(cfg Config) string {
	switch {
	case cfg.Rate > 0:
		return fmt.Sprintf("open loop %.0f msg/s", cfg.Rate)
	case cfg.Await:
		return "max rate (closed loop to the agent socket)"
	default:
		return "max rate (closed loop to the 2xx)"
	}
}

// phases is when the driver's phases happened.
type phases struct {
	warmUp         time.Duration
	start, sendEnd time.Time
}

// run is the warm-up (if any), then the timed run at the configured rate.
func (d *driver) run(ctx context.Context) phases {
	var ph phases
	if d.cfg.WarmUp {
		d.ledger.SetWarmUp(true)
		t0 := time.Now()
		d.warmUp(ctx)
		ph.warmUp = time.Since(t0)
		d.ledger.SetWarmUp(false)
		d.log.Info("bench warm-up done", "customers", d.cfg.Customers, "took", ph.warmUp)
	}
	d.log.Info("bench sending", "mode", modeName(d.cfg), "customers", d.cfg.Customers, "agents", d.cfg.Agents,
		"concurrency", d.cfg.Concurrency, "duration", d.cfg.Duration)
	ph.start = time.Now()
	d.ledger.SetStart(ph.start)
	until := ph.start.Add(d.cfg.Duration)
	if d.cfg.Rate > 0 {
		d.openLoop(ctx, ph.start, until)
	} else {
		d.maxRate(ctx, until)
	}
	ph.sendEnd = time.Now()
	d.log.Info("bench sent; draining", "posts", d.next.Load(), "waiting", d.ledger.Outstanding())
	return ph
}

// drain waits until every message was answered and every accepted one
// seen (then a short grace for late duplicates) or the timeout passes; it
// returns how long it took.
func drain(ctx context.Context, l *ledger.Ledger, timeout time.Duration) time.Duration {
	began := time.Now()
	deadline := began.Add(timeout)
	for (l.Outstanding() > 0 || l.Unanswered() > 0) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(began)
	grace := min(time.Second, time.Until(deadline))
	if grace > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(grace):
		}
	}
	return took
}
