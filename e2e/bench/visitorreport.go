package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// VisitorLoadReport is what a visitor workload measured (printed as text,
// or as JSON with -json).
type VisitorLoadReport struct {
	URL       string  `json:"url"`
	Visitors  int     `json:"visitors"`
	Messages  int     `json:"messages_per_visitor"`
	GapMS     float64 `json:"gap_ms"`
	Agents    int     `json:"agents"`
	Ramp      float64 `json:"ramp_per_s"`
	TenantID  string  `json:"tenant_id"`
	ChannelID string  `json:"channel_id"`

	Opened       int     `json:"opened"`
	OpenFailures int     `json:"open_failures"`
	OpenSeconds  float64 `json:"open_seconds"`
	Connect      Latency `json:"connect"` // dial → welcome frame

	Sent     int            `json:"sent"`
	Accepted int            `json:"accepted"` // acked by the hub
	Rejected map[string]int `json:"rejected_by_status"`
	// Resent were refused as busy or rate limited and sent again 3 s
	// later, as the widget does (acked, refused or unanswered in the end).
	Resent int `json:"resent"`
	// NoAck were neither acked nor refused (or could not be written).
	NoAck            int     `json:"no_ack"`
	Delivered        int     `json:"delivered"`
	SendSeconds      float64 `json:"send_s"`
	OfferedPerSec    float64 `json:"offered_per_s"`
	DeliveredPerSec  float64 `json:"delivered_per_s"`
	BehindSchedule   int     `json:"behind_schedule"`
	MaxScheduleLagMS float64 `json:"max_schedule_lag_ms"`
	// FirstMessage opens a conversation (stored, routed, assigned: the
	// agent sees it in conversation.assigned); FollowUp is the others.
	FirstMessage ClassReport `json:"first_message"`
	FollowUp     ClassReport `json:"follow_up"`

	ledger.Verdict
	ExtraFrames    int `json:"duplicate_frames"`
	SeenUnaccepted int `json:"seen_but_not_accepted"`
	Foreign        int `json:"foreign_frames"`

	DrainTook       float64 `json:"drain_ms"`
	HubPID          int     `json:"hub_pid,omitempty"`
	RSSBeforeMB     float64 `json:"hub_rss_before_mb,omitempty"` // after setup, before the visitors connect
	RSSEndMB        float64 `json:"hub_rss_end_mb,omitempty"`    // after the drain and the store audit
	DroppedSockets  int     `json:"dropped_sockets"`             // visitor sockets the hub closed
	Reconnects      int     `json:"socket_reconnects"`           // agent sockets
	Frames          int     `json:"socket_frames"`
	BenchCPUSeconds float64 `json:"bench_cpu_s"`
}

// ClassReport is one class of messages: first messages or follow-ups.
type ClassReport struct {
	Sent      int `json:"sent"`
	Accepted  int `json:"accepted"`
	Delivered int `json:"delivered"`
	// InAssignment reached the agent inside conversation.assigned: they
	// were stored before their conversation was assigned.
	InAssignment int `json:"delivered_in_assignment"`
	// PerSec is the delivered ones per second, from the start of sending
	// to the last one's frame.
	PerSec float64 `json:"delivered_per_s"`
	E2E    Latency `json:"e2e"` // visitor send → the agent frame carrying it
	Ack    Latency `json:"ack"` // visitor send → ack frame (durable on the bus)
	// Path splits E2E where the store audit could.
	Path Path `json:"path"`
}

func classReport(p ledger.Phase, start time.Time) ClassReport {
	c := ClassReport{Sent: p.Sent, Accepted: p.Accepted, Delivered: p.Delivered, InAssignment: p.InAssignment, E2E: latency(p.E2E), Ack: latency(p.Ack),
		Path: path(p)}
	if w := p.LastSeen.Sub(start).Seconds(); w > 0 {
		c.PerSec = float64(p.Delivered) / w
	}
	return c
}

// fill copies the tally of a run whose sends went from start to end.
func (r *VisitorLoadReport) fill(t ledger.Tally, start, end time.Time) {
	r.Sent, r.Accepted, r.NoAck, r.Delivered, r.Resent = t.Sent, t.Accepted, t.TransportErrors, t.Delivered, t.Resent
	r.Rejected = map[string]int{}
	for status, n := range t.Rejected {
		r.Rejected[fmt.Sprint(status)] = n
	}
	r.ExtraFrames, r.SeenUnaccepted, r.Foreign = t.ExtraFrames, t.SeenUnaccepted, t.Foreign
	r.FirstMessage, r.FollowUp = classReport(t.First, start), classReport(t.Run, start)
	r.SendSeconds = end.Sub(start).Seconds()
	if r.SendSeconds > 0 {
		r.OfferedPerSec = float64(t.Sent) / r.SendSeconds
	}
	last := t.Run.LastSeen
	if t.First.LastSeen.After(last) {
		last = t.First.LastSeen
	}
	if w := last.Sub(start).Seconds(); w > 0 {
		r.DeliveredPerSec = float64(t.Delivered) / w
	}
}

// WriteText prints the report for people.
func (r *VisitorLoadReport) WriteText(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("kefu bench — %d web visitors × %d messages, %.0f ms apart, against %s", r.Visitors, r.Messages, r.GapMS, r.URL)
	p("  setup      %d agents (websockets); tenant %s, web channel %s", r.Agents, r.TenantID, r.ChannelID)
	p("  connect    %d of %d visitor sockets open (%d failed) in %.1f s at %s; dial → welcome p50 %.1f ms · p99 %.1f ms · max %.1f ms",
		r.Opened, r.Visitors, r.OpenFailures, r.OpenSeconds, rampText(r.Ramp), r.Connect.P50, r.Connect.P99, r.Connect.Max)
	p("  sent       %d messages in %.1f s (offered %.0f/s; %d started >10ms behind schedule, worst %.1f ms)",
		r.Sent, r.SendSeconds, r.OfferedPerSec, r.BehindSchedule, r.MaxScheduleLagMS)
	p("             %d acked, %d not acked%s; %d delivered to agents (%.0f/s)", r.Accepted, r.NoAck, rejected(r.Rejected),
		r.Delivered, r.DeliveredPerSec)
	if r.Resent > 0 {
		p("             %d refused while the hub was busy and sent again %s later, as the widget does (latency counts from the first send)",
			r.Resent, resendAfter)
	}
	r.FirstMessage.write(p, "first msg ", "opens, routes, assigns")
	r.FollowUp.write(p, "follow-up ", "on an assigned conversation")
	p("  integrity  %s", r.Summary())
	p("             %d extra frames · seen-but-not-accepted %d · foreign frames %d", r.ExtraFrames, r.SeenUnaccepted, r.Foreign)
	p("  store      %s", r.AuditLine())
	if r.HubPID != 0 {
		p("  hub        pid %d RSS %.1f MB after setup → %.1f MB at the end (%d visitor sockets still open)",
			r.HubPID, r.RSSBeforeMB, r.RSSEndMB, r.Opened-r.DroppedSockets)
	}
	p("  sockets    agents: %d frames, %d reconnects; visitors: %d dropped by the hub; drain %.0f ms; bench CPU %.1f s",
		r.Frames, r.Reconnects, r.DroppedSockets, r.DrainTook, r.BenchCPUSeconds)
	p("  verdict    %s", r.Line())
}

func (c ClassReport) write(p func(string, ...any), label, what string) {
	p("  %s %d sent, %d acked, %d delivered (%.0f/s; %d of them in conversation.assigned) — %s", label, c.Sent, c.Accepted,
		c.Delivered, c.PerSec, c.InAssignment, what)
	p("             %-19s p50 %.1f · p90 %.1f · p99 %.1f · max %.1f ms", "send → agent frame", c.E2E.P50, c.E2E.P90, c.E2E.P99, c.E2E.Max)
	p("             %-19s p50 %.1f · p90 %.1f · p99 %.1f · max %.1f ms", "send → ack", c.Ack.P50, c.Ack.P90, c.Ack.P99, c.Ack.Max)
	c.Path.write(p, "             ")
}

func rampText(perSec float64) string {
	if perSec <= 0 {
		return "full speed (64 in flight)"
	}
	return fmt.Sprintf("%.0f/s", perSec)
}
