package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kefu-hub/kefu/configs"
	loadbench "github.com/kefu-hub/kefu/e2e/bench"
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
		fmt.Fprintln(fs.Output(), "usage: kefu bench [flags]\n\nLoad-tests a running hub on loopback: creates a tenant, agents with websockets and an API\nchannel, posts signed customer messages, and reports throughput, latency, lost and duplicated.\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", cfg.URL, "hub base URL (loopback only)")
	fs.StringVar(&cfg.Email, "email", cfg.Email, "platform admin email (default $KEFU_ADMIN_EMAIL or admin@kefu.local)")
	fs.StringVar(&cfg.Password, "password", cfg.Password, "platform admin password (default $KEFU_ADMIN_PASSWORD)")
	fs.IntVar(&cfg.Customers, "customers", cfg.Customers, "distinct customers posting")
	fs.IntVar(&cfg.Agents, "agents", cfg.Agents, "online agents, one websocket each")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "open-loop target messages/s; 0 = as fast as possible")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "max posts in flight")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "how long to wait for stragglers after sending")
	fs.IntVar(&cfg.Size, "size", cfg.Size, "approximate message text size in bytes")
	fs.BoolVar(&cfg.Callback, "callback", cfg.Callback, "deliver channel events to a local callback sink (hub needs KEFU_ALLOW_PRIVATE_CALLBACKS=true)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout")
	fs.BoolVar(&cfg.Await, "await", cfg.Await, "with -rate 0: each of the -concurrency loops waits until its message reached an agent (false: only for the 2xx)")
	fs.BoolVar(&cfg.WarmUp, "warmup", cfg.WarmUp, "open every customer's conversation before the timed run (its latency is reported apart)")
	visitors := fs.Int("visitors", 0, "hold this many idle web-visitor sockets and measure the hub's memory per socket and message latency meanwhile (instead of the API-channel run)")
	probes := fs.Int("probes", 200, "with -visitors: visitors that send a first message and a follow-up during the hold")
	probeRate := fs.Float64("probe-rate", 20, "with -visitors: probe messages per second")
	pid := fs.Int("pid", 0, "with -visitors: the hub's process id (default: the process listening on -url's port)")
	settle := fs.Duration("settle", 10*time.Second, "with -visitors: idle time before the hub's memory is read")
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
	if *visitors > 0 {
		vr, err := loadbench.RunVisitors(ctx, loadbench.VisitorsConfig{URL: cfg.URL, Email: cfg.Email, Password: cfg.Password,
			Visitors: *visitors, Probes: *probes, ProbeRate: *probeRate, PID: *pid, Settle: *settle}, log)
		if vr != nil {
			if *asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(vr)
			} else {
				vr.WriteText(os.Stdout)
			}
			if err == nil && (vr.Lost > 0 || vr.Duplicated > 0) {
				err = fmt.Errorf("bench: %d lost, %d duplicated", vr.Lost, vr.Duplicated)
			}
		}
		return err
	}
	r, err := loadbench.Run(ctx, cfg, log)
	if r != nil {
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		} else {
			r.WriteText(os.Stdout)
		}
	}
	if err != nil {
		return err
	}
	return r.Err()
}
