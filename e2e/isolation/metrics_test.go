package isolation

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// With KEFU_METRICS_ADDR the metrics move to their own listener, which
// serves nothing else; the main listener, without a token configured, does
// not serve them to anyone.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		e := kit.NewEnv(t, m)
		delete(e.Vars, "KEFU_METRICS_TOKEN")
		e.Vars["KEFU_METRICS_ADDR"] = addr
		h := e.Start()
		get := func(u, auth string) (int, string) {
			req, _ := http.NewRequest("GET", u, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		adminToken := "Bearer " + h.Admin().Token
		for _, auth := range []string{"", adminToken, "Bearer " + kit.MetricsToken} {
			if code, body := get(h.Base+"/metrics", auth); code != http.StatusNotFound || strings.Contains(body, "kefu_") {
				t.Errorf("main listener /metrics (Authorization %.12q…): %d %.100s, want 404", auth, code, body)
			}
		}
		if code, body := get("http://"+addr+"/metrics", ""); code != 200 || !strings.Contains(body, "kefu_inbound_messages_total") &&
			!strings.Contains(body, "kefu_bus_lag_messages") {
			t.Errorf("metrics listener /metrics: %d %.200s, want the Prometheus text", code, body)
		}
		if code, _ := get("http://"+addr+"/api/v1/me", adminToken); code != http.StatusNotFound {
			t.Errorf("metrics listener /api/v1/me: %d, want 404 (it serves metrics only)", code)
		}
	})
}
