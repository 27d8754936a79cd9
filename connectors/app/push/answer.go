package push

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kefu-hub/kefu/connectors"
)

// Error is a push service's refusal, or a request that got no answer
// (Status 0).
type Error struct {
	Via        string
	Status     int    // HTTP status
	Reason     string // the service's code: Unregistered, UNAVAILABLE …
	RetryAfter time.Duration
	kind       failKind
	cause      error
}

type failKind int

const (
	permanent failKind = iota
	retryable
	invalidToken
	authRejected // the service refused our credential: renew it once
)

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: %s", e.Via, e.Reason)
	}
	return fmt.Sprintf("%s answered %d %s", e.Via, e.Status, e.Reason)
}

// maxAnswer bounds how much of a push service's answer is read.
const maxAnswer = 64 << 10

// transportError is a request that got no answer (refused, reset, timed
// out): worth retrying unless the caller's context ended. The reason
// leaves out the URL, which holds an APNs device token.
func transportError(via string, err error) error {
	kind := retryable
	if errors.Is(err, connectors.ErrPrivateAddress) {
		kind = permanent
	}
	reason := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		reason = ue.Op + ": " + ue.Err.Error()
	}
	return &Error{Via: via, Reason: reason, kind: kind, cause: err}
}

// statusKind is how an HTTP status is treated when the body says no more.
func statusKind(status int) failKind {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryable
	}
	return permanent
}

// answerError is the *Error of a non-2xx answer, its kind from the status.
func answerError(via string, res *http.Response, reason string) *Error {
	if reason == "" {
		reason = http.StatusText(res.StatusCode)
	}
	return &Error{Via: via, Status: res.StatusCode, Reason: reason, kind: statusKind(res.StatusCode),
		RetryAfter: retryAfter(res.Header.Get("Retry-After"), time.Now())}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// readAnswer reads at most maxAnswer bytes of a body and closes it.
func readAnswer(res *http.Response) []byte {
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer)) // let the connection be reused
	return b
}

// Unwrap is the transport error under a request that got no answer.
func (e *Error) Unwrap() error { return e.cause }

// IsInvalidToken reports whether err says the token will never work.
func IsInvalidToken(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.kind == invalidToken
}
