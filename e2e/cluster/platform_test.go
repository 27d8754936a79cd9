package cluster

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// env prepares a cluster-mode deployment (a fresh PostgreSQL database) on
// the given NATS. Without PostgreSQL it fails; it skips only when
// KEFU_TEST_EMBEDDED_ONLY=1 outside CI.
func env(t *testing.T, natsURL string) *kit.Env {
	t.Helper()
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" && os.Getenv("CI") != "true" {
		t.Skip("cluster tests need PostgreSQL (KEFU_TEST_EMBEDDED_ONLY=1)")
	}
	// an empty database: the hubs migrate it as they start, together
	e := kit.NewEnv(t, kit.Mode{Name: "cluster", Cluster: true, Unmigrated: true})
	e.Vars["KEFU_NATS_URL"] = natsURL
	e.Vars["KEFU_INBOX_PARTITIONS"] = "16"
	return e
}

// platform posts customers' messages the way a platform does: each
// customer's one after another, and a message that gets no 2xx is sent
// again (same id) until it does. It records when each was acknowledged and
// every other answer.
type platform struct {
	t        *testing.T
	ch       kit.APIChannel
	base     string
	mu       sync.Mutex
	acked    map[string]time.Time
	refused  map[string]int // status (or "transport") → count
	retryAft int            // 503s carrying Retry-After
	giveUp   time.Duration  // how long a message is sent again before the test fails
	halted   chan struct{}
	wg       sync.WaitGroup
}

func newPlatform(t *testing.T, ch kit.APIChannel, base string) *platform {
	return &platform{t: t, ch: ch, base: base, acked: map[string]time.Time{}, refused: map[string]int{},
		giveUp: 60 * time.Second, halted: make(chan struct{})}
}

// halt lets every customer finish the message it is sending and stop.
func (p *platform) halt() { close(p.halted) }

// customer posts n messages ("<name>-<i>") with gap between them.
func (p *platform) customer(name string, n int, gap time.Duration) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for i := 0; i < n; i++ {
			if !p.send(fmt.Sprintf("%s-%d", name, i), name, p.giveUp) {
				return
			}
			select {
			case <-p.halted:
				return
			case <-time.After(gap):
			}
		}
	}()
}

// send posts one message until it is acknowledged (false: gave up).
func (p *platform) send(id, customer string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		status, retryAfter, err := post(p.ch, p.base, kit.TextMsg(id, customer, "text of "+id))
		p.mu.Lock()
		switch {
		case err == nil && status/100 == 2:
			p.acked[id] = time.Now()
			p.mu.Unlock()
			return true
		case err != nil:
			p.refused["transport"]++
		default:
			p.refused[fmt.Sprint(status)]++
			if status == 503 && retryAfter != "" {
				p.retryAft++
			}
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			p.t.Errorf("message %s not acknowledged within %s (last: %d %v)", id, within, status, err)
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *platform) wait() { p.wg.Wait() }

func (p *platform) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

// ackedSince lists the messages acknowledged at or after t.
func (p *platform) ackedSince(t time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id, at := range p.acked {
		if !at.Before(t) {
			out = append(out, id)
		}
	}
	return out
}

func (p *platform) all() []string { return p.ackedSince(time.Time{}) }

// answers is every non-2xx answer seen, e.g. "503×12 transport×3".
func (p *platform) answers() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.refused {
		out[k] = v
	}
	return out
}

// post sends a signed customer message; it returns the status and the
// Retry-After header.
func post(ch kit.APIChannel, base string, body any) (int, string, error) {
	status, hdr, err := kit.TrySendHeader(ch, base, body)
	if err != nil {
		return 0, "", err
	}
	return status, hdr.Get("Retry-After"), nil
}

// stored maps every inbound message of the channel to how many times it
// is stored.
func stored(t *testing.T, e *kit.Env, chID string) map[string]int {
	t.Helper()
	d := kit.StoreDB(t, e)
	var rows []struct {
		ID string `db:"external_id"`
		N  int    `db:"n"`
	}
	if err := d.Select(&rows, d.Rebind(`SELECT external_id, COUNT(*) AS n FROM messages WHERE channel_id = ? AND direction = 'in'
		GROUP BY external_id`), chID); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out
}

// auditStored waits until every id in want is stored, then fails on any
// message stored twice or any failed (poisoned) bus message.
func auditStored(t *testing.T, e *kit.Env, chID string, want []string, within time.Duration) map[string]int {
	t.Helper()
	var got map[string]int
	var missing []string
	deadline := time.Now().Add(within)
	for {
		got, missing = stored(t, e, chID), nil
		for _, id := range want {
			if got[id] == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d of %d acknowledged messages lost (not stored after %s): %v", len(missing), len(want), within,
			missing[:min(10, len(missing))])
	}
	for id, n := range got {
		if n > 1 {
			t.Errorf("message %s stored %d times", id, n)
		}
	}
	noFailedMessages(t, e)
	return got
}

// noFailedMessages fails on any bus message parked in failed_messages.
func noFailedMessages(t *testing.T, e *kit.Env) {
	t.Helper()
	d := kit.StoreDB(t, e)
	var failed []struct {
		Topic string `db:"topic"`
		Error string `db:"error"`
	}
	if err := d.Select(&failed, `SELECT topic, error FROM failed_messages`); err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Errorf("%d failed messages, want none; first: %+v", len(failed), failed[0])
	}
}

// readyz is the hub's /readyz status and body.
func readyz(base string) (int, string) {
	c := http.Client{Timeout: 3 * time.Second}
	res, err := c.Get(base + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitReadyz waits until /readyz answers want.
func waitReadyz(t *testing.T, base string, want int, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, body := readyz(base)
		if status == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz %d %s after %s, want %d", status, body, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logLines counts the hub log's lines containing all of parts.
func logLines(t *testing.T, path string, parts ...string) int {
	t.Helper()
	return len(matching(t, path, parts...))
}

// matching is the lines of a hub's log that contain every part.
func matching(t *testing.T, path string, parts ...string) []string {
	t.Helper()
	return matchingFrom(t, path, 0, parts...)
}

// logSize is where a hub's log ends now (for matchingFrom).
func logSize(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Size())
}

// matchingFrom is matching over what the log gained after byte from.
func matchingFrom(t *testing.T, path string, from int, parts ...string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = b[min(from, len(b)):]
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// metric reads one unlabelled metric from /metrics ("" when absent).
func metric(base, name string) string {
	for _, line := range strings.Split(kit.Metrics(base), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}
