package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// VisitorsConfig is a `kefu bench -visitors N` run: N idle visitor sockets
// held on the web channel while probe visitors send messages to agents.
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
}

// VisitorsReport is what a visitor run measured.
type VisitorsReport struct {
	Visitors        int     `json:"visitors"`
	Opened          int     `json:"opened"`
	OpenFailures    int     `json:"open_failures"`
	OpenSeconds     float64 `json:"open_seconds"`
	HubPID          int     `json:"hub_pid"`
	RSSBeforeMB     float64 `json:"rss_before_mb"`
	RSSHeldMB       float64 `json:"rss_held_mb"`
	RSSPerConnKB    float64 `json:"rss_per_connection_kb"`
	FirstMessage    Latency `json:"first_message"` // opens a conversation: stored, routed, assigned
	FollowUp        Latency `json:"follow_up"`     // a message on an assigned conversation
	Lost            int     `json:"lost"`
	Duplicated      int     `json:"duplicated"`
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
	var ch struct {
		ID string `json:"id"`
	}
	if err := fx.admin.do(ctx, "POST", "/api/v1/channels", http.StatusCreated, map[string]any{"type": "web",
		"name": "bench " + fx.runID, "config": map[string]any{"allowed_domains": []string{benchOrigin}}}, &ch); err != nil {
		return nil, fmt.Errorf("bench setup: web channel: %w", err)
	}
	sockCtx, stopSockets := context.WithCancel(ctx)
	defer stopSockets()
	ledger := NewLedger(time.Now())
	agentSocks, err := openSockets(sockCtx, base, fx, ledger, log)
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
	u := "ws://" + base.Host + "/webhooks/web/" + ch.ID + "/ws"
	log.Info("opening visitor sockets", "visitors", cfg.Visitors)
	t0 := time.Now()
	vs, failures := openVisitors(sockCtx, u, cfg.Visitors, ledger, log)
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
	for round, phase := range []bool{true, false} {
		ledger.SetWarmUp(phase)
		for i, v := range probes {
			v.say(fmt.Sprintf("p%d-%d", round, i), ledger)
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(every):
			}
		}
		drain(ctx, ledger, 30*time.Second)
	}
	t := ledger.Tally()
	r.FirstMessage, r.FollowUp = latency(t.WarmUp.E2E), latency(t.Run.E2E)
	r.Lost, r.Duplicated = t.Lost, t.Duplicated
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

// benchOrigin is the page origin the bench's visitors claim (allowed on
// the bench channel only).
const benchOrigin = "bench.kefu.local"

type benchVisitor struct {
	id     string
	conn   *websocket.Conn
	wmu    sync.Mutex
	closed atomic.Bool
}

func (v *benchVisitor) say(clientID string, l *Ledger) {
	now := time.Now()
	l.Sent("w:"+v.id+":"+clientID, now, now, false)
	v.wmu.Lock()
	defer v.wmu.Unlock()
	v.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_ = v.conn.WriteJSON(map[string]any{"type": "message", "client_id": clientID, "text": "bench probe " + clientID})
}

// openVisitors dials n visitor sockets, 64 at a time, from many loopback
// source addresses (the hub limits connections per address).
func openVisitors(ctx context.Context, u string, n int, l *Ledger, log *slog.Logger) ([]*benchVisitor, int) {
	var mu sync.Mutex
	var out []*benchVisitor
	var failed atomic.Int64
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := dialVisitor(ctx, u, i, l)
			if err != nil {
				if failed.Add(1) <= 5 {
					log.Warn("visitor socket", "err", err)
				}
				return
			}
			mu.Lock()
			out = append(out, v)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, int(failed.Load())
}

func dialVisitor(ctx context.Context, u string, i int, l *Ledger) (*benchVisitor, error) {
	// 127.0.0.1 … 127.0.3.254: up to ~1,000 source addresses.
	src := net.IPv4(127, 0, byte(i/254%4), byte(1+i%254))
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024,
		NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}).DialContext}
	h := http.Header{"Origin": {"https://" + benchOrigin}, "User-Agent": {"kefu-bench"}}
	conn, _, err := d.DialContext(ctx, u, h)
	if err != nil {
		return nil, err
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(map[string]any{"type": "hello", "page": map[string]string{
		"url": "https://" + benchOrigin + "/p/" + strconv.Itoa(i), "title": "bench"}}); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w struct {
		Type    string `json:"type"`
		Visitor struct {
			ID string `json:"id"`
		} `json:"visitor"`
	}
	if err := conn.ReadJSON(&w); err != nil || w.Type != "welcome" {
		conn.Close()
		return nil, fmt.Errorf("welcome: %v (%s)", err, w.Type)
	}
	conn.SetReadDeadline(time.Time{})
	v := &benchVisitor{id: w.Visitor.ID, conn: conn}
	go v.read(l)
	return v, nil
}

// read answers pings (gorilla does) and records acks until the socket ends.
func (v *benchVisitor) read(l *Ledger) {
	defer v.closed.Store(true)
	for {
		_, b, err := v.conn.ReadMessage()
		if err != nil {
			return
		}
		var f struct {
			Type     string `json:"type"`
			ClientID string `json:"client_id"`
		}
		if json.Unmarshal(b, &f) == nil && f.Type == "ack" {
			l.Answered("w:"+v.id+":"+f.ClientID, 200, time.Now())
		}
	}
}

// rssKB reads a process's resident set size from /proc.
func rssKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("hub memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("hub memory: no VmRSS")
}

// listenerPID finds the process listening on a local TCP port (Linux).
func listenerPID(port string) (int, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("port %q", port)
	}
	want := fmt.Sprintf(":%04X", p)
	inodes := map[string]bool{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 && strings.HasSuffix(fs[1], want) && fs[3] == "0A" {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			return strconv.Atoi(strings.Split(fd, "/")[2])
		}
	}
	return 0, fmt.Errorf("no process listens on port %d", p)
}

// raiseFileLimit lifts the soft open-files limit towards n (up to the hard limit).
func raiseFileLimit(n int) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return
	}
	if lim.Cur < uint64(n) {
		lim.Cur = min(uint64(n), lim.Max)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// WriteText prints the report for people.
func (r *VisitorsReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "visitor sockets held:   %d of %d (%d failed to open) in %.1f s\n", r.Opened, r.Visitors, r.OpenFailures, r.OpenSeconds)
	fmt.Fprintf(w, "hub RSS (pid %d):       %.1f MB before, %.1f MB held → %.1f KB per connection\n", r.HubPID, r.RSSBeforeMB, r.RSSHeldMB, r.RSSPerConnKB)
	fmt.Fprintf(w, "first message → agent:  p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)\n", r.FirstMessage.P50, r.FirstMessage.P99, r.FirstMessage.Max, r.FirstMessage.Count)
	fmt.Fprintf(w, "follow-up → agent:      p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)\n", r.FollowUp.P50, r.FollowUp.P99, r.FollowUp.Max, r.FollowUp.Count)
	fmt.Fprintf(w, "lost %d, duplicated %d, held sockets dropped %d, bench CPU %.1f s\n", r.Lost, r.Duplicated, r.DroppedSockets, r.BenchCPUSeconds)
}
