package channels

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Visitor sockets are capped per client address, per channel and per
// process (KEFU_VISITOR_SOCKETS_*): one beyond a cap gets an error frame
// too_many_connections and close code 4429 (the widget waits and retries),
// a closed socket gives its slot back, and agents still connect whatever
// the visitors hold.
func TestWebVisitorSocketCaps(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_TRUSTED_PROXIES"] = "127.0.0.1" // X-Forwarded-For names the visitor's address
		e.Vars["KEFU_VISITOR_SOCKETS_PER_ADDR"] = "3"
		e.Vars["KEFU_VISITOR_SOCKETS_PER_CHANNEL"] = "5"
		e.Vars["KEFU_VISITOR_SOCKETS_MAX"] = "8"
		h := e.Start()
		adm := h.Admin()
		ch1, _ := adm.NewWebChannel(map[string]any{})
		ch2, _ := adm.NewWebChannel(map[string]any{})
		open := func(ch, ip string) *kit.Visitor {
			t.Helper()
			v, w, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{ForwardedFor: ip})
			if err != nil || w["type"] != "welcome" {
				t.Fatalf("visitor from %s on %s: %v %v, want welcome", ip, ch, w, err)
			}
			return v
		}
		refused := func(ch, ip, cap string) {
			t.Helper()
			v, w, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{ForwardedFor: ip})
			if err != nil || w["type"] != "error" || kit.Dig(w, "error", "code") != "too_many_connections" {
				t.Fatalf("visitor from %s on %s beyond the %s cap: %v %v, want error too_many_connections", ip, ch, cap, w, err)
			}
			if code := v.Closed(10 * time.Second); code != 4429 {
				t.Fatalf("beyond the %s cap: close code %d, want 4429", cap, code)
			}
		}
		// Per address: three from 198.51.100.1, the fourth refused.
		first := open(ch1, "198.51.100.1")
		open(ch1, "198.51.100.1")
		open(ch1, "198.51.100.1")
		refused(ch1, "198.51.100.1", "address")
		// A closed socket gives its slot back.
		first.Conn.Close()
		kit.Eventually(t, 10*time.Second, "the closed socket's slot is free", func() bool {
			v, w, err := kit.DialVisitor(t, h.Base, ch1, kit.VisitorOpts{ForwardedFor: "198.51.100.1"})
			if err == nil && w["type"] == "welcome" {
				return true
			}
			if v != nil {
				v.Conn.Close()
			}
			return false
		})
		// Per channel: five on ch1, whatever the address.
		open(ch1, "198.51.100.2")
		open(ch1, "198.51.100.3")
		refused(ch1, "198.51.100.4", "channel")
		// Per process: three more on ch2 make eight; the ninth is refused.
		for i := 0; i < 3; i++ {
			open(ch2, fmt.Sprintf("198.51.100.%d", 10+i))
		}
		refused(ch2, "198.51.100.20", "process")
		// Agents are not visitors: their socket connects and works.
		s := adm.Dial(-1)
		if s == nil {
			t.Fatal("no agent socket while visitors hold every visitor slot")
		}
	})
}
