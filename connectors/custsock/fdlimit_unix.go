//go:build unix

package custsock

import "syscall"

// FDLimit is the process's open-file limit (RLIMIT_NOFILE, the soft
// limit Go raised at start), 0 when unknown.
func FDLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur == ^uint64(0) {
		return 0
	}
	return uint64(l.Cur)
}
