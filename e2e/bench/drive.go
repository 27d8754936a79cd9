package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kefu-hub/kefu/connectors/api"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// driver posts signed customer messages to the API channel's webhook.
type driver struct {
	cfg     Config
	http    *http.Client
	url     string // the channel's webhook on the target hub
	secret  string
	runID   string
	ledger  *ledger.Ledger
	pad     string
	next    atomic.Int64 // message counter
	lag     lagMeter     // open loop: how far behind schedule sends started
	warnOne sync.Once
	log     *slog.Logger
}

// body is the public inbound contract of the API channel.
type body struct {
	ID      string `json:"id"`
	Contact struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"contact"`
	Type string `json:"type"`
	Text string `json:"text"`
}

// send posts message n (customer n mod Customers), recording it in the
// ledger. With await it returns a channel closed once an agent socket shows
// the message (nil when the hub did not accept it).
func (d *driver) send(ctx context.Context, n int64, scheduled time.Time, await bool) <-chan struct{} {
	return d.post(ctx, fmt.Sprintf("bench-%s-%d", d.runID, n), n%int64(d.cfg.Customers), scheduled, await)
}

// post sends one message with external id id from customer cust.
func (d *driver) post(ctx context.Context, id string, cust int64, scheduled time.Time, await bool) <-chan struct{} {
	var b body
	b.ID = id
	b.Contact.ID = fmt.Sprintf("bench-%s-c%d", d.runID, cust)
	b.Contact.Name = fmt.Sprintf("Customer %d", cust)
	b.Type, b.Text = "text", fmt.Sprintf("message %s from customer %d%s", id, cust, d.pad)
	raw, _ := json.Marshal(b)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	if err := api.SetHeaders(req.Header, d.secret, b.ID, start, raw); err != nil {
		d.warnOne.Do(func() { d.log.Error("sign message", "err", err) })
		return nil
	}
	delivered := d.ledger.Sent(b.ID, scheduled, start, await)
	res, err := d.http.Do(req)
	if err != nil {
		d.ledger.Answered(b.ID, 0, time.Now())
		return nil
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d.ledger.Answered(b.ID, res.StatusCode, time.Now())
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil
	}
	return delivered
}

// warmUp opens every customer's conversation with a first message, at
// most Concurrency in flight, and waits until each reached an agent (in the
// conversation.assigned frame) or the drain timeout passes. Steady-state
// latency is then measured apart from the cost of opening and assigning.
func (d *driver) warmUp(ctx context.Context) {
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	deadline := time.Now().Add(d.cfg.Drain)
	for c := range int64(d.cfg.Customers) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			delivered := d.post(ctx, fmt.Sprintf("bench-%s-hello%d", d.runID, c), c, time.Now(), true)
			if delivered == nil {
				return
			}
			select {
			case <-delivered:
			case <-time.After(time.Until(deadline)):
			case <-ctx.Done():
			}
		}()
	}
	wg.Wait()
}

// maxRate runs Concurrency closed loops until the deadline. With Await
// (the default) each loop waits until its message reached an agent socket
// before posting the next, so the rate found is what the hub sustains end
// to end; without, it waits only for the 2xx, which measures the ingest
// edge and lets a backlog build behind it.
func (d *driver) maxRate(ctx context.Context, until time.Time) {
	var wg sync.WaitGroup
	for range d.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(until) {
				delivered := d.send(ctx, d.next.Add(1)-1, time.Now(), d.cfg.Await)
				if delivered == nil {
					continue
				}
				select {
				case <-delivered:
				case <-time.After(time.Until(until)):
				case <-ctx.Done():
				}
			}
		}()
	}
	wg.Wait()
}

// openLoop starts posts on a fixed schedule of Rate per second, whether or
// not earlier ones were answered, with at most Concurrency in flight; when
// the hub is slower than that the schedule slips and the slip is reported.
func (d *driver) openLoop(ctx context.Context, start, until time.Time) {
	interval := time.Duration(float64(time.Second) / d.cfg.Rate)
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for n := int64(0); ; {
		slot := start.Add(time.Duration(n) * interval)
		if !slot.Before(until) {
			break
		}
		if wait := time.Until(slot); wait > 0 {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		d.lag.record(time.Since(slot))
		wg.Add(1)
		go func(n int64) {
			defer func() { <-sem; wg.Done() }()
			d.send(ctx, n, slot, false)
		}(n)
		n++
		d.next.Store(n)
	}
	wg.Wait()
}

// lagMeter counts sends that started behind their schedule slot by more
// than 10ms, and the worst such delay.
type lagMeter struct {
	behind atomic.Int64
	worst  atomic.Int64 // ns
}

func (m *lagMeter) record(lag time.Duration) {
	if lag <= 10*time.Millisecond {
		return
	}
	m.behind.Add(1)
	for {
		old := m.worst.Load()
		if int64(lag) <= old || m.worst.CompareAndSwap(old, int64(lag)) {
			return
		}
	}
}

// padding returns filler so each message text is about size bytes.
func padding(size int) string {
	if size <= 40 {
		return ""
	}
	return " " + strings.Repeat("x", size-41)
}
