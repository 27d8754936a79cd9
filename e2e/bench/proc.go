package bench

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// hubRSS reads the hub's resident memory in MB: of pid, or else of the
// process listening on port. When neither can be read it warns and returns
// zeros (the report then leaves the memory out).
func hubRSS(pid int, port string, log *slog.Logger) (int, float64) {
	if pid == 0 {
		var err error
		if pid, err = listenerPID(port); err != nil {
			log.Warn("hub memory not measured (pass -pid)", "err", err)
			return 0, 0
		}
	}
	kb, err := rssKB(pid)
	if err != nil {
		log.Warn("hub memory not measured", "pid", pid, "err", err)
		return 0, 0
	}
	return pid, float64(kb) / 1024
}

// rssKB reads a process's resident set size from /proc.
func rssKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("hub memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("hub memory: no VmRSS")
}

// listenerPID finds the process listening on a local TCP port (Linux).
func listenerPID(port string) (int, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("port %q", port)
	}
	want := fmt.Sprintf(":%04X", p)
	inodes := map[string]bool{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 && strings.HasSuffix(fs[1], want) && fs[3] == "0A" {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			return strconv.Atoi(strings.Split(fd, "/")[2])
		}
	}
	return 0, fmt.Errorf("no process listens on port %d", p)
}

// raiseFileLimit lifts the soft open-files limit towards n (up to the hard limit).
func raiseFileLimit(n int) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return
	}
	if lim.Cur < uint64(n) {
		lim.Cur = min(uint64(n), lim.Max)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
