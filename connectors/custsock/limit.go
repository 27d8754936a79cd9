package custsock

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter keeps token buckets per key (an address, a visitor, an app
// user), forgetting the ones not used for a while.
type Limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	l    *rate.Limiter
	used time.Time
}

// NewLimiter returns an empty limiter.
func NewLimiter() *Limiter { return &Limiter{buckets: map[string]*bucket{}, swept: time.Now()} }

// Allow takes a token from key's bucket (r per second, burst b).
func (l *Limiter) Allow(key string, r rate.Limit, b int) bool {
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
