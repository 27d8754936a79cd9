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
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kefu-hub/kefu/configs"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/connectors/app"
	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/email"
	"github.com/kefu-hub/kefu/connectors/qq"
	"github.com/kefu-hub/kefu/connectors/web"
	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/connectors/weibo"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/audit"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/avatars"
	"github.com/kefu-hub/kefu/hub/bus"
	"github.com/kefu-hub/kefu/hub/canned"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/geoip"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/inbox"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/kb/zh"
	"github.com/kefu-hub/kefu/hub/metrics"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/pipeline"
	"github.com/kefu-hub/kefu/hub/procmem"
	"github.com/kefu-hub/kefu/hub/qa"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/reports/schedules"
	"github.com/kefu-hub/kefu/hub/richanswers"
	"github.com/kefu-hub/kefu/hub/robot"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/stream"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/workbench"
)

// kinds are the channel types the hub serves. Adding a channel is one line
// here: its connector package provides everything else.
func kinds(cfg configs.Config) connectors.Kinds {
	return connectors.Kinds{api.Kind, wechat.Kind(cfg.WechatAPIBase), weibo.Kind(cfg.WeiboAPIBase),
		qq.Kind(cfg.QQAPIBase, cfg.QQReplyWindow.Duration, cfg.QQGroupReplyWindow.Duration), wecom.Kind(cfg.WecomAPIBase), web.Kind,
		app.Kind(push.Options{FCMBase: cfg.FCMAPIBase, APNsBase: cfg.APNsAPIBase, OAuthBase: cfg.FCMOAuthBase}), email.Kind}
}

func logger(cfg configs.Config) *slog.Logger {
	lvl, _ := configs.ParseLevel(cfg.LogLevel)
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}

func migrate(ctx context.Context, getenv func(string) string) error {
	cfg, err := configs.Load(getenv)
	if err != nil {
		return err
	}
	k, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{})
	if err != nil {
		return err
	}
	defer k.Close()
	return k.Migrate(ctx)
}

// serve builds the hub in dependency order — bus, store kernel, the noun
// stores, connectors, pipeline, HTTP — and runs it until ctx ends.
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
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("metrics listen: %w", err)
		}
		defer mln.Close()
	}
	geo, err := geoip.Open(cfg.IPDBPath)
	if err != nil {
		return err
	}
	b, err := bus.Open(ctx, bus.Options{URL: cfg.NATSURL, DataDir: cfg.DataDir, Prefix: cfg.BusPrefix,
		Partitions: cfg.InboxPartitions, Workers: cfg.InboxWorkers, Replicas: cfg.NATSReplicas,
		MaxLag: uint64(cfg.InboxMaxLag), Log: log})
	if err != nil {
		return err
	}
	defer b.Close()
	keys, err := keyring(cfg, log)
	if err != nil {
		return err
	}
	hook := outbound.NewHook()
	k, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{Publisher: b,
		EventHooks: []store.EventHook{hook.Deliveries, email.Notify}, TxHooks: []store.TxHook{audit.Hook}, Log: log, Keys: keys,
		MaxConns: cfg.DatabaseMaxConns})
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.Migrate(ctx); err != nil {
		return err
	}
	if err := reseal(ctx, k, keys, log); err != nil {
		return err
	}
	ks := kinds(cfg)
	id := identity.New(k, log, identity.Options{SessionIdle: cfg.SessionIdle.Duration})
	chans := channels.New(k)
	cts := contacts.New(k)
	autos := automations.New(k, log)
	// quality inspection watches every agent message for sensitive words
	inspect := qa.New(k, conversations.NewSampler(k))
	rates := ratings.New(k, ratings.Options{PublicURL: cfg.PublicURL})
	convs := conversations.New(k, chans, cts, autos, conversations.Options{Windows: ks.Windows(), Pushes: ks.Pushing(), Log: log,
		Watch: inspect.Watch, Ratings: rates})
	asg := assign.New(k, assign.Deps{Conversations: convs, Identity: id, Channels: chans, Contacts: cts, Automations: autos,
		Region: geo.Lookup, Log: log})
	out := outbound.New(k, hook, chans.Get, convs.MessageResult)
	knowledge := kb.New(k, &zh.Segmenter{})
	go warmKnowledge(ctx, knowledge, log)
	rich := richanswers.New(k, knowledge, files.New(k))
	bot := robot.New(k, robot.Deps{Convs: convs, Channel: chans.Get, Brain: robot.KB{Store: knowledge},
		Available: asg.Handoffs.Customers().Available, Groups: id.Groups, Rich: rich, Misses: knowledge, Webhook: botWebhook(cfg), Log: log})
	in := inbox.New(k, chans, cts, convs, autos, asg.Router, ks.Windows(), bot, rates)
	timers := automations.NewTimers(k, merge(convs.TimerHandlers(), asg.Router.TimerHandlers()), log)
	if err := bootstrap(ctx, id.Tenants, cfg, log); err != nil {
		return err
	}
	registry := ks.Build(connectors.Deps{Channel: chans.Get,
		Publish: func(_ context.Context, in hub.Inbound) error { return b.PublishInbound(in) },
		HTTP:    connectors.NewHTTPClient(cfg.AllowPrivateCallbacks), MaxBody: cfg.MaxBodyBytes,
		Tolerance: cfg.SignatureTolerance.Duration, AllowPrivate: cfg.AllowPrivateCallbacks, Log: log, Now: time.Now,
		Files: files.New(k), Tokens: chans, PublicURL: cfg.PublicURL, Store: k, Customers: asg.Handoffs.Customers(), Robot: bot,
		Help: knowledge, Ratings: rates, Avatars: avatars.New(k, files.New(k)),
		Region: geo.Lookup, Sockets: connectors.SocketLimits{PerAddr: cfg.VisitorSocketsPerAddr,
			PerChannel: cfg.VisitorSocketsPerChannel, Max: cfg.VisitorSocketsMax}})
	m := metrics.New(func() float64 { return float64(b.Lag()) })
	m.WatchBus(func() metrics.BusHealth {
		h := b.Health()
		return metrics.BusHealth{Consuming: h.Consuming, Backpressure: h.Backpressure, MissingStreams: h.MissingStreams,
			MissingConsumers: h.MissingConsumers, RecreatedStreams: h.RecreatedStreams, RecreatedConsumers: h.RecreatedConsumers}
	})
	rep := reports.New(k, reports.Options{Log: log})
	st := stream.New(k, log, func(delta int) { m.WebSockets.Add(float64(delta)) })
	sinks := []func([]hub.Event){st.Publish}
	for _, s := range registry.Sinks() {
		sinks = append(sinks, s.Events)
	}
	p := pipeline.New(pipeline.Deps{Store: k, Inbox: in, Router: asg.Router, Timers: timers, Outbound: out,
		Failed: pipeline.NewFailed(k), Robot: bot, Bus: b, Sender: registry, Channel: chans.Get, Sinks: sinks, Metrics: m, Log: log})
	auditLog := audit.New(k)
	tix := tickets.New(k, convs, id.Agents, fields.Rules{Entity: fields.Ticket})
	handler := newHandler(cfg, workbench.Deps{Kernel: k, Audit: auditLog, Identity: id, Channels: chans, Files: files.New(k), Outbound: out,
		Conversations: convs, Cards: conversations.NewCards(k, cts), Categories: conversations.NewCategories(k), Assign: asg, Contacts: cts, Automations: autos, Canned: canned.New(k),
		KB: knowledge, Robot: bot, QA: inspect, Ratings: rates,
		Tickets: tix, Failed: p.Failed, Stream: st, Pipeline: p, Connectors: registry,
		Metrics: m, Log: log, Region: geo.Lookup,
		Ready: func(ctx context.Context) error { return ready(ctx, k, b, p.Ready()) }})
	loops := []func(context.Context) error{p.Run, handler.Run, func(ctx context.Context) error { st.Run(ctx); return nil },
		rep.Run, func(ctx context.Context) error { auditLog.Keep(ctx, cfg.AuditRetention.Duration, log); return nil },
		func(ctx context.Context) error { cts.RemindEvery(ctx, followUpSweep, log); return nil },
		func(ctx context.Context) error { tix.RunSweeper(ctx, 30*time.Second, log); return nil }}
	for _, r := range registry.Runners() {
		loops = append(loops, r.Run)
	}
	loops = append(loops, dailyDigest(k, rep, id, log).Run)
	if cfg.PprofAddr != "" {
		loops = append(loops, profiler(cfg.PprofAddr, log))
	}
	if mln != nil {
		loops = append(loops, metricsServer(mln, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}), log))
	}
	go func() { // once ready (not delaying it): the first customers find warm connections
		select {
		case <-p.Ready():
		case <-ctx.Done():
			return
		}
		if err := k.Warm(ctx); err != nil && ctx.Err() == nil {
			log.Warn("database connections not warmed ahead; each warms when it is opened", "err", err)
		}
	}()
	return listen(ctx, ln, cfg, handler, p.Ready(), loops, log, started)
}

// dailyDigest mails each tenant's yesterday figures (客服日报) through the
// e-mail channel, when and to whom the tenant's report schedule says.
func dailyDigest(k *store.Store, rep *reports.Store, id *identity.Identity, log *slog.Logger) *email.Digest {
	plans := schedules.New(k)
	return &email.Digest{K: k, Mailer: email.Staff{}, Log: log,
		Zone: func(ctx context.Context, tenantID string) *time.Location {
			loc, err := time.LoadLocation(id.Tenants.Timezone(ctx, tenantID))
			if err != nil {
				return time.UTC
			}
			return loc
		},
		Figures: func(ctx context.Context, tenantID string, from, to time.Time) (email.Figures, error) {
			c, err := rep.Totals(ctx, tenantID, reports.Filter{From: from, To: to})
			f := email.Figures{Conversations: c.Conversations, Taken: c.Taken, Answered: c.Answered, Resolved: c.Resolved,
				Abandoned: c.Abandoned, Tickets: c.Tickets, Rated: c.Rated, Satisfied: c.Satisfied}
			if c.Answered > 0 {
				f.FirstResponse = time.Duration(c.FirstResponseSeconds/c.Answered) * time.Second
			}
			return f, err
		},
		Plan: func(ctx context.Context, tenantID string) (email.Plan, error) {
			sc, err := plans.Get(ctx, tenantID)
			return email.Plan{Off: !sc.Enabled, Minute: sc.Minute(), To: sc.Recipients}, err
		},
		Planned: plans.Enabled}
}

// followUpSweep is how often due follow-ups are looked for (a reminder
// comes at most this late).
const followUpSweep = 20 * time.Second

// ready says what keeps the hub from serving, one workbench.Down per
// dependency: not until the bus handlers run, nor while the database does
// not answer, nor while the hub does not consume (NATS down, a stream or
// consumer missing and not recreated yet) or pushes back. A load balancer
// should not count a hub that consumes nothing.
func ready(ctx context.Context, k *store.Store, b *bus.Bus, started <-chan struct{}) error {
	var down []error
	select {
	case <-started:
	default:
		down = append(down, &workbench.Down{Dependency: "pipeline", Reason: "starting"})
	}
	if err := k.Ping(ctx); err != nil {
		down = append(down, &workbench.Down{Dependency: "database", Reason: "unreachable", Err: err})
	}
	if err := b.Ready(); err != nil {
		var bp *bus.BackpressureError
		switch {
		case errors.As(err, &bp):
			down = append(down, &workbench.Down{Dependency: "inbox", Reason: "backpressure (too many inbound messages waiting)", Err: err})
		case b.Stopping():
			down = append(down, &workbench.Down{Dependency: "bus", Reason: "stopping", Err: err})
		default:
			down = append(down, &workbench.Down{Dependency: "bus", Reason: "not consuming (NATS unreachable, or a stream or consumer being recreated)", Err: err})
		}
	}
	return errors.Join(down...)
}

// metricsServer serves /metrics alone on its own listener
// (KEFU_METRICS_ADDR), for a scraper on a network users do not reach.
func metricsServer(ln net.Listener, h http.Handler, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		log.Info("metrics listening", "addr", "http://"+ln.Addr().String()+"/metrics")
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("metrics: %w", err)
		}
		return nil
	}
}

// newHandler is the hub's HTTP handler: the workbench over the given parts,
// with the settings from cfg. serve and `kefu routes` both build it here.
func newHandler(cfg configs.Config, d workbench.Deps) *workbench.Server {
	d.PublicURL, d.SessionTTL, d.SessionRecheck = cfg.PublicURL, cfg.SessionTTL.Duration, cfg.SessionRecheck.Duration
	d.TrustedProxies, d.AllowPrivateCallbacks = cfg.TrustedProxies, cfg.AllowPrivateCallbacks
	d.MetricsToken = cfg.MetricsToken
	return workbench.New(d)
}

// routes prints every route the hub serves, "METHOD PATH" a line, from the
// handler serve builds with the connectors kinds(cfg) registers, without
// opening or starting anything (the end-to-end tenant-isolation matrix must
// cover exactly these).
func routes(getenv func(string) string) error {
	cfg, err := configs.Load(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	h := newHandler(cfg, workbench.Deps{Connectors: kinds(cfg).Build(connectors.Deps{}),
		Metrics: metrics.New(func() float64 { return 0 })})
	for _, r := range h.Routes() {
		fmt.Println(r.Method, r.Path)
	}
	return nil
}

// listen serves HTTP and runs the background loops until ctx ends or one of
// them fails; then it stops taking requests and waits (bounded) for every
// loop to finish, so the caller can close the bus and the database.
func listen(ctx context.Context, ln net.Listener, cfg configs.Config, h http.Handler, ready <-chan struct{},
	loops []func(context.Context) error, log *slog.Logger, started time.Time) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := make(chan error, len(loops)+1)
	var wg sync.WaitGroup
	for _, loop := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loop(ctx); err != nil {
				failed <- err
			}
		}()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			failed <- err
		}
	}()
	var err error
	select {
	case <-ready:
		log.Info("kefu is ready", "listen", "http://"+ln.Addr().String(), "mode", cfg.Mode(), "startup", time.Since(started).Round(time.Millisecond))
		fmt.Fprintf(os.Stderr, "\n  Kefu is listening on http://%s  (%s)\n\n", ln.Addr(), cfg.Mode())
		// What starting left behind (migration parsing keeps ~16 MB of
		// pooled buffers, the bus and schema set-up their garbage) would
		// otherwise stay resident until the heap next doubles. Pooled
		// buffers survive one collection (sync.Pool's victim cache): two.
		runtime.GC()
		debug.FreeOSMemory()
		// And the pages of the binary that only start-up read.
		if _, err := procmem.Release(); err != nil {
			log.Warn("give back start-up pages", "err", err)
		}
		select {
		case <-ctx.Done():
		case err = <-failed:
		}
	case <-ctx.Done():
	case err = <-failed:
	}
	if err != nil {
		log.Error("stopping", "err", err)
	}
	// Stop taking requests, then let the loops finish what they hold.
	shut, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	srv.Shutdown(shut)
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-shut.Done():
		log.Warn("background loops did not stop in time")
	}
	return err
}

// profiler serves Go's profiler on its own loopback listener (configs
// rejects any other address) until ctx ends.
func profiler(addr string, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		log.Info("profiler listening", "addr", "http://"+addr+"/debug/pprof/")
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("profiler: %w", err)
		}
		return nil
	}
}

// bootstrap creates the first tenant and admin on an empty hub and prints
// the login once.
func bootstrap(ctx context.Context, t *identity.Tenants, cfg configs.Config, log *slog.Logger) error {
	email, pw, generated := cfg.AdminEmail, cfg.AdminPassword, false
	if email == "" {
		email = "admin@kefu.local"
	}
	if pw == "" {
		b := make([]byte, 12)
		rand.Read(b)
		pw, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	created, err := t.Bootstrap(ctx, email, pw)
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

// merge joins the timer handlers of the packages that arm timers.
func merge(hs ...map[automations.Kind]automations.Handler) map[automations.Kind]automations.Handler {
	out := map[automations.Kind]automations.Handler{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

// warmKnowledge loads the knowledge base's dictionary in the background
// when some tenant has articles (kb.Store.Warm).
func warmKnowledge(ctx context.Context, knowledge *kb.Store, log *slog.Logger) {
	loaded, took, err := knowledge.Warm(ctx)
	switch {
	case err != nil:
		log.Warn("kb dictionary not loaded ahead; the first search loads it", "err", err)
	case loaded:
		log.Info("kb dictionary loaded", "took", took.Round(time.Millisecond))
	}
}

// botWebhook is how channel robots call an external bot: through the
// hub's guarded client, signed like every webhook of the hub.
func botWebhook(cfg configs.Config) robot.WebhookDeps {
	return robot.WebhookDeps{HTTP: connectors.NewHTTPClient(cfg.AllowPrivateCallbacks),
		CheckURL: func(ctx context.Context, raw string) error {
			return connectors.CheckURL(ctx, raw, cfg.AllowPrivateCallbacks)
		},
		AllowHTTP: cfg.AllowPrivateCallbacks, Sign: api.SetHeaders, NewSecret: api.NewSecret}
}
