package main

// Test kit: starts real hubs (in-process or as a subprocess of the built
// binary) in embedded mode or on PostgreSQL + external NATS, and drives
// them over real HTTP and websockets the way users and integrators do.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	_ "github.com/lib/pq"
	"github.com/nats-io/nats.go"

	"github.com/kefu-hub/kefu/connectors/api"
)

// Cluster services. CI fails (not skips) when they are missing; set
// KEFU_TEST_EMBEDDED_ONLY=1 to run only embedded mode on a laptop.
const (
	testPGAdmin = "postgres://127.0.0.1:5432/test?sslmode=disable"
	testNATS    = "nats://127.0.0.1:4222"
)

// mode is one way to run the hub.
type mode struct {
	name    string
	cluster bool
}

func modes(t *testing.T) []mode {
	ms := []mode{{name: "embedded"}}
	if os.Getenv("KEFU_TEST_EMBEDDED_ONLY") == "1" {
		return ms
	}
	return append(ms, mode{name: "cluster", cluster: true})
}

// clusterOnly is the cluster mode for tests that need several processes on
// one PostgreSQL + NATS; it skips only when KEFU_TEST_EMBEDDED_ONLY=1.
func clusterOnly(t *testing.T) mode {
	t.Helper()
	for _, m := range modes(t) {
		if m.cluster {
			return m
		}
	}
	t.Skip("cluster mode only (KEFU_TEST_EMBEDDED_ONLY=1)")
	return mode{}
}

// forModes runs f once per mode as a subtest.
func forModes(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// env is one hub deployment's settings: a data dir, or a fresh PostgreSQL
// database and NATS prefix shared by every process started from it.
type env struct {
	t    *testing.T
	vars map[string]string
}

func newEnv(t *testing.T, m mode) *env {
	t.Helper()
	e := &env{t: t, vars: map[string]string{
		"KEFU_DATA_DIR": t.TempDir(), "KEFU_ADMIN_EMAIL": "admin@kefu.test", "KEFU_ADMIN_PASSWORD": "admin-pass-1",
		"KEFU_ALLOW_PRIVATE_CALLBACKS": "true", "KEFU_LOG_LEVEL": "warn",
	}}
	if m.cluster {
		e.vars["KEFU_DATABASE_URL"] = freshDatabase(t)
		prefix := "t" + randHex(6)
		e.vars["KEFU_NATS_URL"] = testNATS
		e.vars["KEFU_BUS_PREFIX"] = prefix
		t.Cleanup(func() { deleteStreams(prefix) })
	}
	return e
}

func freshDatabase(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("postgres", testPGAdmin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if err := admin.Ping(); err != nil {
		t.Fatalf("PostgreSQL must be reachable at %s for cluster-mode tests (KEFU_TEST_EMBEDDED_ONLY=1 skips them): %v", testPGAdmin, err)
	}
	name := "kefu_t_" + randHex(6)
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
	nc, err := nats.Connect(testNATS)
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	for _, s := range []string{"_inbound", "_outbound", "_poison"} {
		js.DeleteStream(prefix + s)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hubProc is one running hub process.
type hubProc struct {
	t      *testing.T
	addr   string
	base   string
	cancel func()
	done   chan error
	cmd    *exec.Cmd
}

// start runs a hub in this test process.
func (e *env) start() *hubProc {
	e.t.Helper()
	addr := freePort(e.t)
	vars := map[string]string{"KEFU_HTTP_ADDR": addr}
	for k, v := range e.vars {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &hubProc{t: e.t, addr: addr, base: "http://" + addr, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- serve(ctx, func(k string) string { return vars[k] }) }()
	e.t.Cleanup(h.stop)
	h.waitReady()
	return h
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the kefu binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kefu-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kefu")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// spawn runs a hub as a separate OS process (so it can be killed -9).
func (e *env) spawn(addr string) *hubProc {
	e.t.Helper()
	if addr == "" {
		addr = freePort(e.t)
	}
	cmd := exec.Command(binary(e.t), "serve")
	cmd.Env = append(os.Environ(), "KEFU_HTTP_ADDR="+addr)
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logf, _ := os.Create(filepath.Join(e.t.TempDir(), "hub.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	h := &hubProc{t: e.t, addr: addr, base: "http://" + addr, cmd: cmd, done: make(chan error, 1)}
	go func() { h.done <- cmd.Wait() }()
	e.t.Cleanup(h.stop)
	h.waitReady()
	return h
}

func (h *hubProc) waitReady() {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.done:
			h.t.Fatalf("hub exited before it was ready: %v", err)
		default:
		}
		resp, err := http.Get(h.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatal("hub not ready after 30s")
}

// kill stops a subprocess hub with SIGKILL (no shutdown at all).
func (h *hubProc) kill() {
	if h.cmd != nil && h.cmd.Process != nil {
		h.cmd.Process.Kill()
		<-h.done
		h.cmd = nil
	}
}

func (h *hubProc) stop() {
	if h.cancel != nil {
		h.cancel()
		select {
		case <-h.done:
		case <-time.After(15 * time.Second):
			h.t.Error("hub did not stop within 15s")
		}
		h.cancel = nil
	}
	if h.cmd != nil && h.cmd.Process != nil {
		h.cmd.Process.Signal(os.Interrupt)
		select {
		case <-h.done:
		case <-time.After(15 * time.Second):
			h.cmd.Process.Kill()
		}
		h.cmd = nil
	}
}

// client is an authenticated REST caller.
type client struct {
	t     *testing.T
	base  string
	token string
}

// resp is a decoded JSON answer.
type resp struct {
	status int
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) str(path string) string {
	var v any
	json.Unmarshal(r.body, &v)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

func (c *client) do(method, path string, body any) resp {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, b}
}

// must calls and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any) resp {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

func login(t *testing.T, base, email, password string) *client {
	t.Helper()
	c := &client{t: t, base: base}
	r := c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	c.token = r.str("token")
	return c
}

func (h *hubProc) admin() *client { return login(h.t, h.base, "admin@kefu.test", "admin-pass-1") }

// as returns the same identity against another hub process.
func (c *client) on(h *hubProc) *client { return &client{t: c.t, base: h.base, token: c.token} }

// agentSpec creates an agent and logs them in.
func (c *client) newAgent(email string, maxChats int, groups ...string) *client {
	c.t.Helper()
	if groups == nil {
		groups = []string{}
	}
	c.must(201, "POST", "/api/v1/agents", map[string]any{"email": email, "password": "agent-pass-1",
		"name": strings.Split(email, "@")[0], "max_chats": maxChats, "groups": groups})
	return login(c.t, c.base, email, "agent-pass-1")
}

func (c *client) setStatus(status string) {
	c.t.Helper()
	c.must(200, "PUT", "/api/v1/me/status", map[string]string{"status": status})
}

func (c *client) meID() string {
	c.t.Helper()
	return c.must(200, "GET", "/api/v1/me", nil).str("id")
}

// apiChannel is a developer API channel from the integrator's side.
type apiChannel struct {
	ID, Secret, WebhookURL string
}

func (c *client) newAPIChannel(callback string, extra map[string]any) apiChannel {
	c.t.Helper()
	body := map[string]any{"type": "api", "name": "dev", "config": map[string]any{"callback_url": callback}}
	for k, v := range extra {
		body[k] = v
	}
	r := c.must(201, "POST", "/api/v1/channels", body)
	return apiChannel{ID: r.str("id"), Secret: r.str("secret"), WebhookURL: r.str("webhook_url")}
}

// newCallbackChannel creates an API channel whose callbacks go to cb, which
// checks their signatures with the channel's secret.
func (c *client) newCallbackChannel(cb *callbackServer, extra map[string]any) apiChannel {
	c.t.Helper()
	ch := c.newAPIChannel(cb.URL, extra)
	cb.secret = func() string { return ch.Secret }
	return ch
}

// post sends a customer message to the channel, signed like a developer's
// system would; it returns the HTTP status.
func (ch apiChannel) post(t *testing.T, base string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	return ch.postRaw(t, base, b, time.Now())
}

func (ch apiChannel) postRaw(t *testing.T, base string, b []byte, ts time.Time) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/webhooks/api/"+ch.ID, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	id := "msg_" + randHex(8)
	if err := api.SetHeaders(req.Header, ch.Secret, id, ts, b); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post webhook: %v", err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func textMsg(id, contact, text string) map[string]any {
	return map[string]any{"id": id, "contact": map[string]any{"id": contact, "name": "Customer " + contact},
		"type": "text", "text": text}
}

// sock is an agent websocket.
type sock struct {
	t      *testing.T
	conn   *websocket.Conn
	lastID int64
	frames chan map[string]any
	errc   chan error
}

// dial opens the agent socket; lastID < 0 means a fresh start.
func (c *client) dial(lastID int64) *sock {
	c.t.Helper()
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/api/v1/ws"
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		c.t.Fatalf("dial ws: %v", err)
	}
	auth := map[string]any{"type": "auth", "token": c.token}
	if lastID >= 0 {
		auth["last_event_id"] = lastID
	}
	conn.WriteJSON(auth)
	s := &sock{t: c.t, conn: conn, lastID: lastID, frames: make(chan map[string]any, 100000), errc: make(chan error, 1)}
	go func() {
		for {
			var f map[string]any
			if err := conn.ReadJSON(&f); err != nil {
				s.errc <- err
				close(s.frames)
				return
			}
			s.frames <- f
		}
	}()
	ready := s.next(10 * time.Second)
	if ready["type"] != "ready" {
		c.t.Fatalf("first frame %v, want ready", ready)
	}
	if lastID < 0 {
		s.lastID = int64(ready["last_event_id"].(float64))
	}
	c.t.Cleanup(func() { conn.Close() })
	return s
}

func (s *sock) next(d time.Duration) map[string]any {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatalf("socket closed: %v", <-s.errc)
		}
		if id, ok := f["id"].(float64); ok && id > 0 { // id 0: ephemeral, not a resume point
			s.lastID = int64(id)
		}
		return f
	case <-time.After(d):
		s.t.Fatalf("no frame within %s", d)
		return nil
	}
}

// waitFor returns the first event of type typ matching pred.
func (s *sock) waitFor(typ string, d time.Duration, pred func(map[string]any) bool) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f := s.next(time.Until(deadline))
		if f["type"] == typ && (pred == nil || pred(f)) {
			return f
		}
	}
	s.t.Fatalf("no %s event within %s", typ, d)
	return nil
}

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// callbackServer records signed callbacks from the hub.
type callbackServer struct {
	URL    string
	secret func() string
	mu     sync.Mutex
	got    []callback
	fail   int // answer 500 to this many requests first
	srv    *http.Server
}

type callback struct {
	ID   string
	Body map[string]any
	OK   bool // signature verified
}

func newCallbackServer(t *testing.T) *callbackServer {
	t.Helper()
	cs := &callbackServer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs.URL = "http://" + ln.Addr().String() + "/callback"
	cs.srv = &http.Server{Handler: http.HandlerFunc(cs.serve)}
	go cs.srv.Serve(ln)
	t.Cleanup(func() { cs.srv.Close() })
	return cs
}

func (cs *callbackServer) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.fail > 0 {
		cs.fail--
		http.Error(w, "try later", 500)
		return
	}
	var body map[string]any
	json.Unmarshal(b, &body)
	ok := cs.secret != nil && api.Verify(cs.secret(), r.Header, b, time.Now(), 5*time.Minute) == nil
	cs.got = append(cs.got, callback{ID: r.Header.Get(api.HeaderID), Body: body, OK: ok})
	w.WriteHeader(204)
}

func (cs *callbackServer) received() []callback {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]callback(nil), cs.got...)
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for: %s", d, what)
}
