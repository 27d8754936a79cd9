package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// VisitorLoadConfig is `kefu bench -visitors N -messages M`: N web-widget
// visitors connect (ramped), then each sends M messages Gap apart over the
// visitor websocket, to Agents agents holding workbench websockets.
type VisitorLoadConfig struct {
	URL, Email, Password string
	Visitors, Messages   int
	// Gap is the time between one visitor's messages. Visitor i starts
	// i·Gap/N after the first, so together they offer N/Gap messages/s.
	Gap    time.Duration
	Agents int
	// Ramp is how many visitor sockets open per second before any message
	// is sent (so connecting does not weigh on the latencies); 0 opens
	// them as fast as the hub takes them, 64 at a time.
	Ramp float64
	// Drain and SettleLate as in Config: the wait for stragglers, then the
	// bounded re-checks of the store that tell late from lost.
	Drain, SettleLate time.Duration
	// Size is the approximate message text size in bytes.
	Size int
	// PID is the hub's process id for its memory; 0 finds the process
	// listening on the URL's port (the RSS is left out if none is).
	PID int
}

// Validate checks the settings, including the loopback guard.
func (c VisitorLoadConfig) Validate() error {
	var errs []error
	if _, err := CheckLoopback(c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.Email == "" || c.Password == "" {
		errs = append(errs, errors.New("the platform admin's email and password are required"))
	}
	if c.Visitors < 1 || c.Messages < 1 || c.Agents < 1 {
		errs = append(errs, errors.New("visitors, messages and agents must be at least 1"))
	}
	if c.Agents >= 1 && c.Visitors > 1000*c.Agents {
		errs = append(errs, fmt.Errorf("%d visitors need more than %d agents (max_chats is at most 1000)", c.Visitors, c.Agents))
	}
	if c.Gap < 0 || c.Ramp < 0 || c.Drain < 0 || c.SettleLate < 0 {
		errs = append(errs, errors.New("gap, ramp, drain and settle-late must not be negative"))
	}
	if c.Messages > 10000 || time.Duration(c.Messages)*c.Gap > time.Hour {
		errs = append(errs, errors.New("a visitor sends at most 10,000 messages over at most an hour"))
	}
	return errors.Join(errs...)
}

// RunVisitorLoad sets up a tenant with a web channel, opens the visitors'
// sockets, has them send, drains, tells late from lost and reports.
func RunVisitorLoad(ctx context.Context, cfg VisitorLoadConfig, log *slog.Logger) (*VisitorLoadReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if cfg.Messages > messageBurst && cfg.Gap < time.Second/2 {
		log.Warn("the hub lets a visitor send 2 messages/s after a burst of 10: expect refusals, each sent again 3 s later",
			"messages", cfg.Messages, "gap", cfg.Gap)
	}
	base, _ := CheckLoopback(cfg.URL)
	raiseFileLimit(cfg.Visitors + 1000)
	hc := newHTTPClient(16, 30*time.Second)
	fx, err := setUp(ctx, Config{Email: cfg.Email, Password: cfg.Password, Customers: cfg.Visitors, Agents: cfg.Agents},
		base, hc, "", log)
	if err != nil {
		return nil, fmt.Errorf("bench setup: %w", err)
	}
	defer fx.tearDown(context.WithoutCancel(ctx))
	chID, err := webChannel(ctx, fx)
	if err != nil {
		return nil, fmt.Errorf("bench setup: %w", err)
	}
	sockCtx, stopSockets := context.WithCancel(ctx)
	defer stopSockets()
	led := ledger.New(time.Now())
	agentSocks, err := openSockets(sockCtx, base, fx, led, log)
	if err != nil {
		return nil, fmt.Errorf("bench setup: %w", err)
	}
	r := &VisitorLoadReport{URL: cfg.URL, Visitors: cfg.Visitors, Messages: cfg.Messages, GapMS: ms(cfg.Gap),
		Agents: cfg.Agents, Ramp: cfg.Ramp, TenantID: fx.tenantID, ChannelID: chID}
	r.HubPID, r.RSSBeforeMB = hubRSS(cfg.PID, base.Port(), log)
	cpu0 := cpuTime()

	log.Info("opening visitor sockets", "visitors", cfg.Visitors, "per_s", cfg.Ramp)
	t0 := time.Now()
	vs, failures := openVisitors(sockCtx, "ws://"+base.Host+"/webhooks/web/"+chID+"/ws", cfg.Visitors, cfg.Ramp, led, log)
	defer func() {
		for _, v := range vs {
			v.conn.Close()
		}
	}()
	r.Opened, r.OpenFailures, r.OpenSeconds = len(vs), failures, time.Since(t0).Seconds()
	connect := make([]time.Duration, len(vs))
	for i, v := range vs {
		connect[i] = v.connect
	}
	slices.Sort(connect)
	r.Connect = latency(connect)
	if len(vs) == 0 {
		return r, errors.New("bench: no visitor socket opened")
	}

	log.Info("visitors sending", "visitors", len(vs), "messages", cfg.Messages, "gap", cfg.Gap)
	s := &visitorSender{cfg: cfg, ledger: led, pad: padding(cfg.Size)}
	start, end := s.run(ctx, vs)
	log.Info("visitors sent; draining", "waiting", led.Outstanding(), "unanswered", led.Unanswered())
	drained := drain(ctx, led, cfg.Drain)
	r.Verdict = settle(ctx, led, newStoreAudit(fx.admin, chID, led), cfg.SettleLate, log)
	if r.HubPID != 0 {
		_, r.RSSEndMB = hubRSS(r.HubPID, base.Port(), log)
	}
	r.fill(led.Tally(), start, end)
	r.DrainTook, r.BehindSchedule, r.MaxScheduleLagMS = ms(drained), int(s.lag.behind.Load()), ms(time.Duration(s.lag.worst.Load()))
	for _, v := range vs {
		if v.closed.Load() {
			r.DroppedSockets++
		}
	}
	r.BenchCPUSeconds = (cpuTime() - cpu0).Seconds()
	stopSockets()
	agentSocks.wg.Wait()
	r.Reconnects, r.Frames = int(agentSocks.reconnects.Load()), int(agentSocks.frames.Load())
	return r, ctx.Err()
}

// messageBurst is the hub's per-visitor message burst (connectors/web/limit.go).
const messageBurst = 10

// visitorSender runs the send phase on a fixed schedule.
type visitorSender struct {
	cfg    VisitorLoadConfig
	ledger *ledger.Ledger
	pad    string
	lag    lagMeter
}

// run sends visitor i's k-th message at start + i·Gap/N + k·Gap; the first
// opens the visitor's conversation. It returns when the last was written.
func (s *visitorSender) run(ctx context.Context, vs []*benchVisitor) (start, end time.Time) {
	start = time.Now().Add(50 * time.Millisecond)
	s.ledger.SetStart(start)
	var wg sync.WaitGroup
	for i, v := range vs {
		offset := s.cfg.Gap * time.Duration(i) / time.Duration(len(vs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range s.cfg.Messages {
				slot := start.Add(offset + time.Duration(k)*s.cfg.Gap)
				sleep(ctx, time.Until(slot))
				if ctx.Err() != nil {
					return
				}
				s.lag.record(time.Since(slot))
				id := fmt.Sprintf("m%d", k)
				v.say(id, fmt.Sprintf("message %s from a bench visitor%s", id, s.pad), k == 0, slot, s.ledger)
			}
		}()
	}
	wg.Wait()
	return start, time.Now()
}
