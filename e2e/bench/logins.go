package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// LoginsConfig is a flood of wrong sign-ins (kefu bench -logins N): N
// requests at once, each with its own unknown email and a wrong password,
// while the hub's resident memory is sampled.
type LoginsConfig struct {
	URL    string
	Logins int
	// PID is the hub's process (0: the process listening on URL's port).
	PID int
	// Every is how often the hub's memory is read during the flood.
	Every time.Duration
}

// LoginsReport is what the flood measured.
type LoginsReport struct {
	URL    string `json:"url"`
	Logins int    `json:"logins"`
	// Answers counts the answers by status and error code ("401
	// unauthorized", "429 busy" …); Errors the requests that got none.
	Answers     map[string]int `json:"answers"`
	Errors      int            `json:"transport_errors"`
	NoRetry     int            `json:"429_without_retry_after"`
	Seconds     float64        `json:"seconds"`
	HubPID      int            `json:"hub_pid,omitempty"`
	RSSBeforeMB float64        `json:"hub_rss_before_mb,omitempty"`
	RSSPeakMB   float64        `json:"hub_rss_peak_mb,omitempty"`
	RSSAfterMB  float64        `json:"hub_rss_after_mb,omitempty"`
}

// RunLogins floods the hub with wrong sign-ins, all sent at once.
func RunLogins(ctx context.Context, cfg LoginsConfig, log *slog.Logger) (*LoginsReport, error) {
	u, err := CheckLoopback(cfg.URL)
	if err != nil {
		return nil, err
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("-url %q: want http://127.0.0.1:<port>", cfg.URL)
	}
	cfg.URL = u.String()
	if cfg.Every <= 0 {
		cfg.Every = 20 * time.Millisecond
	}
	raiseFileLimit(cfg.Logins + 256)
	r := &LoginsReport{URL: cfg.URL, Logins: cfg.Logins, Answers: map[string]int{}}
	r.HubPID, r.RSSBeforeMB = hubRSS(cfg.PID, u.Port(), log)
	stop := r.sample(cfg.Every)
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Logins,
		DialContext: loopbackDialer().DialContext}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var mu sync.Mutex
	var wg sync.WaitGroup
	gate := make(chan struct{})
	start := time.Now()
	for i := range cfg.Logins {
		wg.Go(func() {
			<-gate
			answer, retry, err := wrongLogin(ctx, client, cfg.URL, fmt.Sprintf("flood-%d@bench.kefu.test", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Errors++
				return
			}
			r.Answers[answer]++
			if strings.HasPrefix(answer, "429") && retry == "" {
				r.NoRetry++
			}
		})
	}
	close(gate)
	wg.Wait()
	r.Seconds = time.Since(start).Seconds()
	stop()
	if r.HubPID != 0 {
		if kb, err := rssKB(r.HubPID); err == nil {
			r.RSSAfterMB = float64(kb) / 1024
		}
	}
	return r, nil
}

// sample reads the hub's memory every d, keeping the peak, until the
// returned stop is called.
func (r *LoginsReport) sample(d time.Duration) (stop func()) {
	if r.HubPID == 0 {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	r.RSSPeakMB = r.RSSBeforeMB
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			if kb, err := rssKB(r.HubPID); err == nil {
				r.RSSPeakMB = max(r.RSSPeakMB, float64(kb)/1024)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// wrongLogin posts one wrong sign-in and returns "<status> <error code>"
// and the Retry-After header.
func wrongLogin(ctx context.Context, c *http.Client, base, email string) (string, string, error) {
	body := strings.NewReader(fmt.Sprintf(`{"email":%q,"password":"not-the-password"}`, email))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", body)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if json.Unmarshal(b, &e) != nil && res.StatusCode != http.StatusOK {
		return "", "", errors.New("login answer is not JSON")
	}
	return fmt.Sprintf("%d %s", res.StatusCode, e.Error.Code), res.Header.Get("Retry-After"), nil
}

// Err is non-nil when the hub failed a request (a 5xx or no answer).
func (r *LoginsReport) Err() error {
	var bad []string
	for a, n := range r.Answers {
		if strings.HasPrefix(a, "5") {
			bad = append(bad, fmt.Sprintf("%d× %s", n, a))
		}
	}
	if r.Errors > 0 {
		bad = append(bad, fmt.Sprintf("%d without an answer", r.Errors))
	}
	if len(bad) > 0 {
		return fmt.Errorf("the hub failed sign-ins: %s", strings.Join(bad, ", "))
	}
	return nil
}

// WriteText prints the report.
func (r *LoginsReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%d wrong sign-ins at once against %s in %.1f s\n", r.Logins, r.URL, r.Seconds)
	keys := make([]string, 0, len(r.Answers))
	for k := range r.Answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-22s %d\n", k, r.Answers[k])
	}
	if r.Errors > 0 {
		fmt.Fprintf(w, "  no answer              %d\n", r.Errors)
	}
	if r.NoRetry > 0 {
		fmt.Fprintf(w, "  429 without Retry-After %d\n", r.NoRetry)
	}
	if r.HubPID != 0 {
		fmt.Fprintf(w, "hub %d resident memory: %.0f MB before, %.0f MB peak, %.0f MB after\n",
			r.HubPID, r.RSSBeforeMB, r.RSSPeakMB, r.RSSAfterMB)
	}
}
