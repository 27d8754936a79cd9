package kit

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NATSServer is a nats-server process of the version the hub embeds (built
// from the module once per test process — not the machine's own NATS), on
// free loopback ports, storing under the test's temp dir. Tests stop, kill,
// wipe and start it again; it is killed when the test ends.
type NATSServer struct {
	T                              testing.TB
	Name                           string
	Port, ClusterPort, MonitorPort int
	StoreDir                       string
	Log                            string   // its output
	Routes                         []string // the cluster's route URLs (nil: a single node)
	cmd                            *exec.Cmd
	done                           chan error
}

// URL is the client URL.
func (s *NATSServer) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.Port) }

// StartNATS starts a single JetStream server.
func StartNATS(t testing.TB) *NATSServer {
	t.Helper()
	s := newNATS(t, "n1")
	s.Start()
	return s
}

// StartNATSCluster starts n JetStream servers routed into one cluster and
// waits until the cluster can create streams (it has elected a leader).
func StartNATSCluster(t testing.TB, n int) []*NATSServer {
	t.Helper()
	nodes := make([]*NATSServer, n)
	var routes []string
	for i := range nodes {
		nodes[i] = newNATS(t, fmt.Sprintf("n%d", i+1))
		nodes[i].ClusterPort = freePortNum(t)
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(nodes[i].ClusterPort))
	}
	for _, s := range nodes {
		s.Routes = routes
		s.launch()
	}
	for _, s := range nodes {
		s.waitReady(60 * time.Second)
	}
	return nodes
}

// NATSURLs is the comma-separated client URLs of servers (a cluster).
func NATSURLs(servers []*NATSServer) string {
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.URL())
	}
	return strings.Join(urls, ",")
}

func newNATS(t testing.TB, name string) *NATSServer {
	s := &NATSServer{T: t, Name: name, Port: freePortNum(t), MonitorPort: freePortNum(t), StoreDir: t.TempDir(),
		Log: filepath.Join(t.TempDir(), "nats-"+name+".log")}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", s.Log, tail(s.Log, 30))
		}
	})
	t.Cleanup(s.Kill)
	return s
}

// Start runs the server (again, with the same ports and store) and waits
// until it serves JetStream.
func (s *NATSServer) Start() {
	s.T.Helper()
	s.launch()
	s.waitReady(30 * time.Second)
}

func (s *NATSServer) launch() {
	s.T.Helper()
	if s.cmd != nil {
		s.T.Fatalf("nats %s is running already", s.Name)
	}
	args := []string{"-n", s.Name, "-a", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-m", strconv.Itoa(s.MonitorPort),
		"-js", "-sd", s.StoreDir}
	if s.Routes != nil {
		args = append(args, "--cluster_name", "kefu-test", "--cluster", "nats://127.0.0.1:"+strconv.Itoa(s.ClusterPort),
			"--routes", strings.Join(s.Routes, ","))
	}
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.T.Fatal(err)
	}
	defer logf.Close()
	s.cmd = exec.Command(natsServerBinary(s.T), args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.T.Fatalf("start nats %s: %v", s.Name, err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(s.cmd, s.done)
}

// waitReady waits for the monitoring endpoint's /healthz: JetStream is up
// (in a cluster: it has a leader and this node is current).
func (s *NATSServer) waitReady(within time.Duration) {
	s.T.Helper()
	deadline := time.Now().Add(within)
	u := "http://127.0.0.1:" + strconv.Itoa(s.MonitorPort) + "/healthz"
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.cmd = nil
			s.T.Fatalf("nats %s exited: %v\n%s", s.Name, err, tail(s.Log, 30))
		default:
		}
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.T.Fatalf("nats %s not healthy after %s\n%s", s.Name, within, tail(s.Log, 30))
}

// Stop shuts the server down gracefully (SIGTERM).
func (s *NATSServer) Stop() { s.signal(syscall.SIGTERM) }

// Kill stops the server with SIGKILL.
func (s *NATSServer) Kill() { s.signal(syscall.SIGKILL) }

func (s *NATSServer) signal(sig os.Signal) {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// WipeStore deletes the stopped server's JetStream store.
func (s *NATSServer) WipeStore() {
	s.T.Helper()
	if s.cmd != nil {
		s.T.Fatal("wipe the store of a stopped server")
	}
	if err := os.RemoveAll(s.StoreDir); err != nil {
		s.T.Fatal(err)
	}
}

var (
	natsOnce sync.Once
	natsDir  string
	natsBin  string
	natsErr  error
)

// natsServerBinary builds github.com/nats-io/nats-server/v2 — the version
// go.mod pins, the one the hub embeds — once per test process.
func natsServerBinary(t testing.TB) string {
	t.Helper()
	natsOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			natsErr = err
			return
		}
		if natsDir, err = os.MkdirTemp("", "kefu-nats"); err != nil {
			natsErr = err
			return
		}
		natsBin = filepath.Join(natsDir, "nats-server")
		cmd := exec.Command("go", "build", "-o", natsBin, "github.com/nats-io/nats-server/v2")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			natsErr = fmt.Errorf("go build nats-server: %v\n%s", err, out)
		}
	})
	if natsErr != nil {
		t.Fatal(natsErr)
	}
	return natsBin
}

// freePortNum is a loopback port nothing listens on right now.
func freePortNum(t testing.TB) int {
	t.Helper()
	_, port, err := net.SplitHostPort(freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(errors.New("port " + port))
	}
	return n
}
