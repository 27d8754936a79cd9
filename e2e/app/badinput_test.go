package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// appBadBodies maps every app route that reads a JSON body to a body with a
// field of the wrong type ("" for those that read none). A route missing
// here fails the test.
var appBadBodies = map[string]string{
	"POST /app/v1/:app_key/identify":      `{"user_id":{"$ne":null},"user_hash":"00"}`,
	"POST /app/v1/:app_key/conversations": "",
	"OPTIONS /app/v1/:app_key/*path":      "", // a CORS preflight: no body
	"POST /app/v1/:app_key/messages":      `{"client_msg_id":"b-1","text":["x"]}`,
	"POST /app/v1/:app_key/uploads":       "", // multipart: TestAppUploads
	"POST /app/v1/:app_key/read":          `{"conversation_id":"x","seq":"last"}`,
	"POST /app/v1/:app_key/rating":        `{"conversation_id":"x","score":"five"}`,
	"POST /app/v1/:app_key/feedback":      `{"message_id":"x","helpful":"yes"}`,
	"POST /app/v1/:app_key/leave_message": `{"client_msg_id":"b-2","fields":"call me"}`,
	"PUT /app/v1/:app_key/push_token":     `{"platform":"ios","token":{"$ne":null}}`,
	"DELETE /app/v1/:app_key/push_token":  `{"token":["x"]}`,
}

// TestAppRejectsBadBodies: malformed JSON, wrong types, invalid UTF-8 and
// NULs are 400s with a JSON error, oversize bodies 413s, and none of it
// stores anything or answers 500.
func TestAppRejectsBadBodies(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	c, secret := newApp(t, adm, h.Base, nil)
	ctx := context.Background()
	s, err := c.Identify(ctx, kefuapp.Identity{UserID: "bad-1", UserHash: kefuapp.UserHash(secret, "bad-1")})
	if err != nil {
		t.Fatal(err)
	}
	raw := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, h.Base+"/app/v1/"+c.AppKey+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.Token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out map[string]any
		json.Unmarshal(b, &out)
		return res.StatusCode, out
	}
	for _, r := range kit.Routes(t) {
		if !strings.HasPrefix(r.Path, "/app/v1/") || r.Method == "GET" {
			continue
		}
		typed, ok := appBadBodies[r.String()]
		if !ok {
			t.Errorf("app route %s is not in appBadBodies", r.String())
			continue
		}
		if typed == "" {
			continue
		}
		path := strings.TrimPrefix(r.Path, "/app/v1/:app_key")
		for _, body := range []string{"{", `{"a":`, `[1,2]`, `"x"`, "\x00\xff", "", typed} {
			st, out := raw(r.Method, path, body)
			if st != http.StatusBadRequest || kit.Dig(out, "error", "code") == nil {
				t.Errorf("%s with body %q: %d %v, want 400 with a JSON error", r, body, st, out)
			}
		}
		if st, _ := raw(r.Method, path, `{"text":"`+strings.Repeat("x", 200<<10)+`"}`); st != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a 200 KiB body: %d, want 413", r, st)
		}
	}
	// Text with NULs and invalid UTF-8 inside valid JSON is stored cleaned.
	if st, out := raw("POST", "/messages", "{\"client_msg_id\":\"nul-1\",\"text\":\"a\\u0000b\"}"); st != http.StatusAccepted {
		t.Fatalf("a NUL in text: %d %v", st, out)
	}
	// Nothing but that one message was stored (the offline notice answers it).
	var in []kefuapp.Message
	kit.Eventually(t, 10*time.Second, "the cleaned message", func() bool {
		p, err := s.Messages(ctx, "", 0)
		in = in[:0]
		for _, m := range p.Messages {
			if m.Direction == "in" {
				in = append(in, m)
			}
		}
		return err == nil && len(in) > 0
	})
	if len(in) != 1 || in[0].Text != "ab" {
		t.Fatalf("stored from the customer: %+v", in)
	}
	// Bad queries are 400s.
	for _, q := range []string{"after=x", "before=-1", "limit=0", "after=1&before=2", "limit=1e3"} {
		if st, _ := raw("GET", "/messages?"+q, ""); st != http.StatusBadRequest {
			t.Errorf("GET messages?%s: %d, want 400", q, st)
		}
	}
}

// TestAppUploads: an image uploads and travels in a message to a signed
// link; a type the app does not accept is 415, a file over its limit 413.
func TestAppUploads(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	c, secret := newApp(t, adm, h.Base, map[string]any{"upload": map[string]any{"max_bytes": 4096, "types": []string{"image/*"}}})
	ctx := context.Background()
	s, err := c.Identify(ctx, kefuapp.Identity{UserID: "up-1", UserHash: kefuapp.UserHash(secret, "up-1")})
	if err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	id, err := s.Upload(ctx, "截图.png", png)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(ctx, "page.html", []byte("<html><script>alert(1)</script></html>")); status(err) != http.StatusUnsupportedMediaType {
		t.Fatalf("an HTML upload: %v, want 415", err)
	}
	if _, err := s.Upload(ctx, "big.png", append(png, make([]byte, 8192)...)); status(err) != http.StatusRequestEntityTooLarge {
		t.Fatalf("an 8 KiB upload over a 4 KiB limit: %v, want 413", err)
	}
	other, _ := c.Identify(ctx, kefuapp.Identity{UserID: "up-2", UserHash: kefuapp.UserHash(secret, "up-2")})
	if _, err := other.Send(ctx, "o-1", "", id); status(err) != http.StatusBadRequest {
		t.Fatalf("another user sending my upload: %v, want 400", err)
	}
	if _, err := s.Send(ctx, "u-1", "", id); err != nil {
		t.Fatal(err)
	}
	var msg kefuapp.Message
	kit.Eventually(t, 10*time.Second, "the image message", func() bool {
		p, err := s.Messages(ctx, "", 0)
		if err == nil && len(p.Messages) > 0 {
			msg = p.Messages[0]
		}
		return msg.ID != ""
	})
	if msg.Type != "image" || len(msg.Attachments) != 1 || msg.Attachments[0].Name != "截图.png" {
		t.Fatalf("image message %+v", msg)
	}
	res, err := http.Get(h.Base + msg.Attachments[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(b) != len(png) {
		t.Fatalf("GET the file: %d, %d bytes", res.StatusCode, len(b))
	}
	if res, _ := http.Get(h.Base + strings.Split(msg.Attachments[0].URL, "?")[0] + "?s=forged"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a forged link: %d, want 403", res.StatusCode)
	}
}

// TestAppSocketCap: beyond the process's cap of customer sockets
// (KEFU_VISITOR_SOCKETS_MAX) an app socket is refused with
// too_many_connections and close code 4429; once one closes, a new one
// gets in.
func TestAppSocketCap(t *testing.T) {
	t.Parallel()
	e := kit.NewEnv(t, kit.Embedded)
	e.Vars["KEFU_VISITOR_SOCKETS_MAX"] = "2"
	h := e.Start()
	c, secret := newApp(t, h.Admin(), h.Base, nil)
	ctx := context.Background()
	s, err := c.Identify(ctx, kefuapp.Identity{UserID: "cap-1", UserHash: kefuapp.UserHash(secret, "cap-1")})
	if err != nil {
		t.Fatal(err)
	}
	var open []*kefuapp.Socket
	for range 2 {
		k, err := s.Dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		next(t, k, "welcome")
		open = append(open, k)
	}
	third, err := s.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := next(t, third, "error"); kit.Dig(map[string]any(f), "error", "code") != "too_many_connections" {
		t.Fatalf("the third socket: %v", f)
	}
	open[0].Close()
	kit.Eventually(t, 5*time.Second, "a place again", func() bool {
		k, err := s.Dial(ctx)
		if err != nil {
			return false
		}
		defer k.Close()
		select {
		case f := <-k.Frames:
			return f.Type() == "welcome"
		case <-time.After(5 * time.Second):
			return false
		}
	})
}
