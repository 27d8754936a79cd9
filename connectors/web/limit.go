package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limits, per client address and per visitor.
const (
	connectsPerMinute = 120 // socket connections per IP (offices share one)
	connectBurst      = 60
	messagesPerSecond = 2 // messages and forms per visitor
	messageBurst      = 10
	framesPerSecond   = 10 // any frame per socket (typing, pages, pings …)
	frameBurst        = 40
	uploadsPerMinute  = 10 // uploads per visitor
)

// limiter keeps token buckets per key (an IP, a visitor), forgetting the
// ones not used for a while.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	l    *rate.Limiter
	used time.Time
}

func newLimiter() *limiter { return &limiter{buckets: map[string]*bucket{}, swept: time.Now()} }

// allow takes a token from key's bucket (r per second, burst b).
func (l *limiter) allow(key string, r rate.Limit, b int) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, bk := range l.buckets {
			if now.Sub(bk.used) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	bk, ok := l.buckets[key]
	if !ok {
		bk = &bucket{l: rate.NewLimiter(r, b)}
		l.buckets[key] = bk
	}
	bk.used = now
	return bk.l.AllowN(now, 1)
}
