package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// NATS restarts with its store while customers post: the hub is not ready
// while NATS is down (posts get 503 and are sent again), consumes again by
// itself within 10 s of NATS being back — no hub restart — and in the end
// every message is stored exactly once, none parked as failed. The hub logs
// the incident once at error level and once when it consumes again.
func TestNATSRestartKeepsStore(t *testing.T) {
	t.Parallel()
	n := kit.StartNATS(t)
	e := env(t, n.URL())
	h := e.Start()
	kit.DropIdleConns(t)
	ch := h.Admin().NewAPIChannel("", nil)
	p := newPlatform(t, ch, h.Base)
	const customers, each = 8, 60
	for c := 0; c < customers; c++ {
		p.customer(fmt.Sprintf("r%d", c), each, 40*time.Millisecond)
	}
	kit.Eventually(t, 30*time.Second, "posting under way", func() bool { return p.count() >= 80 })

	// An outage's lines are counted from here: on a box starved of CPU the
	// hub may already have reported a slow start (consumers bound late).
	from := logSize(t, h.Log)
	n.Stop()
	down := time.Now()
	waitReadyz(t, h.Base, 503, 5*time.Second)
	time.Sleep(1500 * time.Millisecond) // posts meet the outage and are sent again
	if status, body := readyz(h.Base); status != 503 || !strings.Contains(body, `"bus"`) ||
		strings.Contains(body, "127.0.0.1") || strings.Contains(body, "nats://") {
		t.Fatalf("/readyz %d %s while NATS is down, want 503 naming the bus without its address", status, body)
	}
	n.Start()
	up := time.Now()
	ready := waitReadyz(t, h.Base, 200, 10*time.Second)

	// A customer who writes once NATS is back is stored within 10 s of it.
	if !p.send("probe", "probe", 10*time.Second) {
		t.FailNow()
	}
	d := kit.StoreDB(t, e)
	kit.Within(t, time.Until(up.Add(10*time.Second)), "a message posted after the restart stored within 10 s", func() bool {
		var k int
		d.Get(&k, d.Rebind(`SELECT COUNT(*) FROM messages WHERE channel_id = ? AND external_id = 'probe'`), ch.ID)
		return k == 1
	})
	consuming := time.Since(up)
	p.wait()
	auditStored(t, e, ch.ID, p.all(), 30*time.Second)
	if got := len(p.all()); got != customers*each+1 {
		t.Fatalf("%d messages acknowledged, want %d", got, customers*each+1)
	}
	outage := matchingFrom(t, h.Log, from, "bus: ")
	if len(matchingFrom(t, h.Log, from, "level=ERROR", "bus: the hub is not consuming")) != 1 ||
		len(matchingFrom(t, h.Log, from, "bus: consuming again")) != 1 {
		t.Errorf("want one error line and one 'consuming again' for one outage; the bus's lines since:\n%s", strings.Join(outage, "\n"))
	}
	t.Logf("NATS down %s; ready %s and consuming %s after it was back; refused answers: %v",
		up.Sub(down).Round(time.Millisecond), ready.Sub(up).Round(time.Millisecond), consuming.Round(time.Millisecond), p.answers())
}

// NATS comes back with its store wiped: the hub recreates the streams and
// consumers without a restart. Meanwhile it is not ready and webhooks get
// 503 (the platform retries) — never 200 for a message that is then lost;
// once healed, everything acknowledged is stored exactly once.
func TestNATSStoreWiped(t *testing.T) {
	t.Parallel()
	n := kit.StartNATS(t)
	e := env(t, n.URL())
	h := e.Start()
	kit.DropIdleConns(t)
	ch := h.Admin().NewAPIChannel("", nil)
	p := newPlatform(t, ch, h.Base)
	p.giveUp = 30 * time.Second
	const customers, each = 8, 50
	for c := 0; c < customers; c++ {
		p.customer(fmt.Sprintf("w%d", c), each, 40*time.Millisecond)
	}
	kit.Eventually(t, 30*time.Second, "posting under way", func() bool { return p.count() >= 80 })

	from := logSize(t, h.Log) // the outage's lines (see TestNATSRestartKeepsStore)
	n.Kill()
	waitReadyz(t, h.Base, 503, 5*time.Second)
	n.WipeStore()
	restarted := time.Now()
	n.Start()
	waitReadyz(t, h.Base, 200, 10*time.Second)
	if !p.send("probe", "probe", 10*time.Second) { // webhooks are accepted again
		t.FailNow()
	}
	if status, _ := readyz(h.Base); status != 200 {
		t.Fatalf("/readyz %d after healing", status)
	}
	p.wait()
	// What JetStream had accepted before its store was wiped is gone with
	// it; everything acknowledged since NATS came back must be stored.
	after := p.ackedSince(restarted)
	if len(after) == 0 {
		t.Fatal("nothing posted after the wipe; the test wants posts meeting the healed hub")
	}
	auditStored(t, e, ch.ID, after, 30*time.Second)
	for status := range p.answers() {
		if status != "503" && status != "transport" {
			t.Errorf("answer %s to a customer message during the outage; want only 503 (retryable)", status)
		}
	}
	outage := matchingFrom(t, h.Log, from, "bus: ")
	if len(matchingFrom(t, h.Log, from, "bus: consuming again", "recreated_streams=3")) != 1 ||
		len(matchingFrom(t, h.Log, from, "level=ERROR", "bus: the hub is not consuming")) != 1 {
		t.Errorf("want one error line and one 'consuming again' with 3 streams recreated for one outage; the bus's lines since:\n%s",
			strings.Join(outage, "\n"))
	}
	t.Logf("%d of %d messages acknowledged after the wipe; refused answers: %v", len(after), len(p.all()), p.answers())
	if !strings.Contains(metric(h.Base, "kefu_bus_recreated_streams_total"), "3") {
		t.Errorf("kefu_bus_recreated_streams_total = %q, want 3", metric(h.Base, "kefu_bus_recreated_streams_total"))
	}
}
