// Package lb is the tests' load balancer: a reverse proxy in front of
// several hub processes of one cluster.
package lb

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Proxy is a round-robin reverse proxy (HTTP and websockets) in front of
// several hubs, as a load balancer would be: a hub that refuses connections
// is skipped for a few seconds and the request goes to the next one (it was
// never sent, so even a POST may move); a request the hub dropped midway
// gets 502, which a platform retries. Clients use Base as the hub's address.
type Proxy struct {
	Base     string
	mu       sync.Mutex
	backends []string // host:port
	down     map[string]time.Time
	next     int
	upgrades []string // the backend of each websocket, in order
	srv      *http.Server
}

// Upgrades lists the hub address each websocket went to, in the order
// they were opened.
func (p *Proxy) Upgrades() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.upgrades...)
}

// New listens on a free loopback port until the test ends.
func New(t testing.TB, hubs ...*kit.Hub) *Proxy {
	t.Helper()
	p := &Proxy{down: map[string]time.Time{}}
	for _, h := range hubs {
		p.backends = append(p.backends, h.Addr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Base = "http://" + ln.Addr().String()
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "backend" },
		Transport: balancer{p, &http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: 30 * time.Second}},
		ErrorLog:  log.New(io.Discard, "", 0), // dropped websockets of killed hubs are expected
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: bufferBody(rp), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

// pick is the next backend in turn that was not refusing lately.
func (p *Proxy) pick(tried map[string]bool) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.backends {
		b := p.backends[p.next%len(p.backends)]
		p.next++
		if !tried[b] && time.Now().After(p.down[b]) {
			return b
		}
	}
	for _, b := range p.backends { // all resting: try one not tried yet anyway
		if !tried[b] {
			return b
		}
	}
	return ""
}

func (p *Proxy) refused(backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[backend] = time.Now().Add(3 * time.Second)
}

// balancer sends each request to a backend in turn, moving to the next
// when one refuses the connection.
type balancer struct {
	p  *Proxy
	tr *http.Transport
}

func (bl balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	tried := map[string]bool{}
	var lastErr error
	for {
		b := bl.p.pick(tried)
		if b == "" {
			return nil, lastErr
		}
		tried[b] = true
		out := req.Clone(req.Context())
		out.URL.Host, out.Host = b, b
		if req.GetBody != nil {
			out.Body, _ = req.GetBody()
		}
		res, err := bl.tr.RoundTrip(out)
		var op *net.OpError
		if err != nil && errors.As(err, &op) && op.Op == "dial" {
			bl.p.refused(b)
			lastErr = err
			continue
		}
		if err == nil && res.StatusCode == http.StatusSwitchingProtocols {
			bl.p.mu.Lock()
			bl.p.upgrades = append(bl.p.upgrades, b)
			bl.p.mu.Unlock()
		}
		return res, err
	}
}

// bufferBody reads request bodies into memory so that a request can be
// sent again to another backend.
func bufferBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
			if err != nil {
				http.Error(w, "proxy: read body", http.StatusBadRequest)
				return
			}
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
		next.ServeHTTP(w, r)
	})
}
