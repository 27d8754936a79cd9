// Package appload is `kefu bench -app-sockets`: app-channel users' sockets
// held on a running hub, their memory, and agent replies timed to them.
package appload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/bench"
)

// Config is a `kefu bench -app-sockets N` run: N app users identified
// and their sockets held open on an app channel, the hub's memory read,
// then probe users each write and get an agent's reply, timed from the
// agent's POST to the frame on the user's socket.
type Config struct {
	URL, Email, Password string
	Sockets              int
	Probes               int
	PID                  int
	Settle               time.Duration
	// Rate, when > 0, has the agents answer the probes round robin at Rate
	// replies a second for Duration, each timed to the app socket.
	Rate     float64
	Duration time.Duration
}

// Report is what an app-socket run measured.
type Report struct {
	Sockets      int     `json:"sockets"`
	Opened       int     `json:"opened"`
	OpenFailures int     `json:"open_failures"`
	OpenSeconds  float64 `json:"open_seconds"`
	HubPID       int     `json:"hub_pid"`
	RSSBeforeMB  float64 `json:"rss_before_mb"`
	RSSHeldMB    float64 `json:"rss_held_mb"`
	RSSPerConnKB float64 `json:"rss_per_connection_kb"`
	// AgentToApp is an agent's reply from its POST to the frame on the
	// user's socket.
	AgentToApp bench.Latency `json:"agent_to_app"`
	// AtRate is the same at Rate replies a second (RateAchieved delivered).
	Rate         float64       `json:"rate,omitempty"`
	AtRate       bench.Latency `json:"agent_to_app_at_rate"`
	RateAchieved float64       `json:"rate_achieved"`
	Missing      int           `json:"replies_missing"` // replies no socket showed within 10 s
	Dropped      int64         `json:"dropped_sockets"`
}

// Err is non-nil when a reply never reached its socket.
func (r *Report) Err() error {
	if r.Missing > 0 {
		return fmt.Errorf("bench: %d agent replies never reached the app socket", r.Missing)
	}
	return nil
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "app sockets held:       %d of %d (%d failed to open) in %.1f s\n", r.Opened, r.Sockets, r.OpenFailures, r.OpenSeconds)
	fmt.Fprintf(w, "hub RSS (pid %d):       %.1f MB before, %.1f MB held → %.1f KB per connection\n", r.HubPID, r.RSSBeforeMB, r.RSSHeldMB, r.RSSPerConnKB)
	fmt.Fprintf(w, "agent reply → app:      p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d; %d missing)\n", r.AgentToApp.P50, r.AgentToApp.P99, r.AgentToApp.Max, r.AgentToApp.Count, r.Missing)
	if r.Rate > 0 {
		fmt.Fprintf(w, "at %.0f replies/s:       %.0f/s delivered, p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)\n", r.Rate, r.RateAchieved, r.AtRate.P50, r.AtRate.P99, r.AtRate.Max, r.AtRate.Count)
	}
	fmt.Fprintf(w, "held sockets dropped:   %d\n", r.Dropped)
}

// appSock is one bench app user and its socket.
type appSock struct {
	user   *kefuapp.Session
	client *kefuapp.Client
	conn   *websocket.Conn
	closed atomic.Bool
	mu     sync.Mutex
	wait   map[string]chan time.Time // reply text → when its frame arrived
}

// RunApp holds cfg.Sockets app sockets and measures what they cost.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Report, error) {
	base, err := bench.CheckLoopback(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Sockets < 1 || cfg.Probes < 0 || cfg.Probes > cfg.Sockets {
		return nil, errors.New("bench: need app-sockets >= probes >= 0")
	}
	bench.RaiseFileLimit(cfg.Sockets + 1000)
	pid := cfg.PID
	if pid == 0 {
		if pid, err = bench.ListenerPID(base.Port()); err != nil {
			return nil, fmt.Errorf("bench: find the hub process (pass -pid): %w", err)
		}
	}
	fx, err := bench.SetUpTenant(ctx, cfg.Email, cfg.Password, base, max(cfg.Probes, 1), max(1, (cfg.Probes+99)/100), log)
	if err != nil {
		return nil, fmt.Errorf("bench setup: %w", err)
	}
	defer fx.TearDown(context.WithoutCancel(ctx))
	var ch struct {
		Setup struct {
			AppKey string `json:"app_key"`
			Secret string `json:"identity_secret"`
		} `json:"setup"`
	}
	if err := fx.Admin.Do(ctx, http.MethodPost, "/api/v1/channels", http.StatusCreated, map[string]any{"type": "app",
		"name": "bench app " + fx.RunID}, &ch); err != nil {
		return nil, fmt.Errorf("app channel: %w", err)
	}
	r := &Report{Sockets: cfg.Sockets, HubPID: pid}
	runtime.GC()
	time.Sleep(2 * time.Second)
	before, err := bench.RSSKB(pid)
	if err != nil {
		return nil, err
	}
	log.Info("opening app sockets", "sockets", cfg.Sockets)
	t0 := time.Now()
	socks, failed := openApps(ctx, "http://"+base.Host, ch.Setup.AppKey, ch.Setup.Secret, fx.RunID, cfg.Sockets, log)
	r.Opened, r.OpenFailures, r.OpenSeconds = len(socks), failed, time.Since(t0).Seconds()
	log.Info("app sockets open; settling", "open", len(socks), "failed", failed, "took", time.Since(t0))
	bench.Sleep(ctx, cfg.Settle)
	held, err := bench.RSSKB(pid)
	if err != nil {
		return nil, err
	}
	r.RSSBeforeMB, r.RSSHeldMB = float64(before)/1024, float64(held)/1024
	if len(socks) > 0 {
		r.RSSPerConnKB = float64(held-before) / float64(len(socks))
	}
	probes := openProbes(ctx, fx, socks, cfg.Probes, log)
	r.AgentToApp, r.Missing = probeReplies(ctx, probes, cfg.Probes)
	if cfg.Rate > 0 {
		log.Info("agent replies at a rate", "rate", cfg.Rate, "for", cfg.Duration)
		var missing int
		r.AtRate, missing, r.RateAchieved = rateReplies(ctx, probes, cfg.Rate, cfg.Duration)
		r.Missing += missing
		r.Rate = cfg.Rate
	}
	for _, s := range socks {
		if s.closed.Load() {
			r.Dropped++
		}
		s.conn.Close()
	}
	return r, nil
}

// appSource is the loopback source address of user i (127.0.0.1 …
// 127.0.3.254: ~1,000 addresses, within the hub's per-address limits).
func appSource(i int) net.IP { return net.IPv4(127, 0, byte(i/254%4), byte(1+i%254)) }

func openApps(ctx context.Context, base, key, secret, run string, n int, log *slog.Logger) ([]*appSock, int) {
	var mu sync.Mutex
	var out []*appSock
	var failed atomic.Int64
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := openApp(ctx, base, key, secret, fmt.Sprintf("bench-%s-%d", run, i), appSource(i))
			if err != nil {
				if failed.Add(1) <= 5 {
					log.Warn("app socket", "err", err)
				}
				return
			}
			mu.Lock()
			out = append(out, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, int(failed.Load())
}

func openApp(ctx context.Context, base, key, secret, userID string, src net.IP) (*appSock, error) {
	dial := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}).DialContext
	c := kefuapp.New(base, key)
	c.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	u, err := c.Identify(ctx, kefuapp.Identity{UserID: userID, UserHash: kefuapp.UserHash(secret, userID),
		Device: &kefuapp.Device{Platform: "android", AppVersion: "bench"}})
	if err != nil {
		return nil, fmt.Errorf("identify: %w", err)
	}
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024, NetDialContext: dial}
	conn, _, err := d.DialContext(ctx, "ws"+base[len("http"):]+"/app/v1/"+key+"/ws", nil)
	if err != nil {
		return nil, fmt.Errorf("dial app socket: %w", err)
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(map[string]any{"type": "hello", "token": u.Token}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("send hello: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w struct {
		Type string `json:"type"`
	}
	if err := conn.ReadJSON(&w); err != nil || w.Type != "welcome" {
		conn.Close()
		return nil, fmt.Errorf("read welcome: %q %w", w.Type, err)
	}
	conn.SetReadDeadline(time.Time{})
	s := &appSock{user: u, client: c, conn: conn, wait: map[string]chan time.Time{}}
	go s.read()
	return s, nil
}

// read answers pings (gorilla does) and notes when awaited replies arrive.
func (s *appSock) read() {
	defer s.closed.Store(true)
	for {
		_, b, err := s.conn.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		var f struct {
			Type    string `json:"type"`
			Message struct {
				Direction string `json:"direction"`
				Text      string `json:"text"`
			} `json:"message"`
		}
		if json.Unmarshal(b, &f) != nil || f.Type != "message" || f.Message.Direction != "out" {
			continue
		}
		s.mu.Lock()
		if ch := s.wait[f.Message.Text]; ch != nil {
			ch <- now
			delete(s.wait, f.Message.Text)
		}
		s.mu.Unlock()
	}
}

// probe is a user whose conversation an agent answers.
type probe struct {
	s     *appSock
	conv  string
	agent bench.Caller
}

// openProbes has n users write and finds the agent each conversation went to.
func openProbes(ctx context.Context, fx *bench.Tenant, socks []*appSock, n int, log *slog.Logger) []probe {
	var out []probe
	for i := 0; i < n && i < len(socks) && ctx.Err() == nil; i++ {
		s := socks[i*len(socks)/n]
		sent, err := s.user.Send(ctx, fmt.Sprintf("probe-%d", i), "bench probe")
		if err != nil || sent.ConversationID == "" {
			log.Warn("probe message", "err", err)
			continue
		}
		if agent := assignee(ctx, fx, sent.ConversationID); agent != nil {
			out = append(out, probe{s: s, conv: sent.ConversationID, agent: agent})
		}
	}
	return out
}

// reply times one agent reply from its POST to the frame on the socket.
func (p probe) reply(ctx context.Context, text string) (time.Duration, bool) {
	arrived := make(chan time.Time, 1)
	p.s.mu.Lock()
	p.s.wait[text] = arrived
	p.s.mu.Unlock()
	t0 := time.Now()
	if err := p.agent.Do(ctx, http.MethodPost, "/api/v1/conversations/"+p.conv+"/messages", http.StatusCreated,
		map[string]any{"content": text}, nil); err != nil {
		return 0, false
	}
	select {
	case at := <-arrived:
		return at.Sub(t0), true
	case <-time.After(10 * time.Second):
		return 0, false
	}
}

// probeReplies answers each probe once, one at a time.
func probeReplies(ctx context.Context, probes []probe, want int) (bench.Latency, int) {
	var took []time.Duration
	missing := want - len(probes)
	for i, p := range probes {
		if d, ok := p.reply(ctx, fmt.Sprintf("bench reply %d", i)); ok {
			took = append(took, d)
		} else {
			missing++
		}
	}
	slices.Sort(took)
	return bench.LatencyOf(took), missing
}

// rateReplies has the agents answer the probes round robin at rate
// replies a second for d (at most 256 in flight), and times each.
func rateReplies(ctx context.Context, probes []probe, rate float64, d time.Duration) (bench.Latency, int, float64) {
	if len(probes) == 0 || rate <= 0 {
		return bench.Latency{}, 0, 0
	}
	var mu sync.Mutex
	var took []time.Duration
	missing := 0
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	t0 := time.Now()
	n := int(rate * d.Seconds())
	for k := 0; k < n && ctx.Err() == nil; k++ {
		bench.Sleep(ctx, time.Until(t0.Add(time.Duration(float64(k)/rate*float64(time.Second)))))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dur, ok := probes[k%len(probes)].reply(ctx, fmt.Sprintf("bench rate %d", k))
			mu.Lock()
			if ok {
				took = append(took, dur)
			} else {
				missing++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(took)
	return bench.LatencyOf(took), missing, float64(len(took)) / time.Since(t0).Seconds()
}

// assignee is the agent a conversation went to (waiting for routing).
func assignee(ctx context.Context, fx *bench.Tenant, convID string) bench.Caller {
	for try := 0; try < 50 && ctx.Err() == nil; try++ {
		var c struct {
			AssigneeID *string `json:"assignee_id"`
		}
		if fx.Admin.Do(ctx, http.MethodGet, "/api/v1/conversations/"+convID, http.StatusOK, nil, &c) == nil &&
			c.AssigneeID != nil && fx.Agents[*c.AssigneeID] != nil {
			return fx.Agents[*c.AssigneeID]
		}
		bench.Sleep(ctx, 100*time.Millisecond)
	}
	return nil
}
