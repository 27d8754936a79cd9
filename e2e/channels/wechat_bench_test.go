package channels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// BenchmarkWechatSafePush drives an embedded hub with safe-mode (encrypted)
// pushes from the fake WeChat at a fixed rate (KEFU_BENCH_RATE pushes/s,
// default 500), open loop, from 200 customers; every tenth push is sent
// twice at once, as WeChat's retries are. It reports the rate achieved, the
// time to acknowledge (p50, p99, max), and how many messages were lost or
// stored twice (both must be 0).
//
//	go test -run '^$' -bench BenchmarkWechatSafePush -benchtime 5000x ./e2e/channels/
func BenchmarkWechatSafePush(b *testing.B) {
	rate := 500
	if v, err := strconv.Atoi(os.Getenv("KEFU_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	fake := wechattest.New(b)
	e := kit.NewEnv(b, kit.Embedded)
	e.Vars["KEFU_WECHAT_API_BASE"], e.Vars["KEFU_LOG_LEVEL"] = fake.URL, "error"
	base := e.Start().Base
	adm := benchLogin(b, base, "admin@kefu.test", "admin-pass-1")
	benchCall(b, base, adm, "POST", "/api/v1/agents", map[string]any{"email": "bench@kefu.test", "password": "agent-pass-1",
		"name": "bench", "max_chats": 1000})
	agent := benchLogin(b, base, "bench@kefu.test", "agent-pass-1")
	benchCall(b, base, agent, "PUT", "/api/v1/me/status", map[string]any{"status": "online"})
	app := fake.NewApp("safe")
	ch := benchCall(b, base, adm, "POST", "/api/v1/channels", map[string]any{"type": "wechat", "name": "bench",
		"config": map[string]any{"app_id": app.AppID, "app_secret": app.Secret, "mode": "safe"}})
	setup := ch["setup"].(map[string]any)
	app.Token, app.AESKey = setup["token"].(string), setup["encoding_aes_key"].(string)
	fake.AddApp(app)
	url := ch["webhook_url"].(string)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: time.Minute}

	firstID := time.Now().UnixNano() / 1000
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
		m := wechattest.Text(fmt.Sprintf("obench%03d", i%200), "压测消息 "+strconv.Itoa(i), firstID+int64(i))
		for c := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := wechattest.Push(client, url, app, m, wechattest.PushOpts{})
				if c == 0 {
					lat[i] = r.Took
				}
				if !r.OK() {
					failed.Add(1)
				}
			}()
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

// benchStored waits until the channel holds want inbound messages (or
// stops growing) and returns how many it holds.
func benchStored(b *testing.B, e *kit.Env, channelID string, want int) int {
	d := kit.StoreDB(b, e)
	n, last, since := 0, -1, time.Now()
	for time.Since(since) < 10*time.Second {
		q := d.Rebind(`SELECT COUNT(*) FROM messages WHERE channel_id = ? AND direction = 'in'`)
		if err := d.Get(&n, q, channelID); err != nil {
			b.Fatal(err)
		}
		if n >= want {
			time.Sleep(500 * time.Millisecond) // a duplicate would show up now
			d.Get(&n, q, channelID)
			return n
		}
		if n != last {
			last, since = n, time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return n
}

func benchLogin(b *testing.B, base, email, pw string) string {
	return benchCall(b, base, "", "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": pw})["token"].(string)
}

func benchCall(b *testing.B, base, token, method, path string, body any) map[string]any {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, out)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	return m
}
