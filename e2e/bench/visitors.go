package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// VisitorsConfig is a `kefu bench -visitors N` run (with -messages 0, the
// default): N idle visitor sockets held on the web channel while probe
// visitors send messages to agents.
type VisitorsConfig struct {
	URL, Email, Password string
	// Visitors is how many visitor sockets are held open at once.
	Visitors int
	// Probes is how many of them send a message during the hold (each a
	// first message, then a follow-up), at ProbeRate messages/s.
	Probes    int
	ProbeRate float64
	// PID is the hub's process id for its memory; 0 finds the process
	// listening on the URL's port.
	PID int
	// Settle is how long the sockets sit idle before memory is read.
	Settle time.Duration
	// SettleLate bounds the store re-checks that tell late from lost.
	SettleLate time.Duration
}

// VisitorsReport is what a visitor run measured.
type VisitorsReport struct {
	Visitors     int     `json:"visitors"`
	Opened       int     `json:"opened"`
	OpenFailures int     `json:"open_failures"`
	OpenSeconds  float64 `json:"open_seconds"`
	HubPID       int     `json:"hub_pid"`
	RSSBeforeMB  float64 `json:"rss_before_mb"`
	RSSHeldMB    float64 `json:"rss_held_mb"`
	RSSPerConnKB float64 `json:"rss_per_connection_kb"`
	FirstMessage Latency `json:"first_message"` // opens a conversation: stored, routed, assigned
	FollowUp     Latency `json:"follow_up"`     // a message on an assigned conversation
	ledger.Verdict
	DroppedSockets  int64   `json:"dropped_sockets"` // held sockets the hub closed during the run
	BenchCPUSeconds float64 `json:"bench_cpu_seconds"`
}

// RunVisitors holds cfg.Visitors sockets and measures what they cost.
func RunVisitors(ctx context.Context, cfg VisitorsConfig, log *slog.Logger) (*VisitorsReport, error) {
	base, err := CheckLoopback(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Visitors < 1 || cfg.Probes < 1 || cfg.Probes > cfg.Visitors || cfg.ProbeRate <= 0 {
		return nil, errors.New("bench: need visitors >= probes >= 1 and a positive probe rate")
	}
	raiseFileLimit(cfg.Visitors + 1000)
	pid := cfg.PID
	if pid == 0 {
		if pid, err = listenerPID(base.Port()); err != nil {
			return nil, fmt.Errorf("bench: find the hub process (pass -pid): %w", err)
		}
	}
	hc := newHTTPClient(16, 30*time.Second)
	agents := (cfg.Probes + 99) / 100
	fx, err := setUp(ctx, Config{Email: cfg.Email, Password: cfg.Password, Customers: cfg.Probes, Agents: agents},
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
	r := &VisitorsReport{Visitors: cfg.Visitors, HubPID: pid}
	runtime.GC()
	time.Sleep(2 * time.Second)
	before, err := rssKB(pid)
	if err != nil {
		return nil, err
	}
	cpu0 := cpuTime()
	u := "ws://" + base.Host + "/webhooks/web/" + chID + "/ws"
	log.Info("opening visitor sockets", "visitors", cfg.Visitors)
	t0 := time.Now()
	vs, failures := openVisitors(sockCtx, u, cfg.Visitors, 0, led, log)
	r.Opened, r.OpenFailures, r.OpenSeconds = len(vs), failures, time.Since(t0).Seconds()
	log.Info("visitor sockets open; settling", "open", len(vs), "failed", failures, "took", time.Since(t0))
	time.Sleep(cfg.Settle)
	held, err := rssKB(pid)
	if err != nil {
		return nil, err
	}
	r.RSSBeforeMB, r.RSSHeldMB = float64(before)/1024, float64(held)/1024
	if len(vs) > 0 {
		r.RSSPerConnKB = float64(held-before) / float64(len(vs))
	}
	// Probes: every Visitors/Probes-th visitor writes, first a message that
	// opens a conversation, then (after all firsts) a follow-up.
	step := max(1, len(vs)/cfg.Probes)
	var probes []*benchVisitor
	for i := 0; i < len(vs) && len(probes) < cfg.Probes; i += step {
		probes = append(probes, vs[i])
	}
	every := time.Duration(float64(time.Second) / cfg.ProbeRate)
	for round, first := range []bool{true, false} {
		for i, v := range probes {
			id := fmt.Sprintf("p%d-%d", round, i)
			v.say(id, "bench probe "+id, first, time.Now(), led)
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(every):
			}
		}
		drain(ctx, led, 30*time.Second)
	}
	r.Verdict = settle(ctx, led, newStoreAudit(fx.admin, chID, led), cfg.SettleLate, log)
	t := led.Tally()
	r.FirstMessage, r.FollowUp = latency(t.First.E2E), latency(t.Run.E2E)
	var dropped int64
	for _, v := range vs {
		if v.closed.Load() {
			dropped++
		}
	}
	r.DroppedSockets = dropped
	r.BenchCPUSeconds = (cpuTime() - cpu0).Seconds()
	stopSockets()
	for _, v := range vs {
		v.conn.Close()
	}
	agentSocks.wg.Wait()
	return r, nil
}

// WriteText prints the report for people.
func (r *VisitorsReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "visitor sockets held:   %d of %d (%d failed to open) in %.1f s\n", r.Opened, r.Visitors, r.OpenFailures, r.OpenSeconds)
	fmt.Fprintf(w, "hub RSS (pid %d):       %.1f MB before, %.1f MB held → %.1f KB per connection\n", r.HubPID, r.RSSBeforeMB, r.RSSHeldMB, r.RSSPerConnKB)
	fmt.Fprintf(w, "first message → agent:  p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)\n", r.FirstMessage.P50, r.FirstMessage.P99, r.FirstMessage.Max, r.FirstMessage.Count)
	fmt.Fprintf(w, "follow-up → agent:      p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)\n", r.FollowUp.P50, r.FollowUp.P99, r.FollowUp.Max, r.FollowUp.Count)
	fmt.Fprintf(w, "held sockets dropped %d, bench CPU %.1f s\n", r.DroppedSockets, r.BenchCPUSeconds)
	fmt.Fprintf(w, "probes:                 %s\n", r.Summary())
	fmt.Fprintf(w, "store audit:            %s\n", r.AuditLine())
	fmt.Fprintf(w, "verdict:                %s\n", r.Line())
}
