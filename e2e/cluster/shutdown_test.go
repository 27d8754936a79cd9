package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
	"github.com/kefu-hub/kefu/e2e/kit/lb"
)

// Hubs are stopped with SIGINT (a deploy, a scale-down) while customers
// post through the load balancer, twice each: every stop exits cleanly (no
// panic as messages keep arriving), nothing acknowledged is lost or stored
// twice, and no message in flight at the stop is parked in
// failed_messages ("context canceled") — it is finished, or handed back
// and stored by a hub that runs.
// It runs alone, before the parallel tests: its hubs (up to 32 PostgreSQL
// connections each) share the server with the rest of the suite.
func TestStopUnderLoadFailsNothing(t *testing.T) {
	n := kit.StartNATS(t)
	e := env(t, n.URL())
	hubs := []*kit.Hub{e.Start(), e.Start()}
	kit.DropIdleConns(t)
	proxy := lb.New(t, hubs...)
	adm := &kit.Client{T: t, Base: proxy.Base, Token: hubs[0].Admin().Token}
	adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"})
	ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售前"})
	agent := adm.NewAgent("s1@kefu.test", 100, "售前")
	agent.SetStatus("online")
	sock := agent.ResumingDial() // events keep flowing to both hubs' broadcast subscriptions

	p := newPlatform(t, ch, proxy.Base)
	for c := 0; c < 12; c++ {
		p.customer(fmt.Sprintf("s%d", c), 10000, 20*time.Millisecond)
	}
	logs := []string{hubs[0].Log, hubs[1].Log}
	stops := 0
	for round := 0; round < 2; round++ {
		for i, h := range hubs {
			at := p.count() + 60
			kit.Eventually(t, 30*time.Second, "posting under way", func() bool { return p.count() >= at })
			h.Stop() // fails the test unless it exits 0 within 15 s
			stops++
			if n := logLines(t, h.Log, "panic"); n > 0 {
				t.Fatalf("hub %s panicked while stopping", h.Addr)
			}
			hubs[i] = e.StartAt(h.Addr)
			logs = append(logs, hubs[i].Log)
		}
	}
	at := p.count() + 60
	kit.Eventually(t, 30*time.Second, "posting after the last restart", func() bool { return p.count() >= at })
	p.halt()
	p.wait()
	auditStored(t, e, ch.ID, p.all(), 45*time.Second)
	for _, log := range logs { // a clean stop logs no error (routing may warn it was interrupted)
		if lines := matching(t, log, "level=ERROR"); len(lines) > 0 {
			t.Errorf("%s: %d error lines:\n%s", log, len(lines), strings.Join(lines, "\n"))
		}
	}
	t.Logf("%d stops; %d messages acknowledged; refused answers: %v; agent reconnected %d times",
		stops, len(p.all()), p.answers(), sock.Reconnects())
}
