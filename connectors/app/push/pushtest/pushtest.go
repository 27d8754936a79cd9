// Package pushtest holds fakes of the services push sends to: Google's
// OAuth token endpoint with FCM HTTP v1 (FCM), APNs over HTTP/2 (APNs),
// and a company's push webhook (Webhook). Each checks every request as the
// real service would — the JWT's signature with the public key and its
// claims, headers, payload shape, collapse ids, badge — answers as the
// service answers, keeps what it received, and can be told to answer
// errors (an unregistered token, 429 with Retry-After, an expired token).
//
// A request the real service would refuse for its form (not for its
// token) is a problem: Problems lists them, and the test fails at cleanup
// when there are any, unless the test called ExpectProblems.
package pushtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Answer is an error the fake answers to the next request(s) instead of
// handling it: an HTTP status, the service's reason (FCM errorCode such as
// "UNAVAILABLE", APNs reason such as "TooManyRequests") and Retry-After.
type Answer struct {
	Status     int
	Reason     string
	RetryAfter time.Duration
}

// checker keeps the problems found and fails the test at cleanup.
type checker struct {
	mu       sync.Mutex
	problems []string
	expected bool
}

func (c *checker) problem(format string, args ...any) string {
	p := fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.problems = append(c.problems, p)
	c.mu.Unlock()
	return p
}

// Problems are the requests the real service would have refused for their
// form, each described.
func (c *checker) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...)
}

// ExpectProblems tells the fake the test sends malformed requests on
// purpose: cleanup does not fail for them.
func (c *checker) ExpectProblems() {
	c.mu.Lock()
	c.expected = true
	c.mu.Unlock()
}

func (c *checker) cleanup(t testing.TB, name string) {
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.expected && len(c.problems) > 0 {
			t.Errorf("%s fake received requests the real service refuses:\n%v", name, c.problems)
		}
	})
}

// queue is the errors to answer next.
type queue struct {
	mu   sync.Mutex
	next []Answer
}

// FailNext makes the next requests (one per answer) get these errors.
func (q *queue) FailNext(a ...Answer) {
	q.mu.Lock()
	q.next = append(q.next, a...)
	q.mu.Unlock()
}

func (q *queue) pop() (Answer, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.next) == 0 {
		return Answer{}, false
	}
	a := q.next[0]
	q.next = q.next[1:]
	return a, true
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DeviceToken is a random APNs-style device token (64 hex digits); FCM
// accepts it as a registration token too.
func DeviceToken() string { return randHex(32) }
