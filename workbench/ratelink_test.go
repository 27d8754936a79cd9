package workbench

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// The rating page's routes through the workbench's router and error map:
// the page and its data for the invitation's token; a rating with a reason
// and a comment; 404 for a forged token, 403 (rating_link_expired) once
// the link's time is over, 400 for a malformed body — none of which
// changes the rating.
func TestRateLinkRoutes(t *testing.T) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			var now atomic.Int64
			now.Store(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC).UnixNano())
			d := storetest.Open(t, name, store.Options{Now: func() time.Time { return time.Unix(0, now.Load()).UTC() }})
			h := hubtest.Build(d.Store)
			ctx := context.Background()
			f := h.NewTenant(t)
			r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("m1", "alice")})[0]
			conv, err := h.Conversations.ByID(ctx, r.ConversationID)
			if r.Err != nil || err != nil {
				t.Fatal(r.Err, err)
			}
			var text string
			if err := h.K.Write(ctx, func(tx *store.Tx) (err error) { text, err = h.Ratings.Invite(ctx, tx, conv); return err }); err != nil {
				t.Fatal(err)
			}
			_, link, ok := strings.Cut(text, hubtest.PublicURL)
			if !ok {
				t.Fatalf("no link in %q", text)
			}
			token := strings.TrimPrefix(link, "/r/")
			s := New(Deps{Kernel: h.K, Ratings: h.Ratings})
			do := func(method, path, body string) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(method, path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				s.ServeHTTP(rec, req)
				return rec
			}
			page := do("GET", link, "")
			if page.Code != 200 || !strings.Contains(page.Body.String(), `<script src="/rate.js">`) ||
				!strings.Contains(page.Header().Get("Content-Security-Policy"), "script-src 'self'") ||
				page.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Fatalf("the page: %d %v %.200s", page.Code, page.Header(), page.Body)
			}
			if js := do("GET", "/rate.js", ""); js.Code != 200 || !strings.Contains(js.Body.String(), "textContent") {
				t.Fatalf("the script: %d", js.Code)
			}
			var v struct {
				Levels  []struct{ Label string }
				CanRate bool `json:"can_rate"`
				Rating  *hub.Rating
			}
			got := do("GET", "/api/v1/rate/"+token, "")
			if err := json.Unmarshal(got.Body.Bytes(), &v); got.Code != 200 || err != nil || len(v.Levels) != 5 || !v.CanRate || v.Rating != nil {
				t.Fatalf("the page's data: %d %s", got.Code, got.Body)
			}
			forged := token[:len(token)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(token, "a")]
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/r/" + forged, ""}, {"GET", "/api/v1/rate/" + forged, ""},
				{"POST", "/api/v1/rate/" + forged, `{"score":5}`}, {"POST", "/api/v1/rate/nothing", `{"score":5}`},
			} {
				if rec := do(c.method, c.path, c.body); rec.Code != 404 {
					t.Errorf("%s %s: %d, want 404", c.method, c.path, rec.Code)
				}
			}
			for _, body := range []string{`{"score":`, `{"score":"5"}`, `{"score":5,"reasons":["等待时间长"]}`, `{"score":9}`} {
				if rec := do("POST", "/api/v1/rate/"+token, body); rec.Code != 400 {
					t.Errorf("POST %s: %d, want 400: %s", body, rec.Code, rec.Body)
				}
			}
			if rating, _ := h.Conversations.Rating(ctx, conv.ID); rating != nil {
				t.Fatalf("refused requests rated: %+v", rating)
			}
			ok2 := do("POST", "/api/v1/rate/"+token, `{"score":2,"reasons":["服务态度差"],"comment":"<b>慢</b>"}`)
			if ok2.Code != 200 {
				t.Fatalf("rate: %d %s", ok2.Code, ok2.Body)
			}
			if rating, _ := h.Conversations.Rating(ctx, conv.ID); rating == nil || rating.Score != 2 || rating.Comment != "<b>慢</b>" ||
				len(rating.Reasons) != 1 {
				t.Fatalf("stored %+v", rating)
			}
			// Default settings: no change window, so a second rating conflicts.
			if rec := do("POST", "/api/v1/rate/"+token, `{"score":5}`); rec.Code != 409 {
				t.Fatalf("a change with no window: %d, want 409", rec.Code)
			}
			now.Add(int64(31 * time.Minute))
			for _, c := range []struct{ method, path, body string }{
				{"GET", link, ""}, {"GET", "/api/v1/rate/" + token, ""}, {"POST", "/api/v1/rate/" + token, `{"score":5}`},
			} {
				rec := do(c.method, c.path, c.body)
				if rec.Code != 403 || (c.path != link && !strings.Contains(rec.Body.String(), `"reason":"rating_link_expired"`)) {
					t.Errorf("expired %s %s: %d %s, want 403", c.method, c.path, rec.Code, rec.Body)
				}
			}
			if rating, _ := h.Conversations.Rating(ctx, conv.ID); rating.Score != 2 {
				t.Fatalf("an expired link changed the rating to %d", rating.Score)
			}
		})
	}
}
