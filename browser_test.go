package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// browserScript is a playwright script (node) driving headless chromium for
// a browser test. It prints its progress as "@@ <step> [args…]" or
// "@@ {"step": …}" lines, reads the test's answers as JSON lines on stdin,
// and is killed after its time limit or when the test ends.
type browserScript struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	steps  chan string
	stderr syncBuf // node's stderr and its non-step output
}

// runBrowserScript starts node with args in dir, with extra environment.
func runBrowserScript(t *testing.T, dir string, limit time.Duration, env []string, args ...string) *browserScript {
	t.Helper()
	b := &browserScript{t: t, cmd: exec.Command("node", args...), steps: make(chan string)}
	b.cmd.Dir = dir
	b.cmd.Env = append(append(os.Environ(), "KEFU_CHROMIUM="+uiChromium), env...)
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

// await waits for the step named want and returns the whole step line.
func (b *browserScript) await(want string) string {
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

// args is the step's arguments after its name ("@@ name a b" → [a b]).
func (b *browserScript) args(want string) []string {
	b.t.Helper()
	return strings.Fields(b.await(want))[1:]
}

// send answers the script with one JSON line.
func (b *browserScript) send(v any) {
	if v == nil {
		v = map[string]any{}
	}
	j, _ := json.Marshal(v)
	fmt.Fprintf(b.stdin, "%s\n", j)
}

// finish closes the script's input and waits for it to end cleanly.
func (b *browserScript) finish() {
	b.t.Helper()
	b.stdin.Close()
	if err := b.cmd.Wait(); err != nil {
		b.t.Fatalf("browser test: %v\n%s", err, b.stderr.String())
	}
}
