// Package kit is the end-to-end test kit: it runs the real kefu binary in
// embedded mode or on PostgreSQL + external NATS, and drives the hubs over
// real HTTP and websockets the way users and integrators do
// (h.Admin().NewAgent(…).SetStatus("online")).
//
// Every test gets its own data dir, or its own PostgreSQL database and NATS
// stream prefix, so the test packages under e2e/ run their tests in
// parallel.
package kit

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"os"
	"testing"

	_ "github.com/lib/pq" // the cluster mode's PostgreSQL
	"github.com/nats-io/nats.go"

	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// Cluster services. CI fails (not skips) when they are missing; set
// KEFU_TEST_EMBEDDED_ONLY=1 to run only embedded mode on a laptop.
const (
	pgAdmin = "postgres://127.0.0.1:5432/test?sslmode=disable"
	natsURL = "nats://127.0.0.1:4222"
)

// Mode is one way to run the hub.
type Mode struct {
	Name    string
	Cluster bool
	// Unmigrated: an empty database its hubs migrate as they start; by
	// default a copy of one migrated once per test process (storetest).
	Unmigrated bool
}

// Embedded is the zero-setup mode: SQLite and the in-process NATS.
var Embedded = Mode{Name: "embedded"}

// Modes lists the modes every mode-agnostic test runs in.
func Modes() []Mode {
	ms := []Mode{Embedded}
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" {
		return ms
	}
	return append(ms, Mode{Name: "cluster", Cluster: true})
}

// ClusterOnly is the cluster mode for tests that need several processes on
// one PostgreSQL + NATS; it skips only when KEFU_TEST_EMBEDDED_ONLY=1.
func ClusterOnly(t testing.TB) Mode {
	t.Helper()
	for _, m := range Modes() {
		if m.Cluster {
			return m
		}
	}
	t.Skip("cluster mode only (KEFU_TEST_EMBEDDED_ONLY=1)")
	return Mode{}
}

// ForModes runs f once per mode, as parallel subtests.
func ForModes(t *testing.T, f func(t *testing.T, m Mode)) {
	for _, m := range Modes() {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			f(t, m)
		})
	}
}

// ForModesSerially runs f once per mode, one mode after the other (for the
// timing-sensitive tests).
func ForModesSerially(t *testing.T, f func(t *testing.T, m Mode)) {
	for _, m := range Modes() {
		t.Run(m.Name, func(t *testing.T) { f(t, m) })
	}
}

// RandHex is n random bytes, hex-encoded.
func RandHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SecretKey is a fresh KEFU_SECRET_KEY (32 random bytes, hex).
func SecretKey() string { return RandHex(32) }

// Env is one hub deployment's settings: a data dir, or a fresh PostgreSQL
// database and NATS prefix shared by every process started from it. Tests
// may change Vars (KEFU_* settings) before starting a hub.
type Env struct {
	T    testing.TB
	Vars map[string]string
	// Wrap runs the hub under a command that execs it (prlimit …), so the
	// hub keeps its process (and its signals).
	Wrap []string
}

// NewEnv prepares a deployment in mode m; it is removed when the test ends.
func NewEnv(t testing.TB, m Mode) *Env {
	t.Helper()
	e := &Env{T: t, Vars: map[string]string{
		"KEFU_DATA_DIR": t.TempDir(), "KEFU_ADMIN_EMAIL": "admin@kefu.test", "KEFU_ADMIN_PASSWORD": "admin-pass-1",
		"KEFU_ALLOW_PRIVATE_CALLBACKS": "true", "KEFU_LOG_LEVEL": "info", "KEFU_METRICS_TOKEN": MetricsToken,
	}}
	if !m.Cluster && !m.Unmigrated {
		storetest.SeedSQLite(t, e.Vars["KEFU_DATA_DIR"])
	}
	if m.Cluster {
		if m.Unmigrated {
			e.Vars["KEFU_DATABASE_URL"] = freshDatabase(t)
		} else {
			e.Vars["KEFU_DATABASE_URL"] = storetest.FreshPostgres(t)
		}
		// Every process of a cluster seals secrets with one key (embedded
		// hubs keep a generated one in their data dir).
		e.Vars["KEFU_SECRET_KEY"] = SecretKey()
		// Test packages run side by side, four tests each, some with three
		// hubs: 8 connections a hub keep them under PostgreSQL's default
		// limit of 100 (the default pool of 16 ran out of it).
		e.Vars["KEFU_DATABASE_MAX_CONNS"] = "8"
		prefix := "t" + RandHex(6)
		e.Vars["KEFU_NATS_URL"] = natsURL
		e.Vars["KEFU_BUS_PREFIX"] = prefix
		t.Cleanup(func() { deleteStreams(prefix) })
	}
	return e
}

func freshDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("postgres", pgAdmin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if err := admin.Ping(); err != nil {
		t.Fatalf("PostgreSQL must be reachable at %s for cluster-mode tests (KEFU_TEST_EMBEDDED_ONLY=1 skips them): %v", pgAdmin, err)
	}
	name := "kefu_t_" + RandHex(6)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return "postgres://127.0.0.1:5432/" + name + "?sslmode=disable"
}

func deleteStreams(prefix string) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	for _, s := range []string{"_inbound", "_outbound", "_poison"} {
		js.DeleteStream(prefix + s)
	}
}

// freePort is a loopback address nothing listens on right now.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
