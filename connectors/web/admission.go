package web

import "sync"

// Visitor socket caps: a flood of sockets from a few addresses, or into
// one channel, is refused before it takes the process's file descriptors,
// and visitor sockets as a whole never take the last ones (agent sockets,
// the database, the bus and files need them).
const (
	// CloseTooMany closes a visitor socket refused by a cap, after an
	// error frame with code too_many_connections; the widget waits (30 s
	// or more) and reconnects, showing a calm "busy" note meanwhile.
	CloseTooMany          = 4429
	defaultSocketsPerAddr = 30
	defaultSocketsPerChan = 10000
	fdReserveMin          = 256
	fdReserveShare        = 5 // a fifth of the descriptors stays for the rest
)

// admission counts the open visitor sockets of this process by client
// address, by channel and in all.
type admission struct {
	mu                       sync.Mutex
	perAddr, perChannel, max int
	addr, channel            map[string]int
	total                    int
}

func newAdmission(perAddr, perChannel, max int) *admission {
	return &admission{perAddr: perAddr, perChannel: perChannel, max: max, addr: map[string]int{}, channel: map[string]int{}}
}

// enter takes a slot for a socket from ip on channel; which cap refused it
// otherwise ("address", "channel", "process").
func (a *admission) enter(ip, channel string) (refused string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.total >= a.max:
		return "process"
	case a.channel[channel] >= a.perChannel:
		return "channel"
	case a.addr[ip] >= a.perAddr:
		return "address"
	}
	a.total++
	a.channel[channel]++
	a.addr[ip]++
	return ""
}

// leave gives a slot back.
func (a *admission) leave(ip, channel string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total--
	if a.channel[channel]--; a.channel[channel] <= 0 {
		delete(a.channel, channel)
	}
	if a.addr[ip]--; a.addr[ip] <= 0 {
		delete(a.addr, ip)
	}
}

// open is how many visitor sockets are open (for tests and metrics).
func (a *admission) open() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// socketCap is the process-wide visitor socket cap: below the open-file
// limit by a reserve of a fifth of it (at least fdReserveMin; half of a
// tiny limit), and at most configured when that is set (> 0). With the
// limit unknown (0) the configured cap, or 10,000, applies.
func socketCap(fdLimit uint64, configured int) int {
	if fdLimit == 0 {
		if configured > 0 {
			return configured
		}
		return defaultSocketsPerChan
	}
	reserve := max(fdLimit/fdReserveShare, fdReserveMin)
	var bound uint64
	if fdLimit > 2*reserve {
		bound = fdLimit - reserve
	} else {
		bound = fdLimit / 2
	}
	if configured > 0 && uint64(configured) < bound {
		return configured
	}
	return int(min(bound, 1<<31-1))
}
