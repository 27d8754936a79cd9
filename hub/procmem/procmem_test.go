package procmem

import (
	"os"
	"strings"
	"testing"
)

// Only the executable's read-only mappings without copied-on-write pages
// are given back — never its writable data, a mapping a loader wrote to, a
// library's pages or anonymous memory.
func TestReadOnlyPicksTheExecutablesCleanCodeAndConstants(t *testing.T) {
	smaps := `00400000-01920000 r-xp 00000000 fd:01 123 /opt/kefu/bin/kefu
Size:              22656 kB
Rss:               16568 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
01920000-0303e000 r--p 01520000 fd:01 123 /opt/kefu/bin/kefu
Rss:               15644 kB
Shared_Dirty:          0 kB
Private_Dirty:      1492 kB
Anonymous:             0 kB
0303e000-0303f000 r--p 02c3e000 fd:01 123 /opt/kefu/bin/kefu
Rss:                   4 kB
Private_Dirty:         4 kB
Anonymous:             4 kB
0303f000-0317c000 rw-p 02c3f000 fd:01 123 /opt/kefu/bin/kefu
Private_Dirty:         0 kB
3fd344000000-3fd347800000 rw-p 00000000 00:00 0
Private_Dirty:      12400 kB
7fbc70566000-7fbc706bc000 r-xp 00028000 fd:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Private_Dirty:         0 kB
`
	ms, err := readOnly(strings.NewReader(smaps), "/opt/kefu/bin/kefu")
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{{0x400000, 0x1920000}, {0x1920000, 0x303e000}}
	if len(ms) != len(want) || ms[0] != want[0] || ms[1] != want[1] {
		t.Fatalf("mappings %x, want %x", ms, want)
	}
}

// Releasing the running test binary's pages leaves it working: the next
// call runs from pages read back in.
func TestReleaseKeepsTheProcessRunning(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("no /proc here")
	}
	n, err := Release()
	if err != nil || n == 0 {
		t.Fatalf("released %d bytes: %v", n, err)
	}
	if got := strings.Repeat("页", 3); got != "页页页" {
		t.Fatalf("after release: %q", got)
	}
}
