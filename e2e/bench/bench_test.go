package bench

import (
	"errors"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	ok := []string{"http://127.0.0.1:8080", "http://127.3.4.5", "https://localhost:8443/x?y=1", "http://LOCALHOST.",
		"http://[::1]:8080", "http://[::ffff:127.0.0.1]:80"}
	for _, u := range ok {
		got, err := CheckLoopback(u)
		if err != nil {
			t.Errorf("CheckLoopback(%q): %v", u, err)
			continue
		}
		if got.Path != "" || got.RawQuery != "" {
			t.Errorf("CheckLoopback(%q) kept path or query: %s", u, got)
		}
	}
	refused := []string{"http://example.com", "http://10.0.0.1:8080", "http://0.0.0.0:8080", "http://[::]:8080",
		"http://192.168.1.2", "http://localhost.example.com", "http://127.0.0.1.nip.io", "ftp://127.0.0.1",
		"http://user:pw@127.0.0.1", "127.0.0.1:8080", "http://[fe80::1%25lo]:80"}
	for _, u := range refused {
		if _, err := CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%q) accepted a non-loopback target", u)
		}
	}
	if _, err := CheckLoopback("http://8.8.8.8"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("want ErrNotLoopback, got %v", err)
	}
	if err := (Config{URL: "http://example.com"}).Validate(); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Validate does not apply the loopback guard: %v", err)
	}
}

func TestAgentCapacity(t *testing.T) {
	for _, c := range []struct{ customers, agents, want int }{{200, 20, 21}, {1, 20, 3}, {5000, 5, 1000}, {7, 2, 9}} {
		if got := agentCapacity(c.customers, c.agents); got != c.want {
			t.Errorf("agentCapacity(%d, %d) = %d, want %d", c.customers, c.agents, got, c.want)
		}
		if got := agentCapacity(c.customers, c.agents); got*c.agents < c.customers {
			t.Errorf("agentCapacity(%d, %d) = %d cannot seat every customer", c.customers, c.agents, got)
		}
	}
}
