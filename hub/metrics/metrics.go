// Package metrics holds the hub's Prometheus collectors on a registry of
// its own (so tests can run several hubs in one process).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the counters and gauges /metrics exposes.
type Metrics struct {
	Registry   *prometheus.Registry
	Inbound    *prometheus.CounterVec // by channel type and result
	Outbound   *prometheus.CounterVec // by channel type and result
	Routing    *prometheus.CounterVec // by outcome
	WebSockets prometheus.Gauge
	HTTP       *prometheus.CounterVec // by route and status class
	IngestLat  prometheus.Histogram   // seconds from webhook receipt to stored
}

// New registers every collector. busLag is sampled on scrape.
func New(busLag func() float64) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Inbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_inbound_messages_total",
			Help: "Inbound customer messages by channel type and result (stored, duplicate, blocked, failed)."},
			[]string{"channel_type", "result"}),
		Outbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_outbound_deliveries_total",
			Help: "Outbound delivery attempts by channel type and result (delivered, retry, failed)."},
			[]string{"channel_type", "result"}),
		Routing: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_routing_decisions_total",
			Help: "Routing decisions by outcome (assigned, queued, offline)."}, []string{"outcome"}),
		WebSockets: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kefu_websocket_connections",
			Help: "Open agent websocket connections on this process."}),
		HTTP: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_http_requests_total",
			Help: "HTTP requests by route and status class."}, []string{"route", "code"}),
		IngestLat: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kefu_ingest_latency_seconds",
			Help: "Time from webhook receipt to the message being stored.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kefu_bus_lag_messages",
		Help: "Inbound bus messages not yet processed by the hub."}, busLag)
	r.MustRegister(m.Inbound, m.Outbound, m.Routing, m.WebSockets, m.HTTP, m.IngestLat, lag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
