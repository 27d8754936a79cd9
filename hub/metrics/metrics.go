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
		Help: "Inbound bus messages not yet processed by the hub (every unacknowledged one, also of partitions whose consumer is missing)."}, busLag)
	r.MustRegister(m.Inbound, m.Outbound, m.Routing, m.WebSockets, m.HTTP, m.IngestLat, lag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// BusHealth is what the bus's checks found (bus.Health), for its gauges.
type BusHealth struct {
	Consuming, Backpressure              bool
	MissingStreams, MissingConsumers     int
	RecreatedStreams, RecreatedConsumers uint64
}

// WatchBus exports the bus's health, read at every scrape: whether this
// process consumes, backpressure, what is missing and what was recreated.
func (m *Metrics) WatchBus(health func() BusHealth) {
	gauge := func(name, help string, v func(BusHealth) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(health()) })
	}
	counter := func(name, help string, v func(BusHealth) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(health())) })
	}
	m.Registry.MustRegister(
		gauge("kefu_bus_consuming", "1 when this process consumes every durable bus topic (connected, streams and consumers present, subscribed).",
			func(h BusHealth) float64 { return bit(h.Consuming) }),
		gauge("kefu_inbox_backpressure", "1 while inbound messages are refused with 503 + Retry-After because too many wait (KEFU_INBOX_MAX_LAG).",
			func(h BusHealth) float64 { return bit(h.Backpressure) }),
		gauge("kefu_bus_missing_streams", "Bus streams the last check could neither find nor recreate.",
			func(h BusHealth) float64 { return float64(h.MissingStreams) }),
		gauge("kefu_bus_missing_consumers", "Bus consumers the last check could neither find nor recreate (their partitions are not consumed).",
			func(h BusHealth) float64 { return float64(h.MissingConsumers) }),
		counter("kefu_bus_recreated_streams_total", "Bus streams found missing (a NATS store lost) and recreated.",
			func(h BusHealth) uint64 { return h.RecreatedStreams }),
		counter("kefu_bus_recreated_consumers_total", "Bus consumers found missing (a NATS restart or store lost) and recreated.",
			func(h BusHealth) uint64 { return h.RecreatedConsumers }),
	)
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
