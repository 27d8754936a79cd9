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
// data, never its writable data) from a /proc/<pid>/smaps listing — only
// those with no anonymous pages: a mapping a dynamic linker wrote to before
// making it read-only (relocations of a position-independent build) holds
// copied-on-write pages, counted as anonymous, and dropping those would
// lose what was written. (Private_Dirty also counts file pages not yet
// written back to disk — a binary just built — which are safe to drop.)
func readOnly(smaps io.Reader, exe string) ([]Mapping, error) {
	var out []Mapping
	var cur *Mapping
	clean := false
	flush := func() {
		if cur != nil && clean {
			out = append(out, *cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			flush() // a mapping's header line
			if len(f) < 6 || strings.Join(f[5:], " ") != exe || (f[1] != "r-xp" && f[1] != "r--p") {
				continue
			}
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil || end <= start {
				return nil, fmt.Errorf("procmem: bad mapping %q", f[0])
			}
			cur, clean = &Mapping{start, end}, true
			continue
		}
		if cur != nil && len(f) >= 2 && f[0] == "Anonymous:" && f[1] != "0" {
			clean = false
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("procmem: read smaps: %w", err)
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
