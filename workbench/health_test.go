package workbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/metrics"
)

// /readyz names the dependency that is down and never shows the raw error
// (driver messages with host:port, NATS URLs), even for an error that is
// not a Down.
func TestReadyzNamesDependencyWithoutInternals(t *testing.T) {
	raw := errors.New("dial tcp 10.9.8.7:5432: connect: connection refused (postgres://kefu:s3cret@db.internal:5432/kefu)")
	for name, c := range map[string]struct {
		err  error
		want []string
	}{
		"plain error": {raw, []string{"hub"}},
		"database":    {errors.Join(&Down{Dependency: "database", Reason: "unreachable", Err: raw}), []string{"database"}},
		"database and bus": {errors.Join(&Down{Dependency: "database", Reason: "unreachable", Err: raw},
			&Down{Dependency: "bus", Reason: "not consuming", Err: fmt.Errorf("nats: no servers available: nats://10.9.8.7:4222")}),
			[]string{"database", "bus"}},
	} {
		s := New(Deps{Ready: func(context.Context) error { return c.err }})
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		body := rec.Body.String()
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: /readyz %d, want 503", name, rec.Code)
		}
		for _, secret := range []string{"10.9.8.7", "5432", "4222", "s3cret", "db.internal", "dial tcp"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: /readyz shows %q: %s", name, secret, body)
			}
		}
		var got struct{ Down map[string]string }
		json.Unmarshal(rec.Body.Bytes(), &got)
		for _, dep := range c.want {
			if got.Down[dep] == "" {
				t.Errorf("%s: /readyz does not name %s as down: %s", name, dep, body)
			}
		}
	}
	s := New(Deps{Ready: func(context.Context) error { return nil }})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Fatalf("/readyz %d when ready", rec.Code)
	}
}

// /metrics is not public: without a token configured the main listener
// does not serve it; with one, only a request bearing it gets the metrics.
func TestMetricsNeedTheBearerToken(t *testing.T) {
	get := func(s *Server, auth string) (int, string) {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	m := metrics.New(func() float64 { return 0 })
	if code, body := get(New(Deps{Metrics: m}), ""); code != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics without a token configured: %d %.100s, want 404", code, body)
	}
	s := New(Deps{Metrics: m, MetricsToken: "scrape-token-0123456789"})
	for _, auth := range []string{"", "Bearer wrong", "Bearer scrape-token-012345678", "scrape-token-0123456789"} {
		if code, body := get(s, auth); code != http.StatusUnauthorized || strings.Contains(body, "go_goroutines") {
			t.Errorf("/metrics with Authorization %q: %d %.100s, want 401", auth, code, body)
		}
	}
	if code, body := get(s, "Bearer scrape-token-0123456789"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics with the token: %d %.100s, want the metrics", code, body)
	}
}
