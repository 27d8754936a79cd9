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

	"github.com/kefu-hub/kefu/connectors/wecom/wecomtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// BenchmarkWecomKfCallback drives an embedded hub from the fake WeCom at a
// fixed rate (KEFU_BENCH_RATE per second, default 500), open loop: each
// push is one customer message (from 200 customers) added to the account
// and an encrypted, signed kf_msg_or_event callback; every tenth callback
// is sent twice at once, as WeCom's overlapping retries are. The hub
// pulls sync_msg from its stored cursor (one pull at a time per channel:
// callbacks during a pull make its holder pull again). It reports the rate
// achieved, the time to the "success" answer (p50, p99, max), and how
// many messages were lost or stored twice (both must be 0).
//
//	go test -tags=ne -run '^$' -bench BenchmarkWecomKfCallback -benchtime 5000x ./e2e/channels/
func BenchmarkWecomKfCallback(b *testing.B) {
	rate := 500
	if v, err := strconv.Atoi(os.Getenv("KEFU_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	fake := wecomtest.New(b)
	e := kit.NewEnv(b, kit.Embedded)
	e.Vars["KEFU_WECOM_API_BASE"], e.Vars["KEFU_LOG_LEVEL"] = fake.URL, "warn"
	base := e.Start().Base
	adm := benchLogin(b, base, "admin@kefu.test", "admin-pass-1")
	benchCall(b, base, adm, "POST", "/api/v1/agents", map[string]any{"email": "bench@kefu.test", "password": "agent-pass-1",
		"name": "bench", "max_chats": 1000})
	agent := benchLogin(b, base, "bench@kefu.test", "agent-pass-1")
	benchCall(b, base, agent, "PUT", "/api/v1/me/status", map[string]any{"status": "online"})
	a := fake.NewAccount()
	ch := benchCall(b, base, adm, "POST", "/api/v1/channels", map[string]any{"type": "wecom_kf", "name": "bench",
		"config": map[string]any{"corp_id": a.CorpID, "secret": a.Secret, "open_kfid": a.OpenKfID}})
	setup := ch["setup"].(map[string]any)
	a.Token, a.EncodingAESKey = setup["token"].(string), setup["encoding_aes_key"].(string)
	fake.BindAccount(a)
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
		fake.Add(a.OpenKfID, wecomtest.Text(fmt.Sprintf("%s_%d", run, i), fmt.Sprintf("wmBENCH%03d", i%200), "压测消息 "+strconv.Itoa(i)))
		copies := 1
		if i%10 == 0 {
			copies = 2
		}
		for c := range copies {
			wg.Go(func() {
				t0 := time.Now()
				r := fake.Notify(url, a, wecomtest.Opts{Client: client})
				if c == 0 {
					lat[i] = time.Since(t0)
				}
				if !r.OK() && failed.Add(1) <= 3 {
					b.Logf("callback answered %d %s", r.Status, r.Body)
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
