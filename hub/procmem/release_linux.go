package procmem

import (
	"fmt"
	"os"
	"syscall"
)

// Release drops the executable's clean read-only pages from the process's
// resident set (madvise MADV_DONTNEED: for a clean file mapping the pages
// are simply unmapped and read again from the page cache when touched). It returns how many bytes of mappings it covered.
func Release() (uint64, error) {
	exe, err := executable()
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("procmem: %w", err)
	}
	defer f.Close()
	ms, err := readOnly(f, exe)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, m := range ms {
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.Start), uintptr(m.End-m.Start), syscall.MADV_DONTNEED); e != 0 {
			return n, fmt.Errorf("procmem: madvise: %w", e)
		}
		n += m.End - m.Start
	}
	return n, nil
}
