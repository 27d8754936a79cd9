package kit

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/api"
)

// APIChannel is a developer API channel from the integrator's side.
type APIChannel struct {
	ID, Secret, WebhookURL string
}

// NewAPIChannel creates an API channel whose callbacks go to callback;
// extra fields are merged into the request.
func (c *Client) NewAPIChannel(callback string, extra map[string]any) APIChannel {
	c.T.Helper()
	body := map[string]any{"type": "api", "name": "dev", "config": map[string]any{"callback_url": callback}}
	for k, v := range extra {
		body[k] = v
	}
	r := c.Must(201, "POST", "/api/v1/channels", body)
	return APIChannel{ID: r.Str("id"), Secret: r.Str("secret"), WebhookURL: r.Str("webhook_url")}
}

// NewCallbackChannel creates an API channel whose callbacks go to cb, which
// checks their signatures with the channel's secret.
func (c *Client) NewCallbackChannel(cb *CallbackServer, extra map[string]any) APIChannel {
	c.T.Helper()
	ch := c.NewAPIChannel(cb.URL, extra)
	cb.SetSecret(ch.Secret)
	return ch
}

// Post sends a customer message to the channel, signed like a developer's
// system would; it returns the HTTP status and body.
func (ch APIChannel) Post(t testing.TB, base string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	return ch.PostRaw(t, base, b, time.Now())
}

// PostRaw sends body signed at ts.
func (ch APIChannel) PostRaw(t testing.TB, base string, b []byte, ts time.Time) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/webhooks/api/"+ch.ID, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	id := "msg_" + RandHex(8)
	if err := api.SetHeaders(req.Header, ch.Secret, id, ts, b); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post webhook: %v", err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// TextMsg is an API channel text message body.
func TextMsg(id, contact, text string) map[string]any {
	return map[string]any{"id": id, "contact": map[string]any{"id": contact, "name": "Customer " + contact},
		"type": "text", "text": text}
}

// sendClient posts from goroutines and across a hub's death.
var sendClient = &http.Client{Timeout: 15 * time.Second}

// DropIdleConns closes the test's idle client connections before the hubs
// stop: concurrent requests leave connections the client dialed but never
// used, and http.Server.Shutdown waits 5 s for such a connection's first
// request before it counts it as idle. Call it after the hubs started (so
// it runs before their cleanup).
func DropIdleConns(t testing.TB) {
	t.Cleanup(func() {
		sendClient.CloseIdleConnections()
		http.DefaultClient.CloseIdleConnections()
	})
}

// TrySend posts a signed customer message without failing the test, for use
// from goroutines and across a hub's death: it returns the status or the
// transport error.
func TrySend(ch APIChannel, base string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest("POST", base+"/webhooks/api/"+ch.ID, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := api.SetHeaders(req.Header, ch.Secret, "msg_"+RandHex(8), time.Now(), b); err != nil {
		return 0, err
	}
	res, err := sendClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var sink bytes.Buffer
	sink.ReadFrom(res.Body)
	return res.StatusCode, nil
}

// CallbackServer records signed callbacks from the hub.
type CallbackServer struct {
	URL    string
	mu     sync.Mutex
	secret string
	got    []Callback
	srv    *http.Server
}

// Callback is one request the hub made to a CallbackServer.
type Callback struct {
	ID   string
	Body map[string]any
	OK   bool // signature verified
}

// NewCallbackServer listens on loopback until the test ends.
func NewCallbackServer(t testing.TB) *CallbackServer {
	t.Helper()
	cs := &CallbackServer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs.URL = "http://" + ln.Addr().String() + "/callback"
	cs.srv = &http.Server{Handler: http.HandlerFunc(cs.serve)}
	go cs.srv.Serve(ln)
	t.Cleanup(func() { cs.srv.Close() })
	return cs
}

// SetSecret is the channel secret the callbacks' signatures are checked with.
func (cs *CallbackServer) SetSecret(s string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.secret = s
}

func (cs *CallbackServer) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var body map[string]any
	json.Unmarshal(b, &body)
	ok := cs.secret != "" && api.Verify(cs.secret, r.Header, b, time.Now(), 5*time.Minute) == nil
	cs.got = append(cs.got, Callback{ID: r.Header.Get(api.HeaderID), Body: body, OK: ok})
	w.WriteHeader(204)
}

// Received is every callback so far, in arrival order.
func (cs *CallbackServer) Received() []Callback {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]Callback(nil), cs.got...)
}

// Texts lists the texts of the messages the callback received for a
// customer, in arrival order, once per message id.
func (cs *CallbackServer) Texts(cust string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cs.Received() {
		if c.Body["type"] != "message.created" || Dig(c.Body, "data", "contact", "external_id") != cust {
			continue
		}
		id, _ := Dig(c.Body, "data", "message", "id").(string)
		if !seen[id] {
			seen[id] = true
			text, _ := Dig(c.Body, "data", "message", "text").(string)
			out = append(out, text)
		}
	}
	return out
}

// Count is how many times s is in list.
func Count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
