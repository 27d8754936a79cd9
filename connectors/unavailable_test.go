package connectors

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
)

type retryLater struct{ after time.Duration }

func (e retryLater) Error() string             { return "inbox behind" }
func (e retryLater) Unwrap() error             { return hub.ErrUnavailable }
func (e retryLater) RetryAfter() time.Duration { return e.after }

// An unavailable store or bus is a 503 the sender retries; backpressure
// says when, in Retry-After (whole seconds, rounded up).
func TestUnavailable(t *testing.T) {
	gin.SetMode(gin.TestMode)
	tests := []struct {
		name       string
		err        error
		retryAfter string
	}{
		{"bus down", fmt.Errorf("publish: %w", hub.ErrUnavailable), ""},
		{"backpressure", fmt.Errorf("publish: %w", retryLater{5 * time.Second}), "5"},
		{"backpressure, rounded up", retryLater{1500 * time.Millisecond}, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			g, _ := gin.CreateTestContext(w)
			Unavailable(g, tc.err, "not stored, retry")
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503", w.Code)
			}
			if got := w.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if !strings.Contains(w.Body.String(), `"code":"unavailable"`) {
				t.Errorf("body %s", w.Body)
			}
		})
	}
	if !errors.Is(retryLater{}, hub.ErrUnavailable) {
		t.Fatal("test error is not ErrUnavailable")
	}
}
