// Package procmem gives back what starting the process left resident but
// idle: the pages of its own executable that package initialisation and
// set-up read once (the kernel maps them 64 KiB at a time around each
// read). They stay in the kernel's page cache and come back on the next
// use, a minor fault; the process's resident set then holds what it runs.
package procmem

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Mapping is one read-only mapping of the executable.
type Mapping struct{ Start, End uint64 }

// readOnly lists the executable's read-only mappings (code and constant
// data, never its writable data) from a /proc/<pid>/maps listing.
func readOnly(maps io.Reader, exe string) ([]Mapping, error) {
	var out []Mapping
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || strings.Join(f[5:], " ") != exe || (f[1] != "r-xp" && f[1] != "r--p") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("procmem: bad mapping %q", f[0])
		}
		out = append(out, Mapping{start, end})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("procmem: read maps: %w", err)
	}
	return out, nil
}

// executable is this process's executable as /proc/self/maps names it.
func executable() (string, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return "", fmt.Errorf("procmem: %w", err)
	}
	return exe, nil
}
