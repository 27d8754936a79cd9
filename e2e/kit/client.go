package kit

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Client is an authenticated REST caller: an admin, an agent, an API token
// holder, or (without Token) anyone.
type Client struct {
	T     testing.TB
	Base  string
	Token string
}

// Resp is an HTTP answer.
type Resp struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v.
func (r Resp) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// JSONMap decodes the body as an object.
func (r Resp) JSONMap(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Str is the string at a dotted path of the JSON body ("" if none).
func (r Resp) Str(path string) string {
	var v any
	json.Unmarshal(r.Body, &v)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// Do calls the hub with a JSON body (nil: none).
func (c *Client) Do(method, path string, body any) Resp {
	c.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.T.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	return c.DoRaw(method, path, "application/json", rd)
}

// DoRaw calls the hub with a body of any content type (nil: none).
func (c *Client) DoRaw(method, path, contentType string, body io.Reader) Resp {
	c.T.Helper()
	req, _ := http.NewRequest(method, c.Base+path, body)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Resp{Status: res.StatusCode, Body: b, Header: res.Header}
}

// Must calls and fails the test unless the status is want.
func (c *Client) Must(want int, method, path string, body any) Resp {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Status != want {
		c.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Login signs in with email and password.
func Login(t testing.TB, base, email, password string) *Client {
	t.Helper()
	c := &Client{T: t, Base: base}
	r := c.Must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	c.Token = r.Str("token")
	return c
}

// Admin signs in as the first tenant's admin (the Env's KEFU_ADMIN_*).
func (h *Hub) Admin() *Client { return Login(h.T, h.Base, "admin@kefu.test", "admin-pass-1") }

// On returns the same identity against another hub process.
func (c *Client) On(h *Hub) *Client { return &Client{T: c.T, Base: h.Base, Token: c.Token} }

// NewAgent creates an agent (password agent-pass-1) and logs them in.
func (c *Client) NewAgent(email string, maxChats int, groups ...string) *Client {
	c.T.Helper()
	if groups == nil {
		groups = []string{}
	}
	c.Must(201, "POST", "/api/v1/agents", map[string]any{"email": email, "password": "agent-pass-1",
		"name": strings.Split(email, "@")[0], "max_chats": maxChats, "groups": groups})
	return Login(c.T, c.Base, email, "agent-pass-1")
}

// SetStatus sets the signed-in agent's status (online, busy, offline).
func (c *Client) SetStatus(status string) {
	c.T.Helper()
	c.Must(200, "PUT", "/api/v1/me/status", map[string]string{"status": status})
}

// MeID is the signed-in agent's id.
func (c *Client) MeID() string {
	c.T.Helper()
	return c.Must(200, "GET", "/api/v1/me", nil).Str("id")
}

// CurrentChats reads GET /api/v1/agents: agent id → current chats.
func (c *Client) CurrentChats() map[string]int {
	c.T.Helper()
	var list struct {
		Agents []struct {
			ID           string `json:"id"`
			CurrentChats int    `json:"current_chats"`
		}
	}
	c.Must(200, "GET", "/api/v1/agents", nil).JSON(c.T, &list)
	out := map[string]int{}
	for _, a := range list.Agents {
		out[a.ID] = a.CurrentChats
	}
	return out
}

// ConvStatus is a conversation's status and assignee.
func (c *Client) ConvStatus(convID string) (status, assignee string) {
	c.T.Helper()
	var v struct {
		Status     string  `json:"status"`
		AssigneeID *string `json:"assignee_id"`
	}
	c.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSON(c.T, &v)
	if v.AssigneeID != nil {
		assignee = *v.AssigneeID
	}
	return v.Status, assignee
}

// ConversationOf finds the contact's active conversation (as an admin sees it).
func (c *Client) ConversationOf(externalID string, within time.Duration) map[string]any {
	c.T.Helper()
	var found map[string]any
	Eventually(c.T, within, "a conversation of "+externalID, func() bool {
		var list struct{ Conversations []struct{ ID string } }
		c.Must(200, "GET", "/api/v1/conversations", nil).JSON(c.T, &list)
		for _, cv := range list.Conversations {
			var full map[string]any
			c.Must(200, "GET", "/api/v1/conversations/"+cv.ID, nil).JSON(c.T, &full)
			if Dig(full, "contact", "external_id") == externalID {
				found = full
				return true
			}
		}
		return false
	})
	return found
}

// HasConversation reports whether the contact has any active conversation.
func (c *Client) HasConversation(externalID string) bool {
	c.T.Helper()
	var list struct{ Conversations []struct{ ID string } }
	c.Must(200, "GET", "/api/v1/conversations", nil).JSON(c.T, &list)
	for _, cv := range list.Conversations {
		if Dig(c.Must(200, "GET", "/api/v1/conversations/"+cv.ID, nil).JSONMap(c.T), "contact", "external_id") == externalID {
			return true
		}
	}
	return false
}

// Msg is a stored message as the API shows it.
type Msg struct {
	ID, Type, Text, Status, Error, Direction, SenderType string
	Seq                                                  int64
	Attachments                                          []struct{ URL, Name, Type string }
}

// Messages lists a conversation's messages (up to 500).
func (c *Client) Messages(convID string) []Msg {
	c.T.Helper()
	var ms struct{ Messages []Msg }
	c.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages?limit=500", nil).JSON(c.T, &ms)
	return ms.Messages
}

// WaitMessages waits until the conversation holds n messages, and fails if
// it holds more.
func (c *Client) WaitMessages(convID string, n int) []Msg {
	c.T.Helper()
	var ms []Msg
	Eventually(c.T, 15*time.Second, strconv.Itoa(n)+" messages in "+convID, func() bool {
		ms = c.Messages(convID)
		return len(ms) >= n
	})
	if len(ms) != n {
		c.T.Fatalf("conversation has %d messages, want %d: %+v", len(ms), n, ms)
	}
	return ms
}

// Upload attaches a file the way the workbench does (multipart "file").
func (c *Client) Upload(name string, data []byte) Resp {
	c.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	r := c.DoRaw("POST", "/api/v1/attachments", mw.FormDataContentType(), &buf)
	if r.Status != 201 {
		c.T.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
	}
	return r
}

// SetAvatar gives the signed-in agent a 64×64 PNG avatar (个人设置) and
// returns its avatar_url.
func (c *Client) SetAvatar() string {
	c.T.Helper()
	var pic, buf bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 64, 64)))
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "me.png")
	fw.Write(pic.Bytes())
	mw.Close()
	r := c.DoRaw("POST", "/api/v1/me/avatar", mw.FormDataContentType(), &buf)
	if r.Status != 200 || r.Str("avatar_url") == "" {
		c.T.Fatalf("avatar: %d %s", r.Status, r.Body)
	}
	return r.Str("avatar_url")
}

// Download fetches an attachment with its headers.
func (c *Client) Download(u string) (*http.Response, []byte) {
	c.T.Helper()
	req, _ := http.NewRequest("GET", c.Base+u, nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// slowBox stretches every wait of the tests and every browser script's
// time limit: a wait is for a hub to get somewhere, never a speed check,
// and under make test four tests a package share two cores with their hubs
// and the other packages' tests (a step that takes 2 s alone has taken
// over 15; a browser script that takes 12 s alone ran past 2 minutes).
const slowBox = 3

// Eventually polls cond until it holds or d (times slowBox) passes. It
// polls quickly at first, then every 100 ms: many tests poll hubs at once,
// and each poll costs the hub (and the database) some work.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	Within(t, d*slowBox, what, cond)
}

// Within is Eventually without the stretch, for a wait that checks a time
// the hub promises (a restarted hub stores again within 10 s).
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for wait := 25 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, 100*time.Millisecond) {
		if cond() {
			return
		}
		time.Sleep(wait)
	}
	t.Fatalf("timed out after %s waiting for: %s", d, what)
}

// Dig walks a decoded JSON value along object keys (nil if absent).
func Dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
