//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuTime is the user+system CPU this process has used: the bench shares
// the machine with the hub, so the report says what it took for itself.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
