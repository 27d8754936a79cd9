package procmem

import (
	"os"
	"strings"
	"testing"
)

// Only the executable's read-only mappings are given back — never its
// writable data, a library's pages or anonymous memory.
func TestReadOnlyPicksTheExecutablesCodeAndConstants(t *testing.T) {
	maps := `00400000-01920000 r-xp 00000000 fd:01 123 /opt/kefu/bin/kefu
01920000-0303e000 r--p 01520000 fd:01 123 /opt/kefu/bin/kefu
0303e000-0317c000 rw-p 02c3e000 fd:01 123 /opt/kefu/bin/kefu
3fd344000000-3fd347800000 rw-p 00000000 00:00 0
7fbc70566000-7fbc706bc000 r-xp 00028000 fd:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
7fbc70700000-7fbc70701000 r--p 00000000 fd:01 124 /opt/kefu/bin/kefu (deleted)
`
	ms, err := readOnly(strings.NewReader(maps), "/opt/kefu/bin/kefu")
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
	if _, err := os.Stat("/proc/self/maps"); err != nil {
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
