package kit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Chromium is the browser the browser tests drive (Debian's chromium).
const Chromium = "/usr/bin/chromium"

// NeedBrowser fails on CI (CI=true) and skips elsewhere when a browser test
// cannot run: Debian chromium, node and playwright-core under nodeDir (a
// directory of the repository), and whatever else the caller found missing.
func NeedBrowser(t testing.TB, nodeDir string, missing ...string) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		missing = append(missing, Chromium+" (apt-get install -y chromium)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(Path(t, nodeDir), "node_modules", "playwright-core")); err != nil {
		missing = append(missing, nodeDir+"/node_modules (npm ci there, or make)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "browser test needs: " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// NeedUI fails on CI and skips elsewhere when the workbench browser test
// cannot run (no built UI, no browser).
func NeedUI(t testing.TB) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(Path(t, "workbench/webui/dist/index.html")); err != nil {
		missing = append(missing, "the built UI (make build)")
	}
	NeedBrowser(t, "workbench/ui", missing...)
}

// ServesUI fails the test unless the hub serves the built workbench (the
// binary was built after the UI).
func (h *Hub) ServesUI() {
	h.T.Helper()
	disk, err := os.ReadFile(Path(h.T, "workbench/webui/dist/index.html"))
	if err != nil {
		h.T.Fatal(err)
	}
	res, err := http.Get(h.Base + "/")
	if err != nil {
		h.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != string(disk) {
		h.T.Fatalf("GET /: %d, %d bytes; want the built workbench (%d bytes): rebuild the binary after make ui", res.StatusCode, len(body), len(disk))
	}
}

// ShotsDir is where browser tests leave their screenshots (testdata/ui-output
// at the repository root) when KEFU_TEST_SHOTS=1 asks for them; "" (none)
// otherwise. A screenshot asserts nothing and costs the browser about a
// fifth of a CPU second: the 180-odd of a make test were ~40 s of CPU.
func ShotsDir(t testing.TB) string {
	if os.Getenv("KEFU_TEST_SHOTS") != "1" {
		return ""
	}
	return Path(t, "testdata/ui-output")
}

// BrowserScript is a playwright script (node) driving headless chromium for
// a browser test. It prints its progress as "@@ <step> [args…]" or
// "@@ {"step": …}" lines, reads the test's answers as JSON lines on stdin,
// and is killed after its time limit or when the test ends.
type BrowserScript struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	steps  chan string
	stderr syncBuf // node's stderr and its non-step output
}

// RunBrowserScript starts node with args in dir (a directory of the
// repository), with extra environment. limit is what the script needs on
// an idle box; it is killed after slowBox times that (a hang still ends
// well inside the test run's own timeout).
func RunBrowserScript(t testing.TB, dir string, limit time.Duration, env []string, args ...string) *BrowserScript {
	t.Helper()
	limit *= slowBox
	b := &BrowserScript{t: t, cmd: exec.Command("node", args...), steps: make(chan string)}
	b.cmd.Dir = Path(t, dir)
	b.cmd.Env = append(append(os.Environ(), "KEFU_CHROMIUM="+Chromium, "KEFU_SLOW="+strconv.Itoa(slowBox),
		"KEFU_BROWSER_WS="+sharedBrowserWS(t)), env...)
	b.stdin, _ = b.cmd.StdinPipe()
	stdout, _ := b.cmd.StdoutPipe()
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { b.cmd.Process.Kill() })
	t.Cleanup(func() { timer.Stop(); b.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if s, ok := strings.CutPrefix(sc.Text(), "@@ "); ok {
				b.steps <- s
			} else {
				b.stderr.Write([]byte(sc.Text() + "\n"))
			}
		}
		close(b.steps)
	}()
	return b
}

// Await waits for the step named want and returns the whole step line.
func (b *BrowserScript) Await(want string) string {
	b.t.Helper()
	got, ok := <-b.steps
	name := ""
	if strings.HasPrefix(got, "{") {
		var m struct{ Step string }
		json.Unmarshal([]byte(got), &m)
		name = m.Step
	} else if f := strings.Fields(got); len(f) > 0 {
		name = f[0]
	}
	if !ok || name != want {
		if ok {
			b.cmd.Process.Kill() // out of step: stop it rather than wait for input
		}
		b.cmd.Wait()
		b.t.Fatalf("browser test: want step %q, got %q (exited)\n%s", want, got, b.stderr.String())
	}
	return got
}

// Args is the step's arguments after its name ("@@ name a b" → [a b]).
func (b *BrowserScript) Args(want string) []string {
	b.t.Helper()
	return strings.Fields(b.Await(want))[1:]
}

// Send answers the script with one JSON line.
func (b *BrowserScript) Send(v any) {
	if v == nil {
		v = map[string]any{}
	}
	j, _ := json.Marshal(v)
	fmt.Fprintf(b.stdin, "%s\n", j)
}

// Finish closes the script's input and waits for it to end cleanly.
func (b *BrowserScript) Finish() {
	b.t.Helper()
	b.stdin.Close()
	if err := b.cmd.Wait(); err != nil {
		b.t.Fatalf("browser test: %v\n%s", err, b.stderr.String())
	}
}

// syncBuf is a strings.Builder safe for the reader goroutine and os/exec.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sharedBrowser is the one headless chromium this test process's browser
// scripts connect to (KEFU_BROWSER_WS) instead of each launching its own:
// a script launching chromium cost ~3.3 CPU seconds on a 2-core box, one
// connecting ~1.8, and a make test runs 40-odd. It is playwright's browser
// server (workbench/ui/e2e/server.mjs), which closes chromium and exits
// when its stdin closes: at Main's end, or with this process however it
// ends. Each script still works in browser contexts of its own.
var sharedBrowser struct {
	once  sync.Once
	ws    string
	cmd   *exec.Cmd
	stdin io.WriteCloser // held open (a dropped pipe would be closed by its finalizer)
}

// sharedBrowserWS starts the shared browser once; "" when it cannot (the
// scripts then launch their own, as they do outside go test).
func sharedBrowserWS(t testing.TB) string {
	sharedBrowser.once.Do(func() {
		cmd := exec.Command("node", "e2e/server.mjs")
		cmd.Dir = Path(t, "workbench/ui")
		cmd.Env = append(os.Environ(), "KEFU_CHROMIUM="+Chromium)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		var stderr syncBuf
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Logf("no shared browser (each script launches its own): %v", err)
			return
		}
		first := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			if sc.Scan() {
				first <- sc.Text()
			}
			close(first)
			io.Copy(io.Discard, stdout)
		}()
		select {
		case ws := <-first:
			if strings.HasPrefix(ws, "ws://") {
				sharedBrowser.ws, sharedBrowser.cmd, sharedBrowser.stdin = ws, cmd, stdin
				return
			}
		case <-time.After(30 * time.Second * slowBox):
		}
		cmd.Process.Kill()
		cmd.Wait()
		t.Logf("no shared browser (each script launches its own): %s", stderr.String())
	})
	return sharedBrowser.ws
}

// stopSharedBrowser closes the shared browser, if one was started, and
// waits (a few seconds at most) for it to end.
func stopSharedBrowser() {
	if sharedBrowser.cmd == nil {
		return
	}
	sharedBrowser.stdin.Close()
	done := make(chan struct{})
	go func() { sharedBrowser.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		sharedBrowser.cmd.Process.Kill()
	}
}
