package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/kefu-hub/kefu/configs"
	loadbench "github.com/kefu-hub/kefu/e2e/bench"
	"github.com/kefu-hub/kefu/e2e/bench/appload"
)

// bench parses `kefu bench` flags and runs a load test against a hub on
// loopback; the report goes to stdout (text, or JSON with -json).
// The admin login defaults to the hub's own KEFU_ADMIN_* settings.
func bench(ctx context.Context, getenv func(string) string, args []string) error {
	cfg := loadbench.Defaults()
	if c, err := configs.Load(getenv); err == nil {
		if c.AdminPassword != "" {
			cfg.Password = c.AdminPassword
		}
		if c.AdminEmail != "" {
			cfg.Email = c.AdminEmail
		}
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: kefu bench [flags]

Load-tests a running hub on loopback: creates a tenant and agents with websockets, then
  (default)                      posts signed customer messages to an API channel (-rate, -duration …);
  -visitors N -messages M        has N web-widget visitors send M messages each, -gap apart;
  -visitors N                    holds N idle visitor sockets and measures the hub's memory per socket;
  -app-sockets N                 holds N app-channel sockets (identified users), measures the hub's memory per
                                 socket, then times -probes agent replies to the app socket (and -rate R replies/s for -duration);
  -logins N                      sends N wrong sign-ins at once and reports the answers and the hub's peak memory.
Every accepted message is judged after -drain and -settle-late of store re-checks (another -settle-late
at a time, up to 10, while each found more of them stored: the hub is still working through its backlog):
on time, late (reached an agent or the store only later), lost or duplicated; the command
exits non-zero only when a message was lost or duplicated.

flags:`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", cfg.URL, "hub base URL (loopback only)")
	fs.StringVar(&cfg.Email, "email", cfg.Email, "platform admin email (default $KEFU_ADMIN_EMAIL or admin@kefu.local)")
	fs.StringVar(&cfg.Password, "password", cfg.Password, "platform admin password (default $KEFU_ADMIN_PASSWORD)")
	fs.IntVar(&cfg.Customers, "customers", cfg.Customers, "distinct customers posting")
	fs.IntVar(&cfg.Agents, "agents", cfg.Agents, "online agents, one websocket each (with -messages, 10 unless set)")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "open-loop target messages/s; 0 = as fast as possible")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "max posts in flight")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "how long to wait for stragglers after sending; a message seen after it is late")
	fs.DurationVar(&cfg.SettleLate, "settle-late", cfg.SettleLate, "after the drain, re-check the hub's store this long (again, up to 10 times, while each found more stored) for accepted messages no agent saw: found = late, never found = lost")
	fs.IntVar(&cfg.Size, "size", cfg.Size, "approximate message text size in bytes")
	fs.BoolVar(&cfg.Callback, "callback", cfg.Callback, "deliver channel events to a local callback sink (hub needs KEFU_ALLOW_PRIVATE_CALLBACKS=true)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout")
	fs.BoolVar(&cfg.Await, "await", cfg.Await, "with -rate 0: each of the -concurrency loops waits until its message reached an agent (false: only for the 2xx)")
	fs.BoolVar(&cfg.WarmUp, "warmup", cfg.WarmUp, "open every customer's conversation before the timed run (its latency is reported apart)")
	visitors := fs.Int("visitors", 0, "web-widget visitors instead of the API-channel run: with -messages, the visitor workload; without, idle sockets held to measure the hub's memory per socket")
	messages := fs.Int("messages", 0, "with -visitors: messages each visitor sends (the first opens its conversation); 0 = hold idle sockets instead")
	gap := fs.Duration("gap", 100*time.Millisecond, "with -messages: time between one visitor's messages (visitors are staggered within it)")
	ramp := fs.Float64("ramp", 200, "with -messages: visitor sockets opened per second before sending starts; 0 = as fast as possible")
	probes := fs.Int("probes", 200, "with -visitors and no -messages: visitors that send a first message and a follow-up during the hold")
	probeRate := fs.Float64("probe-rate", 20, "with -visitors and no -messages: probe messages per second")
	appSockets := fs.Int("app-sockets", 0, "instead of the API-channel run: N app users' sockets held on an app channel (memory per socket, then -probes agent replies timed to the socket)")
	logins := fs.Int("logins", 0, "instead of the API-channel run: N wrong sign-ins at once (unknown emails), with the hub's peak memory")
	pid := fs.Int("pid", 0, "the hub's process id, for its memory (default: the process listening on -url's port)")
	settle := fs.Duration("settle", 10*time.Second, "with -visitors and no -messages: idle time before the hub's memory is read")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "log warnings only")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	lvl := slog.LevelInfo
	if *quiet {
		lvl = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	cfg.PID = *pid
	switch {
	case *logins > 0:
		r, err := loadbench.RunLogins(ctx, loadbench.LoginsConfig{URL: cfg.URL, Logins: *logins, PID: *pid}, log)
		if r == nil {
			return err
		}
		return errors.Join(err, report(r, *asJSON), r.Err())
	case *appSockets > 0:
		if !flagSet(fs, "rate") {
			cfg.Rate = 0 // the timed replies only when asked for
		}
		r, err := appload.Run(ctx, appload.Config{URL: cfg.URL, Email: cfg.Email, Password: cfg.Password,
			Sockets: *appSockets, Probes: min(*probes, *appSockets), PID: *pid, Settle: *settle, Rate: cfg.Rate,
			Duration: cfg.Duration}, log)
		if r == nil {
			return err
		}
		return errors.Join(err, report(r, *asJSON), r.Err())
	case *visitors > 0 && *messages > 0:
		agents := cfg.Agents
		if !flagSet(fs, "agents") {
			agents = 10
		}
		r, err := loadbench.RunVisitorLoad(ctx, loadbench.VisitorLoadConfig{URL: cfg.URL, Email: cfg.Email,
			Password: cfg.Password, Visitors: *visitors, Messages: *messages, Gap: *gap, Agents: agents, Ramp: *ramp,
			Drain: cfg.Drain, SettleLate: cfg.SettleLate, Size: cfg.Size, PID: *pid}, log)
		if r == nil {
			return err
		}
		return errors.Join(err, report(r, *asJSON), r.Err())
	case *visitors > 0:
		r, err := loadbench.RunVisitors(ctx, loadbench.VisitorsConfig{URL: cfg.URL, Email: cfg.Email, Password: cfg.Password,
			Visitors: *visitors, Probes: *probes, ProbeRate: *probeRate, PID: *pid, Settle: *settle,
			SettleLate: cfg.SettleLate}, log)
		if r == nil {
			return err
		}
		return errors.Join(err, report(r, *asJSON), r.Err())
	}
	r, err := loadbench.Run(ctx, cfg, log)
	if r == nil {
		return err
	}
	return errors.Join(err, report(r, *asJSON), r.Err())
}

// report prints a bench report to stdout: as JSON, or as text.
func report(r interface{ WriteText(io.Writer) }, asJSON bool) error {
	if !asJSON {
		r.WriteText(os.Stdout)
		return nil
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// flagSet reports whether the command line set the named flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
