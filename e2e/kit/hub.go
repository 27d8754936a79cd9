package kit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Hub is one running kefu process.
type Hub struct {
	T    testing.TB
	Addr string // host:port it listens on
	Base string // http://Addr
	Log  string // the file its stdout and stderr go to
	cmd  *exec.Cmd
	done chan error
}

var hubSeq atomic.Int64

// Start runs a hub of this deployment on a free port and waits until it is
// ready; the hub stops (SIGINT) when the test ends.
func (e *Env) Start() *Hub {
	e.T.Helper()
	for try := 0; ; try++ {
		h, err := e.run(freePort(e.T))
		if err == nil {
			return h
		}
		// The port went to someone else between freePort and the hub's bind.
		if try < 3 && strings.Contains(tail(h.Log, 20), "address already in use") {
			continue
		}
		e.T.Fatal(err) // its log's tail follows
	}
}

// StartFails runs a hub that must refuse to start and returns its output.
func (e *Env) StartFails() string {
	e.T.Helper()
	h, err := e.run(freePort(e.T))
	if err == nil {
		e.T.Fatalf("the hub started at %s; want it to refuse", h.Addr)
	}
	b, _ := os.ReadFile(h.Log)
	return string(b)
}

// StartAt runs a hub at addr (to restart one where its clients expect it).
func (e *Env) StartAt(addr string) *Hub {
	e.T.Helper()
	h, err := e.run(addr)
	if err != nil {
		e.T.Fatal(err) // its log's tail follows
	}
	return h
}

func (e *Env) run(addr string) (*Hub, error) {
	e.T.Helper()
	h := &Hub{T: e.T, Addr: addr, Base: "http://" + addr, done: make(chan error, 1),
		Log: filepath.Join(e.T.TempDir(), fmt.Sprintf("hub-%d.log", hubSeq.Add(1)))}
	logf, err := os.Create(h.Log)
	if err != nil {
		e.T.Fatal(err)
	}
	defer logf.Close() // the child holds its own descriptor
	h.cmd = exec.Command(Binary(e.T), "serve")
	if len(e.Wrap) > 0 {
		h.cmd = exec.Command(e.Wrap[0], append(e.Wrap[1:], Binary(e.T), "serve")...)
	}
	h.cmd.Env = append(hubEnviron(), "KEFU_HTTP_ADDR="+addr)
	for k, v := range e.Vars {
		h.cmd.Env = append(h.cmd.Env, k+"="+v)
	}
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	if err := h.cmd.Start(); err != nil {
		e.T.Fatal(err)
	}
	go func() { h.done <- h.cmd.Wait() }()
	e.T.Cleanup(func() {
		if e.T.Failed() {
			e.T.Logf("last lines of %s (%s):\n%s", h.Log, h.Addr, tail(h.Log, 60))
		}
	})
	e.T.Cleanup(h.Stop)
	return h, h.waitReady()
}

// hubEnviron is this process's environment without KEFU_* settings: a hub
// sees only its Env's.
func hubEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEFU_") {
			env = append(env, kv)
		}
	}
	return env
}

func (h *Hub) waitReady() error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.done:
			h.cmd = nil
			return fmt.Errorf("hub exited before it was ready: %v", err)
		default:
		}
		resp, err := http.Get(h.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.Kill()
	return errors.New("hub not ready after 60s")
}

// Kill stops the hub with SIGKILL (no shutdown at all).
func (h *Hub) Kill() {
	if h.cmd != nil {
		h.cmd.Process.Kill()
		<-h.done
		h.cmd = nil
	}
}

// Stop shuts the hub down gracefully (SIGINT); it must exit cleanly within 15 s.
func (h *Hub) Stop() {
	if h.cmd == nil {
		return
	}
	h.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-h.done:
		if err != nil {
			h.T.Errorf("hub %s exited with %v", h.Addr, err)
		}
	case <-time.After(15 * time.Second):
		h.T.Errorf("hub %s did not stop within 15s", h.Addr)
		h.cmd.Process.Kill()
		<-h.done
	}
	h.cmd = nil
}

// tail is the last n lines of a file, without the kit's own readiness polls.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "route=/readyz") {
			continue
		}
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// Binary is the kefu binary under test: $KEFU_TEST_BINARY (make test sets
// it to the freshly built bin/kefu), else built once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("KEFU_TEST_BINARY"); p != "" {
			binPath, binErr = filepath.Abs(p)
			if _, err := os.Stat(binPath); err != nil {
				binErr = fmt.Errorf("KEFU_TEST_BINARY: %w", err)
			}
			return
		}
		root, err := moduleRoot()
		if err != nil {
			binErr = err
			return
		}
		if binDir, err = os.MkdirTemp("", "kefu-e2e"); err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(binDir, "kefu")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/kefu-hub/kefu")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

func moduleRoot() (string, error) {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/kefu-hub/kefu\n") {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("no kefu go.mod above the working directory")
				return
			}
			dir = parent
		}
	})
	return root, rootErr
}

// Path is a file of the repository, by its path from the module root.
func Path(t testing.TB, rel string) string {
	t.Helper()
	r, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(r, filepath.FromSlash(rel))
}

// Main runs a test package's tests and removes the binaries it built.
//
//	func TestMain(m *testing.M) { kit.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	stopSharedBrowser()
	for _, dir := range []string{binDir, natsDir} { // the binaries it built
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// MetricsToken is the scraper's token every test hub is started with
// (KEFU_METRICS_TOKEN): /metrics answers only requests bearing it.
const MetricsToken = "kit-metrics-token-0123456789"

// Metrics reads a hub's /metrics as a scraper does (with the token); ""
// when it cannot.
func Metrics(base string) string {
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+MetricsToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}
