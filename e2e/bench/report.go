package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// Latency is a latency distribution in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// Path splits the e2e latency of the delivered messages whose row the
// store audit read, by the hub's own timestamps (same machine, same clock).
type Path struct {
	// Stored is send → the message row's created_at: the bus, then the
	// inbox batch up to this message.
	Stored Latency `json:"send_to_stored"`
	// Emitted is that → the created_at of the event that showed it to the
	// agent: the rest of the ingest transaction, and for a first message
	// routing and assignment (conversation.assigned).
	Emitted Latency `json:"stored_to_event"`
	// Pushed is that → the agent frame: commit, broadcast, the per-tenant
	// ordered fan-out (which waits for earlier event ids), the socket.
	Pushed Latency `json:"event_to_agent"`
}

func path(p ledger.Phase) Path {
	return Path{Stored: latency(p.Stored), Emitted: latency(p.Emitted), Pushed: latency(p.Pushed)}
}

// write prints the three legs, the first line starting with first, the
// others indented as far.
func (t Path) write(p func(string, ...any), first string) {
	indent := first
	for _, l := range []struct {
		name string
		l    Latency
	}{{"send → stored", t.Stored}, {"stored → event", t.Emitted}, {"event → agent", t.Pushed}} {
		p("%s%-19s p50 %.1f · p90 %.1f · p99 %.1f · max %.1f ms (n=%d)", indent, l.name, l.l.P50, l.l.P90, l.l.P99, l.l.Max, l.l.Count)
		indent = strings.Repeat(" ", len([]rune(first)))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func latency(sorted []time.Duration) Latency {
	l := Latency{Count: len(sorted)}
	if len(sorted) == 0 {
		return l
	}
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	l.P50, l.P90 = ms(ledger.Percentile(sorted, 50)), ms(ledger.Percentile(sorted, 90))
	l.P95, l.P99 = ms(ledger.Percentile(sorted, 95)), ms(ledger.Percentile(sorted, 99))
	l.Max, l.Mean = ms(sorted[len(sorted)-1]), ms(sum/time.Duration(len(sorted)))
	return l
}

// Report is the outcome of a run (printed as text, or as JSON with -json).
type Report struct {
	URL         string  `json:"url"`
	Mode        string  `json:"mode"`
	Rate        float64 `json:"target_rate"`
	Customers   int     `json:"customers"`
	Agents      int     `json:"agents"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"duration_s"`
	TenantID    string  `json:"tenant_id"`
	ChannelID   string  `json:"channel_id"`

	Sent            int            `json:"sent"`
	Accepted        int            `json:"accepted"`
	Rejected        map[string]int `json:"rejected_by_status"`
	TransportErrors int            `json:"transport_errors"`
	Delivered       int            `json:"delivered"`
	// RunSent, RunAccepted and RunDelivered count the timed run only
	// (without the warm-up); the rates and latencies below are of it.
	RunSent      int `json:"run_sent"`
	RunAccepted  int `json:"run_accepted"`
	RunDelivered int `json:"run_delivered"`
	// RunInAssignment were first shown inside conversation.assigned: stored
	// before their conversation had an agent.
	RunInAssignment int `json:"run_delivered_in_assignment"`
	// Verdict (over all phases) tells on time, late, lost and duplicated apart.
	ledger.Verdict
	ExtraFrames    int `json:"duplicate_frames"`
	SeenUnaccepted int `json:"seen_but_not_accepted"`
	Foreign        int `json:"foreign_frames"`

	OfferedPerSec   float64 `json:"offered_per_s"`
	AcceptedPerSec  float64 `json:"accepted_per_s"`
	DeliveredPerSec float64 `json:"delivered_per_s"`
	// E2E is POST start → first agent socket frame carrying the message.
	E2E Latency `json:"e2e"`
	// E2ESched is the open-loop slot → frame (includes any schedule slip).
	E2ESched Latency `json:"e2e_from_schedule"`
	// Ack is POST start → 2xx answer (the message is durable).
	Ack Latency `json:"ack"`
	// Path splits E2E where the store audit could.
	Path Path `json:"path"`
	// WarmUpE2E is each customer's first message: POST start → the
	// conversation.assigned frame (open a conversation, route, assign).
	WarmUpE2E  Latency `json:"warmup_e2e"`
	WarmUpTook float64 `json:"warmup_ms"`

	AcceptedTimeline  []int     `json:"accepted_per_second"`
	DeliveredTimeline []int     `json:"delivered_per_second"`
	E2EMaxTimeline    []float64 `json:"e2e_max_ms_by_send_second"`
	DrainTook         float64   `json:"drain_ms"`
	BehindSchedule    int       `json:"behind_schedule"`
	MaxScheduleLagMS  float64   `json:"max_schedule_lag_ms"`
	Reconnects        int       `json:"socket_reconnects"`
	Frames            int       `json:"socket_frames"`
	Callbacks         int       `json:"callbacks_received"`
	BenchCPUSeconds   float64   `json:"bench_cpu_s"`
	HubPID            int       `json:"hub_pid,omitempty"`
	HubRSSEndMB       float64   `json:"hub_rss_end_mb,omitempty"`
}

func newReport(cfg Config, mode string, t ledger.Tally, start, sendEnd time.Time) *Report {
	run := t.Run
	r := &Report{URL: cfg.URL, Mode: mode, Rate: cfg.Rate, Customers: cfg.Customers, Agents: cfg.Agents,
		Concurrency: cfg.Concurrency, DurationS: cfg.Duration.Seconds(),
		Sent: t.Sent, Accepted: t.Accepted, Rejected: map[string]int{}, TransportErrors: t.TransportErrors,
		Delivered: t.Delivered, ExtraFrames: t.ExtraFrames, SeenUnaccepted: t.SeenUnaccepted, Foreign: t.Foreign,
		RunSent: run.Sent, RunAccepted: run.Accepted, RunDelivered: run.Delivered, RunInAssignment: run.InAssignment,
		E2E: latency(run.E2E), E2ESched: latency(run.E2ESched), Ack: latency(run.Ack),
		Path:             path(run),
		WarmUpE2E:        latency(t.First.E2E),
		AcceptedTimeline: run.AcceptedPerSec, DeliveredTimeline: run.DeliveredPerSec}
	for _, d := range run.E2EMaxPerSec {
		r.E2EMaxTimeline = append(r.E2EMaxTimeline, ms(d))
	}
	for status, n := range t.Rejected {
		r.Rejected[fmt.Sprint(status)] = n
	}
	if w := sendEnd.Sub(start).Seconds(); w > 0 {
		r.OfferedPerSec = float64(run.Sent) / w
	}
	if w := run.LastAck.Sub(start).Seconds(); w > 0 {
		r.AcceptedPerSec = float64(run.Accepted) / w
	}
	if w := run.LastSeen.Sub(start).Seconds(); w > 0 {
		r.DeliveredPerSec = float64(run.Delivered) / w
	}
	return r
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("kefu bench — %s against %s", r.Mode, r.URL)
	p("  setup      %d customers, %d agents (websockets), %d posts in flight max, %.0fs + drain",
		r.Customers, r.Agents, r.Concurrency, r.DurationS)
	p("  tenant     %s  channel %s", r.TenantID, r.ChannelID)
	p("")
	if r.WarmUpE2E.Count > 0 {
		p("  warm-up    %d first messages (open + route + assign): p50 %.1f ms · p99 %.1f ms · max %.1f ms; all assigned in %.0f ms",
			r.WarmUpE2E.Count, r.WarmUpE2E.P50, r.WarmUpE2E.P99, r.WarmUpE2E.Max, r.WarmUpTook)
	}
	p("  posts      %d sent, %d accepted (2xx), %d transport errors%s (all phases)", r.Sent, r.Accepted, r.TransportErrors, rejected(r.Rejected))
	p("  timed run  %d sent, %d accepted, %d delivered (%d of them in conversation.assigned)", r.RunSent, r.RunAccepted,
		r.RunDelivered, r.RunInAssignment)
	p("  throughput offered %.0f/s · accepted %.0f/s · delivered to agents %.0f/s", r.OfferedPerSec, r.AcceptedPerSec, r.DeliveredPerSec)
	p("  e2e        POST start → agent frame: p50 %.1f ms · p95 %.1f ms · p99 %.1f ms · max %.1f ms (n=%d)",
		r.E2E.P50, r.E2E.P95, r.E2E.P99, r.E2E.Max, r.E2E.Count)
	if r.Rate > 0 {
		p("  e2e/sched  schedule slot → agent frame: p50 %.1f ms · p99 %.1f ms · max %.1f ms; %d posts started >10ms late (worst %.1f ms)",
			r.E2ESched.P50, r.E2ESched.P99, r.E2ESched.Max, r.BehindSchedule, r.MaxScheduleLagMS)
	}
	p("  ack        POST start → 2xx: p50 %.1f ms · p99 %.1f ms · max %.1f ms", r.Ack.P50, r.Ack.P99, r.Ack.Max)
	r.Path.write(p, "  path       where the time went: ")
	p("  integrity  (all phases) %s", r.Summary())
	p("             %d extra frames · seen-but-not-accepted %d · foreign frames %d", r.ExtraFrames, r.SeenUnaccepted, r.Foreign)
	p("  store      %s", r.AuditLine())
	p("  sockets    %d frames, %d reconnects (resumed from last event id); %d callbacks received; drain %.0f ms",
		r.Frames, r.Reconnects, r.Callbacks, r.DrainTook)
	p("  per second accepted  %s", timeline(r.AcceptedTimeline))
	p("             delivered %s", timeline(r.DeliveredTimeline))
	worst := make([]string, len(r.E2EMaxTimeline))
	for i, v := range r.E2EMaxTimeline {
		worst[i] = fmt.Sprintf("%.0f", v)
	}
	p("             worst e2e ms by send second %s", strings.Join(worst, " "))
	p("  bench CPU  %.1f s (shares the machine with the hub)%s", r.BenchCPUSeconds, rssNote(r.HubPID, r.HubRSSEndMB))
	p("  verdict    %s", r.Line())
}

func rssNote(pid int, mb float64) string {
	if pid == 0 {
		return ""
	}
	return fmt.Sprintf("; hub (pid %d) RSS at the end %.1f MB", pid, mb)
}

func rejected(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return ", non-2xx: " + strings.Join(parts, " ")
}

func timeline(s []int) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, " ")
}
