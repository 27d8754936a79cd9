package desk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// A subscription whose URL redirects is not followed to the new place: the
// delivery fails with a reason naming the redirect in the delivery log, and
// the other host never sees the signed request.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		var stolen atomic.Int64
		other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
		defer other.Close()
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
		}))
		defer redirect.Close()
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		subID := adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": redirect.URL + "/hook",
			"events": []string{"message.created"}}).Str("id")
		if st, body := ch.Post(t, h.Base, kit.TextMsg("wr-1", "cust-r", "你好")); st != 200 {
			t.Fatalf("post: %d %s", st, body)
		}
		var log struct {
			Deliveries []struct {
				Status    string
				Attempts  int    `json:"attempts"`
				LastError string `json:"last_error"`
			}
		}
		kit.Eventually(t, 20*time.Second, "failed attempts in the delivery log", func() bool {
			adm.Must(200, "GET", "/api/v1/webhooks/"+subID+"/deliveries", nil).JSON(t, &log)
			for _, d := range log.Deliveries {
				if d.LastError == "" {
					return false
				}
			}
			return len(log.Deliveries) > 0
		})
		for _, d := range log.Deliveries {
			if d.Status == "delivered" || !strings.Contains(d.LastError, "302") || !strings.Contains(d.LastError, "redirect") {
				t.Fatalf("delivery %+v, want not delivered, naming the 302 redirect", d)
			}
		}
		if n := stolen.Load(); n != 0 {
			t.Fatalf("the redirect target got %d requests", n)
		}
	})
}
