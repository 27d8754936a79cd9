package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/configs"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/connectors/web"
	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/bus"
	"github.com/kefu-hub/kefu/hub/db"
	"github.com/kefu-hub/kefu/hub/geoip"
	"github.com/kefu-hub/kefu/hub/metrics"
	"github.com/kefu-hub/kefu/hub/pipeline"
	"github.com/kefu-hub/kefu/hub/stream"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/workbench"
)

func logger(cfg configs.Config) *slog.Logger {
	lvl, _ := configs.ParseLevel(cfg.LogLevel)
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}

func migrate(ctx context.Context, getenv func(string) string) error {
	cfg, err := configs.Load(getenv)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Migrate(ctx)
}

// serve wires the hub explicitly: store, bus, pipeline, connectors, HTTP.
func serve(ctx context.Context, getenv func(string) string) error {
	started := time.Now()
	cfg, err := configs.Load(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := logger(cfg)
	log.Info("starting kefu", "version", version, "config", cfg)
	// Bind first: a taken port must fail before the first admin's generated
	// password is printed (and would otherwise be lost).
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	store := hub.NewStore(d, log)
	if cfg.IPDBPath != "" {
		geo, err := geoip.Open(cfg.IPDBPath)
		if err != nil {
			return err
		}
		store.SetGeoIP(geo)
	}
	if err := bootstrap(ctx, store, cfg, log); err != nil {
		return err
	}
	b, err := bus.Open(ctx, cfg.NATSURL, cfg.DataDir, cfg.BusPrefix, cfg.InboxPartitions, cfg.InboxWorkers, log)
	if err != nil {
		return err
	}
	defer b.Close()
	m := metrics.New(func() float64 { n, _ := b.Lag(); return float64(n) })
	st := stream.New(store, log, func(delta int) { m.WebSockets.Add(float64(delta)) })
	deps := connectors.Deps{Channel: store.Channel, HTTP: connectors.NewHTTPClient(cfg.AllowPrivateCallbacks),
		MaxBody: cfg.MaxBodyBytes, Tolerance: cfg.SignatureTolerance.Duration, AllowPrivate: cfg.AllowPrivateCallbacks,
		Log: log, Now: time.Now, PublicURL: cfg.PublicURL}
	var p *pipeline.Pipeline
	deps.Publish = func(ctx context.Context, in hub.Inbound) error { return p.Publish(ctx, in) }
	deps.Files, deps.Tokens = store, store // attachments and platform tokens live in the database
	registry := newRegistry(deps, cfg, store)
	store.SetReplyPolicies(registry.ReplyPolicies()) // WeChat's 48-hour window
	p = pipeline.New(store, b, st, registry, m, log)
	visitors := registry["web"].(*web.Connector).Dispatcher()
	p.AddSink(visitors.Publish) // visitor sockets follow their conversations
	go visitors.Run(ctx)
	store.SetNotifier(p)
	ts := &tickets.Store{DB: d.W, R: d.R, Now: func() time.Time { return time.Now().UTC() }}
	handler := newHandler(cfg, workbench.Deps{Store: store, Tickets: ts, Stream: st, Pipeline: p, Connectors: registry,
		Metrics: m, Log: log,
		Ready: func(ctx context.Context) error {
			// Not ready until the bus handlers run: a hub stopped while its
			// router is still subscribing hangs in the NATS subscriber's
			// close (a failed Subscribe leaks its wait group), and a load
			// balancer should not count a hub that consumes nothing yet.
			select {
			case <-p.Ready():
			default:
				return errors.New("the pipeline is starting")
			}
			return errors.Join(d.Ping(ctx), b.Ping())
		}})
	return listen(ctx, ln, cfg, handler, p, log, started)
}

// newHandler is the hub's HTTP handler: the workbench over the given parts,
// with the settings from cfg. serve and `kefu routes` both build it here.
func newHandler(cfg configs.Config, d workbench.Deps) *gin.Engine {
	d.PublicURL, d.SessionTTL, d.SessionRecheck = cfg.PublicURL, cfg.SessionTTL.Duration, cfg.SessionRecheck.Duration
	d.TrustedProxies, d.AllowPrivateCallbacks = cfg.TrustedProxies, cfg.AllowPrivateCallbacks
	return workbench.New(d)
}

// routes prints every route the hub serves, "METHOD PATH" a line, from the
// handler serve builds, without opening or starting anything (the
// end-to-end tenant-isolation matrix must cover exactly these).
func routes(getenv func(string) string) error {
	cfg, err := configs.Load(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	m := metrics.New(func() float64 { return 0 })
	h := newHandler(cfg, workbench.Deps{Connectors: newRegistry(connectors.Deps{}, cfg, nil), Metrics: m})
	for _, r := range h.Routes() {
		fmt.Println(r.Method, r.Path)
	}
	return nil
}

// newRegistry builds every connector the hub serves. The tenant-isolation
// matrix (e2e/isolation) lists the routes of exactly this registry, read
// with `kefu routes`, so a connector added here without an entry in that
// matrix fails the tests.
func newRegistry(deps connectors.Deps, cfg configs.Config, store web.Store) connectors.Registry {
	return connectors.NewRegistry(api.New(deps), wechat.New(deps, cfg.WechatAPIBase), web.New(deps, store))
}

func listen(ctx context.Context, ln net.Listener, cfg configs.Config, h http.Handler, p *pipeline.Pipeline, log *slog.Logger, started time.Time) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	piped, served := make(chan error, 1), make(chan error, 1)
	go func() { piped <- p.Run(ctx) }()
	go func() { served <- srv.Serve(ln) }()
	var err error
	pipeDone := false
	select {
	case <-p.Ready():
		log.Info("kefu is ready", "listen", "http://"+ln.Addr().String(), "mode", cfg.Mode(), "startup", time.Since(started).Round(time.Millisecond))
		fmt.Fprintf(os.Stderr, "\n  Kefu is listening on http://%s  (%s)\n\n", ln.Addr(), cfg.Mode())
		select {
		case <-ctx.Done():
		case err = <-piped:
			pipeDone = true
		case err = <-served:
		}
	case err = <-piped:
		pipeDone = true
	case err = <-served:
	}
	if err != nil {
		log.Error("stopping", "err", err)
	}
	// Stop taking requests, then let the pipeline finish what it holds
	// before the caller closes the bus and the database.
	shut, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	srv.Shutdown(shut)
	cancel()
	if !pipeDone {
		select {
		case <-piped:
		case <-shut.Done():
			log.Warn("pipeline did not stop in time")
		}
	}
	return err
}

// bootstrap creates the first tenant and admin on an empty hub and prints
// the login once.
func bootstrap(ctx context.Context, s *hub.Store, cfg configs.Config, log *slog.Logger) error {
	email, pw, generated := cfg.AdminEmail, cfg.AdminPassword, false
	if email == "" {
		email = "admin@kefu.local"
	}
	if pw == "" {
		b := make([]byte, 12)
		rand.Read(b)
		pw, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	created, err := s.Bootstrap(ctx, email, pw)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		shown := "(from KEFU_ADMIN_PASSWORD)"
		if generated {
			shown = pw + "   (generated; shown once — change it after logging in)"
		}
		fmt.Fprintf(os.Stderr, "\n  First start: admin login\n    email:    %s\n    password: %s\n\n", email, shown)
		log.Info("created first tenant and admin", "email", email)
	}
	return nil
}
