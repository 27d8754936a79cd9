package channels

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/qq/qqtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// BenchmarkQQPush drives an embedded hub with Ed25519-signed C2C
// dispatches from the fake QQ platform at a fixed rate (KEFU_BENCH_RATE
// per second, default 500), open loop, from 200 users; every tenth is sent
// twice at once, as the platform's overlapping retries are. It reports the
// rate achieved, the time to the {"op":12,"d":0} acknowledgement (p50, p99,
// max), and how many messages were lost or stored twice (both must be 0).
//
//	go test -run '^$' -bench BenchmarkQQPush -benchtime 5000x ./e2e/channels/
func BenchmarkQQPush(b *testing.B) {
	rate := 500
	if v, err := strconv.Atoi(os.Getenv("KEFU_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	fake := qqtest.New(b)
	e := kit.NewEnv(b, kit.Embedded)
	e.Vars["KEFU_QQ_API_BASE"], e.Vars["KEFU_LOG_LEVEL"] = fake.URL, "error"
	base := e.Start().Base
	adm := benchLogin(b, base, "admin@kefu.test", "admin-pass-1")
	benchCall(b, base, adm, "POST", "/api/v1/agents", map[string]any{"email": "bench@kefu.test", "password": "agent-pass-1",
		"name": "bench", "max_chats": 1000})
	agent := benchLogin(b, base, "bench@kefu.test", "agent-pass-1")
	benchCall(b, base, agent, "PUT", "/api/v1/me/status", map[string]any{"status": "online"})
	app := fake.NewApp()
	ch := benchCall(b, base, adm, "POST", "/api/v1/channels", map[string]any{"type": "qq", "name": "bench",
		"config": map[string]any{"app_id": app.AppID, "app_secret": app.Secret}})
	url := ch["webhook_url"].(string)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: time.Minute}

	run := kit.RandHex(4)
	lat := make([]time.Duration, b.N)
	var failed atomic.Int64
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		copies := 1
		if i%10 == 0 {
			copies = 2
		}
		pl := qqtest.C2C(fmt.Sprintf("UBENCH%03d", i%200), fmt.Sprintf("ROBOT1.0_%s_%d", run, i), "压测消息 "+strconv.Itoa(i))
		for c := range copies {
			wg.Go(func() {
				t0 := time.Now()
				r := qqtest.Send(client, url, app, pl, qqtest.Opts{})
				if c == 0 {
					lat[i] = time.Since(t0)
				}
				if !r.Acked() {
					failed.Add(1)
				}
			})
		}
	}
	wg.Wait()
	sent := time.Since(start)
	stored := benchStored(b, e, ch["id"].(string), b.N)
	b.StopTimer()

	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/sent.Seconds(), "pushes/s")
	b.ReportMetric(pct(0.50), "p50-ack-ms")
	b.ReportMetric(pct(0.99), "p99-ack-ms")
	b.ReportMetric(pct(1), "max-ack-ms")
	b.ReportMetric(float64(failed.Load()), "not-acked")
	b.ReportMetric(float64(b.N-stored), "lost")
	b.ReportMetric(float64(max(stored-b.N, 0)), "duplicated")
	if stored != b.N || failed.Load() != 0 {
		b.Errorf("%d pushes, %d stored, %d not acknowledged", b.N, stored, failed.Load())
	}
}
