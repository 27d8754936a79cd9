// Package configs holds Kefu's one typed configuration: defaults, then an
// optional file, then KEFU_* environment variables, then Validate.
package configs

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the hub reads. Field comments say what each one is for.
type Config struct {
	// HTTPAddr is where the HTTP server listens (KEFU_HTTP_ADDR).
	HTTPAddr string `json:"http_addr"`
	// PublicURL is the base URL users and platforms reach the hub at; webhook
	// URLs handed to admins are built from it (KEFU_PUBLIC_URL).
	PublicURL string `json:"public_url"`
	// DataDir holds the SQLite file, the embedded NATS store and uploads (KEFU_DATA_DIR).
	DataDir string `json:"data_dir"`
	// DatabaseURL switches to PostgreSQL when set to postgres://… (KEFU_DATABASE_URL).
	DatabaseURL string `json:"database_url"`
	// NATSURL switches the bus to an external NATS JetStream when set (KEFU_NATS_URL).
	NATSURL string `json:"nats_url"`
	// BusPrefix namespaces the bus streams so several hubs can share one NATS (KEFU_BUS_PREFIX).
	BusPrefix string `json:"bus_prefix"`
	// NATSReplicas is how many JetStream servers keep each bus stream (and
	// its consumers): 3 on a 3-node cluster survives losing a node. Streams
	// are created, and updated, with it; every process of a cluster must use
	// the same value. The in-process server is one node: 1 (KEFU_NATS_REPLICAS).
	NATSReplicas int `json:"nats_replicas"`
	// AdminEmail and AdminPassword seed the first tenant's admin on first start.
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password"`
	// SecretKey encrypts the secrets the hub stores (channel, two-factor and
	// webhook secrets): 32 bytes in base64 or hex (KEFU_SECRET_KEY).
	// Required with PostgreSQL; embedded mode without it keeps a generated
	// key in DataDir/secret.key.
	SecretKey string `json:"secret_key"`
	// SecretKeyOld are earlier keys, still accepted to read secrets while
	// the hub re-seals them with SecretKey at start-up (KEFU_SECRET_KEY_OLD,
	// comma-separated).
	SecretKeyOld []string `json:"secret_key_old"`
	// LogLevel is debug, info, warn or error (KEFU_LOG_LEVEL).
	LogLevel string `json:"log_level"`
	// SessionTTL is how long an agent login token lives (KEFU_SESSION_TTL).
	SessionTTL Duration `json:"session_ttl"`
	// SessionIdle ends a login session not used for this long, within its
	// TTL; an open workbench socket counts as use. 0 turns it off
	// (KEFU_SESSION_IDLE).
	SessionIdle Duration `json:"session_idle"`
	// AuditRetention is how long audit log entries are kept; older ones are
	// deleted hourly. 0 keeps them forever (KEFU_AUDIT_RETENTION).
	AuditRetention Duration `json:"audit_retention"`
	// SessionRecheck is how often an open agent socket checks that its
	// session still stands: a disabled agent, a password reset or a logout
	// elsewhere ends the socket within this time (KEFU_SESSION_RECHECK).
	SessionRecheck Duration `json:"session_recheck"`
	// MaxBodyBytes bounds every inbound webhook body; larger gets 413 (KEFU_MAX_BODY_BYTES).
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// SignatureTolerance is how old a signed webhook timestamp may be (KEFU_SIGNATURE_TOLERANCE).
	SignatureTolerance Duration `json:"signature_tolerance"`
	// AllowPrivateCallbacks lets callback URLs point at loopback/private addresses.
	// Off by default (SSRF guard); tests and single-host installs turn it on
	// (KEFU_ALLOW_PRIVATE_CALLBACKS).
	AllowPrivateCallbacks bool `json:"allow_private_callbacks"`
	// DatabaseMaxConns bounds the PostgreSQL connections this process opens
	// (and keeps); 0 sizes the pool from the CPUs (16 to 32). Several hubs
	// share the server's connection limit (KEFU_DATABASE_MAX_CONNS).
	DatabaseMaxConns int `json:"database_max_conns"`
	// InboxWorkers is how many outbound bus messages are processed at once (KEFU_INBOX_WORKERS).
	InboxWorkers int `json:"inbox_workers"`
	// InboxPartitions is how many ordered inbound partitions the bus has: a
	// customer's messages stay in order within one, and up to this many
	// messages are stored in one batch. Every process of a cluster must use
	// the same value (KEFU_INBOX_PARTITIONS). Each partition is a consumer
	// of the inbound stream, and NATS (2.11 on, the embedded server too)
	// allows a stream 1,000 consumers unless told otherwise: at most 1,000.
	InboxPartitions int `json:"inbox_partitions"`
	// InboxMaxLag is how many inbound messages may wait unprocessed before
	// the hub pushes back: webhooks get 503 with Retry-After (platforms
	// retry) and /readyz reports it, until the inbox has caught up to three
	// quarters of it; 0 never pushes back (KEFU_INBOX_MAX_LAG).
	InboxMaxLag int `json:"inbox_max_lag"`
	// IPDBPath is the IP database region routing rules look visitors up in:
	// an ip2region .xdb file, or a text file of "start|end|region" lines
	// (KEFU_IPDB_PATH; empty: regions come only from the connector).
	IPDBPath string `json:"ipdb_path"`
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client (comma-separated in
	// KEFU_TRUSTED_PROXIES); empty: the direct peer is the client.
	TrustedProxies []string `json:"trusted_proxies"`
	// WechatAPIBase, WeiboAPIBase, QQAPIBase, WecomAPIBase point platform
	// calls at a relay or fake (WecomAPIBase: WeCom's qyapi, for 微信客服).
	WechatAPIBase string `json:"wechat_api_base"`
	WeiboAPIBase  string `json:"weibo_api_base"`
	QQAPIBase     string `json:"qq_api_base"`
	WecomAPIBase  string `json:"wecom_api_base"`
	// FCMAPIBase points app push calls to FCM HTTP v1 at a relay or fake
	// (KEFU_FCM_API_BASE).
	FCMAPIBase string `json:"fcm_api_base"`
	// FCMOAuthBase, when set, replaces the scheme and host of a Firebase
	// service account's token_uri, for a relay or fake (KEFU_FCM_OAUTH_BASE;
	// empty: the token_uri as the key file names it).
	FCMOAuthBase string `json:"fcm_oauth_base"`
	// APNsAPIBase points app push calls to APNs at a relay or fake: HTTP/2
	// over https, or cleartext HTTP/2 for http:// (KEFU_APNS_API_BASE;
	// empty: api.push.apple.com, or api.sandbox.push.apple.com for an app
	// channel set to sandbox).
	APNsAPIBase string `json:"apns_api_base"`
	// QQReplyWindow and QQGroupReplyWindow are how long after a customer's
	// message agents may answer on QQ: the platform's rule is 60 minutes
	// for a user, 5 for a group member (KEFU_QQ_REPLY_WINDOW,
	// KEFU_QQ_GROUP_REPLY_WINDOW). Set them shorter to leave a margin, or
	// follow the platform when it changes its rule.
	QQReplyWindow      Duration `json:"qq_reply_window"`
	QQGroupReplyWindow Duration `json:"qq_group_reply_window"`
	// PprofAddr, when set, serves Go's profiler (/debug/pprof/) on its own
	// listener; it must be a loopback address (KEFU_PPROF_ADDR; empty: off).
	PprofAddr string `json:"pprof_addr"`
	// MetricsAddr, when set, serves /metrics (Prometheus) on its own
	// listener, e.g. 127.0.0.1:9090 or an address only the scraper reaches
	// (KEFU_METRICS_ADDR; empty: no separate listener).
	MetricsAddr string `json:"metrics_addr"`
	// MetricsToken, when set, serves /metrics on the main listener to
	// requests with "Authorization: Bearer <token>" (KEFU_METRICS_TOKEN;
	// empty: the main listener does not serve metrics).
	MetricsToken string `json:"metrics_token"`
	// VisitorSocketsPerAddr caps the open website-visitor sockets from one
	// client address (KEFU_VISITOR_SOCKETS_PER_ADDR).
	VisitorSocketsPerAddr int `json:"visitor_sockets_per_addr"`
	// VisitorSocketsPerChannel caps the open visitor sockets of one web
	// channel in this process (KEFU_VISITOR_SOCKETS_PER_CHANNEL).
	VisitorSocketsPerChannel int `json:"visitor_sockets_per_channel"`
	// VisitorSocketsMax caps all visitor sockets of this process; it is
	// always kept below the file-descriptor limit minus a reserve for agent
	// sockets, the database and the bus (KEFU_VISITOR_SOCKETS_MAX; 0: that
	// bound alone).
	VisitorSocketsMax int `json:"visitor_sockets_max"`
}

// Duration is a time.Duration that reads "5m" style strings from JSON.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts "90s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		d.Duration = v
		return err
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	d.Duration = time.Duration(n * float64(time.Second))
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Default returns the configuration used when nothing is set: embedded mode.
func Default() Config {
	return Config{
		HTTPAddr:           ":8080",
		DataDir:            "./data",
		BusPrefix:          "kefu",
		NATSReplicas:       1,
		LogLevel:           "info",
		SessionTTL:         Duration{30 * 24 * time.Hour},
		SessionIdle:        Duration{12 * time.Hour},
		AuditRetention:     Duration{365 * 24 * time.Hour},
		SessionRecheck:     Duration{25 * time.Second},
		MaxBodyBytes:       1 << 20,
		SignatureTolerance: Duration{5 * time.Minute},
		InboxWorkers:       64,
		InboxPartitions:    64,
		InboxMaxLag:        10000,
		WechatAPIBase:      "https://api.weixin.qq.com",
		WeiboAPIBase:       "https://api.weibo.com",
		QQAPIBase:          "https://api.sgroup.qq.com",
		WecomAPIBase:       "https://qyapi.weixin.qq.com",
		FCMAPIBase:         "https://fcm.googleapis.com",
		QQReplyWindow:      Duration{time.Hour},
		QQGroupReplyWindow: Duration{5 * time.Minute},
		TrustedProxies:     []string{},

		VisitorSocketsPerAddr:    30,
		VisitorSocketsPerChannel: 10000,
		SecretKeyOld:             []string{},
	}
}

// Load builds the configuration from defaults, the file named by
// KEFU_CONFIG (if any) and the environment, then validates it.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	if path := getenv("KEFU_CONFIG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config file: %w", err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("parse config file %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func (c *Config) applyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"KEFU_HTTP_ADDR": &c.HTTPAddr, "KEFU_PUBLIC_URL": &c.PublicURL, "KEFU_DATA_DIR": &c.DataDir,
		"KEFU_DATABASE_URL": &c.DatabaseURL, "KEFU_NATS_URL": &c.NATSURL, "KEFU_BUS_PREFIX": &c.BusPrefix,
		"KEFU_ADMIN_EMAIL": &c.AdminEmail, "KEFU_ADMIN_PASSWORD": &c.AdminPassword, "KEFU_SECRET_KEY": &c.SecretKey,
		"KEFU_LOG_LEVEL": &c.LogLevel, "KEFU_IPDB_PATH": &c.IPDBPath, "KEFU_WECHAT_API_BASE": &c.WechatAPIBase,
		"KEFU_WEIBO_API_BASE": &c.WeiboAPIBase, "KEFU_QQ_API_BASE": &c.QQAPIBase, "KEFU_PPROF_ADDR": &c.PprofAddr,
		"KEFU_WECOM_API_BASE": &c.WecomAPIBase,
		"KEFU_METRICS_ADDR":   &c.MetricsAddr, "KEFU_METRICS_TOKEN": &c.MetricsToken,
		"KEFU_FCM_API_BASE": &c.FCMAPIBase, "KEFU_FCM_OAUTH_BASE": &c.FCMOAuthBase, "KEFU_APNS_API_BASE": &c.APNsAPIBase,
	}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	var errs []error
	durs := map[string]*Duration{"KEFU_SESSION_TTL": &c.SessionTTL, "KEFU_SESSION_RECHECK": &c.SessionRecheck, "KEFU_SESSION_IDLE": &c.SessionIdle,
		"KEFU_SIGNATURE_TOLERANCE": &c.SignatureTolerance, "KEFU_AUDIT_RETENTION": &c.AuditRetention,
		"KEFU_QQ_REPLY_WINDOW": &c.QQReplyWindow, "KEFU_QQ_GROUP_REPLY_WINDOW": &c.QQGroupReplyWindow}
	for k, p := range durs {
		if v := getenv(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", k, err))
			}
			p.Duration = d
		}
	}
	ints := map[string]*int64{"KEFU_MAX_BODY_BYTES": &c.MaxBodyBytes}
	for k, p := range ints {
		if v := getenv(k); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", k, err))
			}
			*p = n
		}
	}
	for k, p := range map[string]*int{"KEFU_DATABASE_MAX_CONNS": &c.DatabaseMaxConns, "KEFU_INBOX_WORKERS": &c.InboxWorkers, "KEFU_INBOX_PARTITIONS": &c.InboxPartitions,
		"KEFU_NATS_REPLICAS": &c.NATSReplicas, "KEFU_INBOX_MAX_LAG": &c.InboxMaxLag,
		"KEFU_VISITOR_SOCKETS_PER_ADDR": &c.VisitorSocketsPerAddr, "KEFU_VISITOR_SOCKETS_PER_CHANNEL": &c.VisitorSocketsPerChannel,
		"KEFU_VISITOR_SOCKETS_MAX": &c.VisitorSocketsMax} {
		if v := getenv(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", k, err))
			}
			*p = n
		}
	}
	if v := getenv("KEFU_SECRET_KEY_OLD"); v != "" {
		c.SecretKeyOld = nil
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				c.SecretKeyOld = append(c.SecretKeyOld, k)
			}
		}
	}
	if v := getenv("KEFU_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
	if v := getenv("KEFU_ALLOW_PRIVATE_CALLBACKS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KEFU_ALLOW_PRIVATE_CALLBACKS: %w", err))
		}
		c.AllowPrivateCallbacks = b
	}
	return errors.Join(errs...)
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("http_addr is empty"))
	}
	if (c.DatabaseURL == "" || c.NATSURL == "") && c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty (needed for SQLite or the in-process NATS)"))
	}
	if c.SessionTTL.Duration <= 0 {
		errs = append(errs, errors.New("session_ttl must be positive"))
	}
	if c.SessionIdle.Duration < 0 {
		errs = append(errs, errors.New("session_idle must not be negative (0 turns it off)"))
	}
	if c.AuditRetention.Duration < 0 {
		errs = append(errs, errors.New("audit_retention must not be negative (0 keeps the audit log forever)"))
	}
	if c.SessionRecheck.Duration <= 0 {
		errs = append(errs, errors.New("session_recheck must be positive"))
	}
	if c.SignatureTolerance.Duration <= 0 {
		errs = append(errs, errors.New("signature_tolerance must be positive"))
	}
	if c.QQReplyWindow.Duration <= 0 || c.QQGroupReplyWindow.Duration <= 0 || c.QQReplyWindow.Duration > 24*time.Hour ||
		c.QQGroupReplyWindow.Duration > 24*time.Hour {
		errs = append(errs, errors.New("qq_reply_window and qq_group_reply_window must be positive, at most 24h"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database_url must start with postgres://"))
	}
	if c.DatabaseURL != "" && c.SecretKey == "" {
		errs = append(errs, errors.New("secret_key (KEFU_SECRET_KEY) is required with PostgreSQL: every hub process "+
			"needs the same key to read the stored secrets; generate one with `openssl rand -base64 32`"))
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") && !strings.HasPrefix(c.NATSURL, "tls://") {
		errs = append(errs, errors.New("nats_url must start with nats:// or tls://"))
	}
	if c.BusPrefix == "" || strings.ContainsAny(c.BusPrefix, ". *>") {
		errs = append(errs, errors.New("bus_prefix must be non-empty without dots, spaces or wildcards"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("max_body_bytes must be at least 1024"))
	}
	if c.DatabaseMaxConns < 0 || c.DatabaseMaxConns > 1000 {
		errs = append(errs, errors.New("database_max_conns must be between 0 (sized from the CPUs) and 1000"))
	}
	if c.InboxWorkers < 1 || c.InboxWorkers > 1024 {
		errs = append(errs, errors.New("inbox_workers must be between 1 and 1024"))
	}
	if c.InboxPartitions < 1 || c.InboxPartitions > 1000 {
		errs = append(errs, errors.New("inbox_partitions must be between 1 and 1000 (NATS allows a stream 1,000 consumers by default)"))
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		errs = append(errs, errors.New("nats_replicas must be between 1 and 5"))
	} else if c.NATSReplicas > 1 && c.NATSURL == "" {
		errs = append(errs, errors.New("nats_replicas above 1 needs a NATS cluster (nats_url): the in-process server is one node"))
	}
	if c.InboxMaxLag < 0 {
		errs = append(errs, errors.New("inbox_max_lag must be 0 (off) or more"))
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		errs = append(errs, errors.New("admin_password must be at least 8 characters"))
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.PprofAddr != "" && !loopback(c.PprofAddr) {
		errs = append(errs, fmt.Errorf("pprof_addr %q must be a loopback address such as 127.0.0.1:6060", c.PprofAddr))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("metrics_addr %q is not host:port", c.MetricsAddr))
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("metrics_token must be at least 16 characters"))
	}
	if c.VisitorSocketsPerAddr < 1 || c.VisitorSocketsPerChannel < 1 || c.VisitorSocketsMax < 0 {
		errs = append(errs, errors.New("visitor_sockets_per_addr and visitor_sockets_per_channel must be at least 1, visitor_sockets_max 0 (automatic) or more"))
	}
	errs = append(errs, checkBase("fcm_api_base", c.FCMAPIBase, true), checkBase("fcm_oauth_base", c.FCMOAuthBase, false),
		checkBase("apns_api_base", c.APNsAPIBase, false))
	for _, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			errs = append(errs, fmt.Errorf("trusted_proxies: %q is not an IP address or CIDR", p))
		}
	}
	return errors.Join(errs...)
}

// checkBase reports a platform base URL that is not http(s)://host.
func checkBase(name, v string, required bool) error {
	if v == "" && !required {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q must be an http(s) URL such as https://host", name, v)
	}
	return nil
}

// loopback reports whether host:port names a loopback address.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Embedded reports whether the hub runs with SQLite (no DatabaseURL).
func (c Config) Embedded() bool { return c.DatabaseURL == "" }

// ParseLevel maps the log_level setting to slog.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log_level %q: %w", s, err)
	}
	return l, nil
}

// LogValue prints the configuration with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr), slog.String("public_url", c.PublicURL),
		slog.String("data_dir", c.DataDir), slog.String("database_url", maskURL(c.DatabaseURL)),
		slog.Int("database_max_conns", c.DatabaseMaxConns),
		slog.String("nats_url", maskURL(c.NATSURL)), slog.String("bus_prefix", c.BusPrefix),
		slog.String("admin_email", c.AdminEmail), slog.Bool("admin_password_set", c.AdminPassword != ""),
		slog.Bool("secret_key_set", c.SecretKey != ""), slog.Int("secret_key_old", len(c.SecretKeyOld)),
		slog.String("log_level", c.LogLevel), slog.Int("inbox_workers", c.InboxWorkers), slog.Int("inbox_partitions", c.InboxPartitions),
		slog.Int("nats_replicas", c.NATSReplicas), slog.Int("inbox_max_lag", c.InboxMaxLag),
		slog.Duration("session_ttl", c.SessionTTL.Duration), slog.Duration("session_recheck", c.SessionRecheck.Duration),
		slog.Duration("session_idle", c.SessionIdle.Duration), slog.Duration("audit_retention", c.AuditRetention.Duration),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Duration("signature_tolerance", c.SignatureTolerance.Duration),
		slog.Bool("allow_private_callbacks", c.AllowPrivateCallbacks), slog.String("ipdb_path", c.IPDBPath), slog.Any("trusted_proxies", c.TrustedProxies),
		slog.String("wechat_api_base", c.WechatAPIBase), slog.String("weibo_api_base", c.WeiboAPIBase),
		slog.String("qq_api_base", c.QQAPIBase), slog.String("wecom_api_base", c.WecomAPIBase),
		slog.String("fcm_api_base", c.FCMAPIBase), slog.String("fcm_oauth_base", c.FCMOAuthBase), slog.String("apns_api_base", c.APNsAPIBase),
		slog.Duration("qq_reply_window", c.QQReplyWindow.Duration),
		slog.Duration("qq_group_reply_window", c.QQGroupReplyWindow.Duration), slog.String("pprof_addr", c.PprofAddr),
		slog.String("metrics_addr", c.MetricsAddr), slog.Bool("metrics_token_set", c.MetricsToken != ""),
		slog.Int("visitor_sockets_per_addr", c.VisitorSocketsPerAddr), slog.Int("visitor_sockets_per_channel", c.VisitorSocketsPerChannel),
		slog.Int("visitor_sockets_max", c.VisitorSocketsMax),
	)
}

// Mode names how the hub runs, for the start-up banner.
func (c Config) Mode() string {
	switch {
	case c.DatabaseURL == "" && c.NATSURL == "":
		return "embedded (SQLite + in-process NATS)"
	case c.NATSURL == "":
		return "PostgreSQL + in-process NATS (single process only: set KEFU_NATS_URL to run several)"
	case c.DatabaseURL == "":
		return "SQLite + external NATS (single process only)"
	}
	return "cluster (PostgreSQL + external NATS)"
}

// maskURL hides credentials: the user-info part and a password parameter.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	hadUser := u.User != nil
	u.User = nil
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxx")
		u.RawQuery = q.Encode()
	}
	s := u.String()
	if hadUser {
		s = strings.Replace(s, "://", "://***@", 1)
	}
	return s
}
