package configs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env turns a map into the getenv Load takes.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kefu.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load with nothing set = %+v, want Default() %+v", c, Default())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"http_addr", c.HTTPAddr, ":8080"},
		{"data_dir", c.DataDir, "./data"},
		{"embedded", c.Embedded(), true},
		{"signature_tolerance", c.SignatureTolerance.Duration, 5 * time.Minute},
		{"wechat_api_base", c.WechatAPIBase, "https://api.weixin.qq.com"},
		{"wecom_api_base", c.WecomAPIBase, "https://qyapi.weixin.qq.com"},
		{"allow_private_callbacks", c.AllowPrivateCallbacks, false},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("default %s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestExampleFile keeps configs/example.json complete and equal to the defaults.
func TestExampleFile(t *testing.T) {
	c, err := Load(env(map[string]string{"KEFU_CONFIG": "example.json"}))
	if err != nil {
		t.Fatalf("load example.json: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example.json = %+v, want the defaults %+v", c, Default())
	}
	b, err := os.ReadFile("example.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		tag := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		if _, ok := keys[tag]; !ok {
			t.Errorf("example.json lacks %q (Config.%s)", tag, typ.Field(i).Name)
		}
		delete(keys, tag)
	}
	for k := range keys {
		t.Errorf("example.json has %q, which is no Config field", k)
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		key, value string
		got        func(Config) any
		want       any
	}{
		{"KEFU_HTTP_ADDR", "127.0.0.1:9090", func(c Config) any { return c.HTTPAddr }, "127.0.0.1:9090"},
		{"KEFU_PUBLIC_URL", "https://kefu.example.com", func(c Config) any { return c.PublicURL }, "https://kefu.example.com"},
		{"KEFU_DATA_DIR", "/var/lib/kefu", func(c Config) any { return c.DataDir }, "/var/lib/kefu"},
		{"KEFU_DATABASE_URL", "postgres://kefu@db/kefu", func(c Config) any { return c.Embedded() }, false},
		{"KEFU_NATS_URL", "nats://nats:4222", func(c Config) any { return c.NATSURL }, "nats://nats:4222"},
		{"KEFU_BUS_PREFIX", "staging", func(c Config) any { return c.BusPrefix }, "staging"},
		{"KEFU_ADMIN_EMAIL", "boss@example.com", func(c Config) any { return c.AdminEmail }, "boss@example.com"},
		{"KEFU_ADMIN_PASSWORD", "long-enough", func(c Config) any { return c.AdminPassword }, "long-enough"},
		{"KEFU_LOG_LEVEL", "debug", func(c Config) any { return c.LogLevel }, "debug"},
		{"KEFU_SESSION_TTL", "12h", func(c Config) any { return c.SessionTTL.Duration }, 12 * time.Hour},
		{"KEFU_SESSION_RECHECK", "1s", func(c Config) any { return c.SessionRecheck.Duration }, time.Second},
		{"KEFU_SESSION_IDLE", "30m", func(c Config) any { return c.SessionIdle.Duration }, 30 * time.Minute},
		{"KEFU_MAX_BODY_BYTES", "2048", func(c Config) any { return c.MaxBodyBytes }, int64(2048)},
		{"KEFU_SIGNATURE_TOLERANCE", "30s", func(c Config) any { return c.SignatureTolerance.Duration }, 30 * time.Second},
		{"KEFU_ALLOW_PRIVATE_CALLBACKS", "true", func(c Config) any { return c.AllowPrivateCallbacks }, true},
		{"KEFU_INBOX_WORKERS", "8", func(c Config) any { return c.InboxWorkers }, 8},
		{"KEFU_INBOX_MAX_LAG", "500", func(c Config) any { return c.InboxMaxLag }, 500},
		{"KEFU_INBOX_MAX_LAG", "0", func(c Config) any { return c.InboxMaxLag }, 0},
		{"KEFU_WECHAT_API_BASE", "http://127.0.0.1:7001", func(c Config) any { return c.WechatAPIBase }, "http://127.0.0.1:7001"},
		{"KEFU_WEIBO_API_BASE", "http://127.0.0.1:7002", func(c Config) any { return c.WeiboAPIBase }, "http://127.0.0.1:7002"},
		{"KEFU_QQ_API_BASE", "http://127.0.0.1:7003", func(c Config) any { return c.QQAPIBase }, "http://127.0.0.1:7003"},
		{"KEFU_WECOM_API_BASE", "http://127.0.0.1:7004", func(c Config) any { return c.WecomAPIBase }, "http://127.0.0.1:7004"},
		{"KEFU_FCM_API_BASE", "http://127.0.0.1:7007", func(c Config) any { return c.FCMAPIBase }, "http://127.0.0.1:7007"},
		{"KEFU_FCM_OAUTH_BASE", "http://127.0.0.1:7005", func(c Config) any { return c.FCMOAuthBase }, "http://127.0.0.1:7005"},
		{"KEFU_APNS_API_BASE", "http://127.0.0.1:7006", func(c Config) any { return c.APNsAPIBase }, "http://127.0.0.1:7006"},
		{"KEFU_PPROF_ADDR", "127.0.0.1:6060", func(c Config) any { return c.PprofAddr }, "127.0.0.1:6060"},
		{"KEFU_DATABASE_MAX_CONNS", "8", func(c Config) any { return c.DatabaseMaxConns }, 8},
		{"KEFU_METRICS_ADDR", "127.0.0.1:9090", func(c Config) any { return c.MetricsAddr }, "127.0.0.1:9090"},
		{"KEFU_METRICS_TOKEN", "a-scraper-token-42", func(c Config) any { return c.MetricsToken }, "a-scraper-token-42"},
		{"KEFU_VISITOR_SOCKETS_PER_ADDR", "5", func(c Config) any { return c.VisitorSocketsPerAddr }, 5},
		{"KEFU_VISITOR_SOCKETS_PER_CHANNEL", "50", func(c Config) any { return c.VisitorSocketsPerChannel }, 50},
		{"KEFU_VISITOR_SOCKETS_MAX", "900", func(c Config) any { return c.VisitorSocketsMax }, 900},
		{"KEFU_SECRET_KEY", "a2V5", func(c Config) any { return c.SecretKey }, "a2V5"},
		{"KEFU_SECRET_KEY_OLD", " a, b ", func(c Config) any { return strings.Join(c.SecretKeyOld, "|") }, "a|b"},
	}
	for _, tc := range tests {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			vars := map[string]string{tc.key: tc.value}
			if tc.key == "KEFU_DATABASE_URL" {
				vars["KEFU_SECRET_KEY"] = "k" // required with PostgreSQL
			}
			c, err := Load(env(vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tc.got(c); got != tc.want {
				t.Errorf("%s=%s gives %v, want %v", tc.key, tc.value, got, tc.want)
			}
		})
	}
}

// KEFU_NATS_REPLICAS needs an external NATS: the in-process server is one node.
func TestNATSReplicas(t *testing.T) {
	c, err := Load(env(map[string]string{"KEFU_NATS_URL": "nats://n1:4222,nats://n2:4222", "KEFU_NATS_REPLICAS": "3"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.NATSReplicas != 3 {
		t.Errorf("nats_replicas = %d, want 3", c.NATSReplicas)
	}
	if _, err := Load(env(map[string]string{"KEFU_NATS_REPLICAS": "3"})); err == nil || !strings.Contains(err.Error(), "nats_replicas") {
		t.Errorf("3 replicas on the in-process server: %v, want an error about nats_replicas", err)
	}
	c, err = Load(env(map[string]string{"KEFU_CONFIG": writeFile(t, `{"nats_url": "nats://n:4222", "nats_replicas": 5}`)}))
	if err != nil || c.NATSReplicas != 5 {
		t.Errorf("nats_replicas from the file = %d, %v; want 5", c.NATSReplicas, err)
	}
}

func TestFileThenEnv(t *testing.T) {
	path := writeFile(t, `{"http_addr": ":9000", "log_level": "debug", "session_ttl": 90,
		"signature_tolerance": "2m", "inbox_workers": 4, "allow_private_callbacks": true}`)
	c, err := Load(env(map[string]string{"KEFU_CONFIG": path, "KEFU_HTTP_ADDR": ":9100", "KEFU_INBOX_WORKERS": "16"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"http_addr (env over file)", c.HTTPAddr, ":9100"},
		{"inbox_workers (env over file)", c.InboxWorkers, 16},
		{"log_level (file)", c.LogLevel, "debug"},
		{"session_ttl (file, seconds)", c.SessionTTL.Duration, 90 * time.Second},
		{"signature_tolerance (file, string)", c.SignatureTolerance.Duration, 2 * time.Minute},
		{"allow_private_callbacks (file)", c.AllowPrivateCallbacks, true},
		{"data_dir (default)", c.DataDir, "./data"},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"missing file", map[string]string{"KEFU_CONFIG": "/nonexistent/kefu.json"}, "read config file"},
		{"bad duration", map[string]string{"KEFU_SESSION_TTL": "a while"}, "KEFU_SESSION_TTL"},
		{"bad tolerance", map[string]string{"KEFU_SIGNATURE_TOLERANCE": "5"}, "KEFU_SIGNATURE_TOLERANCE"},
		{"bad int", map[string]string{"KEFU_MAX_BODY_BYTES": "1MB"}, "KEFU_MAX_BODY_BYTES"},
		{"bad workers", map[string]string{"KEFU_INBOX_WORKERS": "many"}, "KEFU_INBOX_WORKERS"},
		{"bad replicas", map[string]string{"KEFU_NATS_REPLICAS": "three"}, "KEFU_NATS_REPLICAS"},
		{"bad max lag", map[string]string{"KEFU_INBOX_MAX_LAG": "10k"}, "KEFU_INBOX_MAX_LAG"},
		{"bad bool", map[string]string{"KEFU_ALLOW_PRIVATE_CALLBACKS": "maybe"}, "KEFU_ALLOW_PRIVATE_CALLBACKS"},
		{"profiler on a public address", map[string]string{"KEFU_PPROF_ADDR": ":6060"}, "pprof_addr"},
		{"negative pool", map[string]string{"KEFU_DATABASE_MAX_CONNS": "-1"}, "database_max_conns"},
		{"profiler on another host", map[string]string{"KEFU_PPROF_ADDR": "10.0.0.5:6060"}, "pprof_addr"},
		{"metrics address without a port", map[string]string{"KEFU_METRICS_ADDR": "127.0.0.1"}, "metrics_addr"},
		{"short metrics token", map[string]string{"KEFU_METRICS_TOKEN": "short"}, "metrics_token"},
		{"no visitor sockets", map[string]string{"KEFU_VISITOR_SOCKETS_PER_ADDR": "0"}, "visitor_sockets_per_addr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.vars))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("malformed file", func(t *testing.T) {
		_, err := Load(env(map[string]string{"KEFU_CONFIG": writeFile(t, `{"http_addr": `)}))
		if err == nil || !strings.Contains(err.Error(), "parse config file") {
			t.Errorf("Load error = %v, want a parse error", err)
		}
	})
	t.Run("bad duration in file", func(t *testing.T) {
		_, err := Load(env(map[string]string{"KEFU_CONFIG": writeFile(t, `{"session_ttl": "soon"}`)}))
		if err == nil {
			t.Error("Load accepted session_ttl \"soon\"")
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"cluster", func(c *Config) {
			c.DatabaseURL, c.NATSURL, c.SecretKey = "postgres://u:p@db/kefu", "nats://nats:4222", "k"
		}, ""},
		{"cluster without a secret key", func(c *Config) { c.DatabaseURL, c.NATSURL = "postgres://u:p@db/kefu", "nats://nats:4222" }, "KEFU_SECRET_KEY"},
		{"postgresql scheme", func(c *Config) { c.DatabaseURL, c.SecretKey = "postgresql://db/kefu", "k" }, ""},
		{"tls nats", func(c *Config) { c.NATSURL = "tls://nats:4222" }, ""},
		{"no data dir in cluster", func(c *Config) {
			c.DatabaseURL, c.NATSURL, c.DataDir, c.SecretKey = "postgres://db/kefu", "nats://n:4222", "", "k"
		}, ""},
		{"no data dir with in-process NATS", func(c *Config) { c.DatabaseURL, c.DataDir = "postgres://db/kefu", "" }, "data_dir"},
		{"zero session ttl", func(c *Config) { c.SessionTTL.Duration = 0 }, "session_ttl"},
		{"zero session recheck", func(c *Config) { c.SessionRecheck.Duration = 0 }, "session_recheck"},
		{"negative session idle", func(c *Config) { c.SessionIdle.Duration = -time.Second }, "session_idle"},
		{"no session idle", func(c *Config) { c.SessionIdle.Duration = 0 }, ""},
		{"empty http_addr", func(c *Config) { c.HTTPAddr = "" }, "http_addr"},
		{"no data dir embedded", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"mysql", func(c *Config) { c.DatabaseURL = "mysql://db/kefu" }, "database_url"},
		{"nats scheme", func(c *Config) { c.NATSURL = "http://nats:4222" }, "nats_url"},
		{"empty prefix", func(c *Config) { c.BusPrefix = "" }, "bus_prefix"},
		{"dotted prefix", func(c *Config) { c.BusPrefix = "a.b" }, "bus_prefix"},
		{"wildcard prefix", func(c *Config) { c.BusPrefix = "kefu>" }, "bus_prefix"},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 100 }, "max_body_bytes"},
		{"no workers", func(c *Config) { c.InboxWorkers = 0 }, "inbox_workers"},
		{"too many workers", func(c *Config) { c.InboxWorkers = 2000 }, "inbox_workers"},
		{"1000 partitions", func(c *Config) { c.InboxPartitions = 1000 }, ""},
		{"more partitions than a stream's consumers", func(c *Config) { c.InboxPartitions = 1001 }, "inbox_partitions"},
		{"short admin password", func(c *Config) { c.AdminPassword = "short" }, "admin_password"},
		{"3 replicas on a cluster", func(c *Config) { c.NATSURL, c.NATSReplicas = "nats://n:4222", 3 }, ""},
		{"no replicas", func(c *Config) { c.NATSURL, c.NATSReplicas = "nats://n:4222", 0 }, "nats_replicas"},
		{"too many replicas", func(c *Config) { c.NATSURL, c.NATSReplicas = "nats://n:4222", 6 }, "nats_replicas"},
		{"replicas on the in-process NATS", func(c *Config) { c.NATSReplicas = 3 }, "nats_replicas"},
		{"backpressure off", func(c *Config) { c.InboxMaxLag = 0 }, ""},
		{"negative max lag", func(c *Config) { c.InboxMaxLag = -1 }, "inbox_max_lag"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"no fcm base", func(c *Config) { c.FCMAPIBase = "" }, "fcm_api_base"},
		{"apns base without scheme", func(c *Config) { c.APNsAPIBase = "127.0.0.1:7006" }, "apns_api_base"},
		{"oauth base ftp", func(c *Config) { c.FCMOAuthBase = "ftp://relay" }, "fcm_oauth_base"},
		{"apns cleartext relay", func(c *Config) { c.APNsAPIBase = "http://127.0.0.1:7006" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate = %v, want an error about %s", err, tc.want)
			}
		})
	}
	t.Run("reports every problem", func(t *testing.T) {
		c := Default()
		c.HTTPAddr, c.InboxWorkers = "", 0
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "http_addr") || !strings.Contains(err.Error(), "inbox_workers") {
			t.Errorf("Validate = %v, want both http_addr and inbox_workers", err)
		}
	})
	t.Run("Load validates", func(t *testing.T) {
		if _, err := Load(env(map[string]string{"KEFU_LOG_LEVEL": "loud"})); err == nil {
			t.Error("Load accepted KEFU_LOG_LEVEL=loud")
		}
	})
}

func TestLogValueMasksSecrets(t *testing.T) {
	c := Default()
	c.DatabaseURL = "postgres://kefu:db-s3cret@db.internal:5432/kefu"
	c.NATSURL = "nats://hub:nats-s3cret@nats.internal:4222"
	c.AdminPassword = "admin-s3cret"
	c.SecretKey, c.SecretKeyOld = "key-s3cret", []string{"old-s3cret"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"db-s3cret", "nats-s3cret", "admin-s3cret", "key-s3cret", "old-s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("logged config reveals %q: %s", secret, out)
		}
	}
	for _, want := range []string{"postgres://***@db.internal:5432/kefu", "nats://***@nats.internal:4222",
		`"admin_password_set":true`, `"http_addr":":8080"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logged config lacks %s: %s", want, out)
		}
	}
}

func TestMaskURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"postgres://db/kefu", "postgres://db/kefu"},
		{"postgres://u:p@db/kefu", "postgres://***@db/kefu"},
		{"nats://token@nats:4222", "nats://***@nats:4222"},
	}
	for _, tc := range tests {
		if got := maskURL(tc.in); got != tc.want {
			t.Errorf("maskURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"90s"`, 90 * time.Second, false},
		{`"1h30m"`, 90 * time.Minute, false},
		{`30`, 30 * time.Second, false},
		{`0.5`, 500 * time.Millisecond, false},
		{`"soon"`, 0, true},
		{`true`, 0, true},
	}
	for _, tc := range tests {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.wantErr || (!tc.wantErr && d.Duration != tc.want) {
			t.Errorf("unmarshal %s = %v, %v; want %v (error %v)", tc.in, d.Duration, err, tc.want, tc.wantErr)
		}
	}
	b, _ := json.Marshal(Duration{5 * time.Minute})
	if string(b) != `"5m0s"` {
		t.Errorf("marshal 5m = %s", b)
	}
}
