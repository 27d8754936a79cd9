package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// These tests run the bench against the real kefu binary (embedded mode:
// SQLite and an in-process NATS under a temporary data dir), built once.

const (
	testAdminEmail = "admin@bench.kefu.test"
	testAdminPass  = "bench-admin-pass-1"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func kefuBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kefu-bench-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kefu")
		if out, err := exec.Command("go", "build", "-o", binPath, "github.com/kefu-hub/kefu").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// testHub starts a hub on a free loopback port; it stops with the test.
func testHub(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the kefu binary (-short)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(kefuBinary(t), "serve")
	cmd.Env = append(os.Environ(), "KEFU_HTTP_ADDR="+addr, "KEFU_DATA_DIR="+t.TempDir(), "KEFU_LOG_LEVEL=warn",
		"KEFU_ADMIN_EMAIL="+testAdminEmail, "KEFU_ADMIN_PASSWORD="+testAdminPass, "KEFU_NATS_URL=", "KEFU_DATABASE_URL=")
	logf, err := os.Create(filepath.Join(t.TempDir(), "hub.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("hub log:\n%s", b)
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-done:
			t.Fatal("the hub exited before it was ready")
		default:
		}
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, cmd
			}
		}
	}
	t.Fatal("the hub was not ready within 60 s")
	return "", nil
}

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// visitorLoad runs the visitor workload c (visitors, messages, gap,
// agents) against a fresh test hub.
func visitorLoad(t *testing.T, c VisitorLoadConfig) (*VisitorLoadReport, *exec.Cmd) {
	t.Helper()
	base, cmd := testHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c.URL, c.Email, c.Password, c.Ramp, c.Drain, c.SettleLate, c.Size = base, testAdminEmail, testAdminPass, 50,
		30*time.Second, 10*time.Second, 60
	r, err := RunVisitorLoad(ctx, c, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	return r, cmd
}

func TestVisitorLoadAgainstHub(t *testing.T) {
	r, cmd := visitorLoad(t, VisitorLoadConfig{Visitors: 5, Messages: 3, Gap: 100 * time.Millisecond, Agents: 2})
	if r.Opened != 5 || r.Sent != 15 || r.Accepted != 15 || r.NoAck != 0 || len(r.Rejected) != 0 {
		t.Fatalf("opened %d, sent %d, acked %d, no ack %d, refused %v; want 5 visitors, 15 sent and acked",
			r.Opened, r.Sent, r.Accepted, r.NoAck, r.Rejected)
	}
	if r.Lost != 0 || r.Duplicated != 0 || r.Err() != nil {
		t.Fatalf("lost %d, duplicated %d: %s", r.Lost, r.Duplicated, r.Summary())
	}
	if r.OnTime+r.Late != 15 {
		t.Fatalf("on time %d + late %d, want 15", r.OnTime, r.Late)
	}
	if f, u := r.FirstMessage, r.FollowUp; f.Sent != 5 || f.Delivered != 5 || f.E2E.Count != 5 ||
		u.Sent != 10 || u.Delivered != 10 || u.E2E.Count != 10 {
		t.Fatalf("first messages %+v, follow-ups %+v; want 5 and 10 sent and delivered", f, u)
	}
	// The store audit read every message once: store times for all of them.
	if !r.Audit.Complete || r.Audit.AcceptedStored != 15 || r.Audit.Conversations != 5 || r.Audit.Foreign != 0 ||
		r.FirstMessage.Path.Stored.Count != 5 || r.FollowUp.Path.Pushed.Count != 10 {
		t.Fatalf("store audit %+v; path %+v / %+v", r.Audit, r.FirstMessage.Path, r.FollowUp.Path)
	}
	if r.HubPID != cmd.Process.Pid || r.RSSEndMB <= 0 {
		t.Fatalf("hub pid %d (want %d), RSS at the end %.1f MB", r.HubPID, cmd.Process.Pid, r.RSSEndMB)
	}
}

// A visitor whose message the hub refuses for now sends it again later, as
// the widget does, and the run counts it delivered with the wait in its
// latency. The refusals are the hub's own rate limit: a visitor may send 10
// messages at once, then 2 a second, so of 12 sent 10 ms apart the last two
// are refused as rate limited and taken when resent 3 s later.
func TestVisitorLoadResendsRefusedMessages(t *testing.T) {
	r, _ := visitorLoad(t, VisitorLoadConfig{Visitors: 2, Messages: 12, Gap: 10 * time.Millisecond, Agents: 1})
	if r.Sent != 24 || r.Accepted != 24 || r.Delivered != 24 || len(r.Rejected) != 0 || r.NoAck != 0 {
		t.Fatalf("sent %d, acked %d, delivered %d, refused %v, no ack %d; want all 24 acked and delivered",
			r.Sent, r.Accepted, r.Delivered, r.Rejected, r.NoAck)
	}
	if r.Resent < 4 || r.Resent > 8 {
		t.Fatalf("resent %d, want the 2 over each visitor's burst (4), a few more at most", r.Resent)
	}
	if r.Lost != 0 || r.Duplicated != 0 || r.ExtraFrames != 0 {
		t.Fatalf("lost %d, duplicated %d, extra frames %d: a resent message is one message", r.Lost, r.Duplicated, r.ExtraFrames)
	}
	if max := time.Duration(r.FollowUp.E2E.Max * float64(time.Millisecond)); max < resendAfter {
		t.Fatalf("slowest follow-up %v: a resent message's latency runs from its first send (>= %v)", max, resendAfter)
	}
}

// TestSettleAgainstHub makes late and lost messages for real: messages
// posted to a hub while no agent socket listens are stored but never
// shown (late), and one the ledger says was accepted but that was never
// sent is not in the store (lost) — the re-checks stop at -settle-late.
func TestSettleAgainstHub(t *testing.T) {
	ctx, fx, newDriver := settleFixture(t)
	log := testLog(t)
	l := ledger.New(time.Now())
	d := newDriver(l)
	for n := range int64(3) {
		d.send(ctx, n, time.Now(), false)
	}
	l.Sent("never-sent", time.Now(), time.Now(), false)
	l.Answered("never-sent", http.StatusAccepted, time.Now())
	if tl := l.Tally(); tl.Accepted != 4 || tl.Delivered != 0 {
		t.Fatalf("accepted %d, delivered %d; want 4 and 0", tl.Accepted, tl.Delivered)
	}
	began := time.Now()
	v := settle(ctx, l, newStoreAudit(fx.admin, fx.channelID, l), 3*time.Second, log)
	if took := time.Since(began); took < 3*time.Second || took > time.Minute {
		t.Fatalf("settle took %v: it must re-check for the whole -settle-late while a message is missing, and stop then", took)
	}
	if v.OnTime != 0 || v.Late != 3 || v.LateStoredOnly != 3 || v.Lost != 1 || v.Duplicated != 0 {
		t.Fatalf("verdict %+v: want 3 late (stored, never pushed) and 1 lost", v)
	}
	if !v.Audit.Complete || v.Audit.Passes < 2 || v.Audit.Rows != 3 || v.Audit.AcceptedStored != 3 {
		t.Fatalf("store audit %+v: want complete, re-checked, the 3 rows read once each", v.Audit)
	}
	if v.Err() == nil {
		t.Fatal("a lost message must fail the run")
	}
}

// A hub still working through a backlog when -settle-late runs out has not
// lost what it has not stored yet: the re-checks go on, a wait at a time,
// while each finds more of the missing messages stored. Three messages the
// ledger counts as accepted reach the hub only during the re-checks, 1.5 s
// apart, with -settle-late 2 s: all three end late, not lost; the one that
// never reaches the hub is lost, and the re-checks stop once a whole wait
// found nothing more.
func TestSettleWaitsOnAHubStillStoring(t *testing.T) {
	ctx, fx, newDriver := settleFixture(t)
	log := testLog(t)
	l := ledger.New(time.Now())
	// The backlog is posted by a driver with a scratch ledger; the run's
	// ledger already counts those messages as accepted.
	late := newDriver(ledger.New(time.Now()))
	for n := range int64(3) {
		id := fmt.Sprintf("bench-%s-%d", fx.runID, n)
		l.Sent(id, time.Now(), time.Now(), false)
		l.Answered(id, http.StatusAccepted, time.Now())
	}
	l.Sent("never-sent", time.Now(), time.Now(), false)
	l.Answered("never-sent", http.StatusAccepted, time.Now())
	go func() {
		for n := range int64(3) {
			sleep(ctx, 1500*time.Millisecond)
			late.send(ctx, n, time.Now(), false)
		}
	}()
	began := time.Now()
	v := settle(ctx, l, newStoreAudit(fx.admin, fx.channelID, l), 2*time.Second, log)
	took := time.Since(began)
	if v.Late != 3 || v.LateStoredOnly != 3 || v.Lost != 1 || v.Duplicated != 0 {
		t.Fatalf("verdict %+v after %v: want the 3 messages stored during the re-checks late, the never-sent one lost", v, took)
	}
	if took < 4*time.Second || took > time.Minute {
		t.Fatalf("settle took %v: it must go on past one -settle-late while the hub stores more, and stop after a wait without any", took)
	}
}

// settleFixture starts a hub with a bench tenant of two customers and one
// agent; newDriver posts its API channel's messages into a ledger.
func settleFixture(t *testing.T) (context.Context, *fixture, func(*ledger.Ledger) *driver) {
	t.Helper()
	base, _ := testHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	u, _ := CheckLoopback(base)
	hc := newHTTPClient(4, 30*time.Second)
	log := testLog(t)
	cfg := Config{Email: testAdminEmail, Password: testAdminPass, Customers: 2, Agents: 1, Concurrency: 4}
	fx, err := setUp(ctx, cfg, u, hc, "", log)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, fx, func(l *ledger.Ledger) *driver {
		return &driver{cfg: cfg, http: hc, url: base + "/webhooks/api/" + fx.channelID, secret: fx.secret, runID: fx.runID,
			ledger: l, log: log}
	}
}
