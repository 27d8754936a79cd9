package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// callbackSink stands in for the integrator's callback URL on loopback: it
// answers 204 to every signed delivery (conversation events, replies) so
// the hub's outbound path runs as it would in production.
type callbackSink struct {
	URL string
	got atomic.Int64
	srv *http.Server
}

func startCallbackSink() (*callbackSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("callback sink: %w", err)
	}
	s := &callbackSink{URL: "http://" + ln.Addr().String() + "/callback"}
	s.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		s.got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *callbackSink) close() { _ = s.srv.Close() }
