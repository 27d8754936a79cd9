package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/connectors/connectortest"
	"github.com/kefu-hub/kefu/hub"
)

// devSystem is the API channel's "platform": the developer's own system,
// which posts customer messages signed the Standard Webhooks way and
// receives agent replies at its callback URL.
type devSystem struct {
	srv      *httptest.Server
	mu       sync.Mutex
	ch       *hub.Channel
	got      []connectortest.Received
	attempts []string // webhook-id of every callback, failed ones included
	fail     int
}

func newDevSystem(t *testing.T) *devSystem {
	d := &devSystem{}
	d.srv = httptest.NewServer(http.HandlerFunc(d.callback))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *devSystem) callback(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts = append(d.attempts, r.Header.Get(api.HeaderID))
	if d.fail > 0 {
		d.fail--
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	var p struct {
		Data struct {
			Message struct{ Text string }
			Contact struct {
				ExternalID string `json:"external_id"`
			}
		}
	}
	json.Unmarshal(body, &p)
	ok := d.ch != nil && api.Verify(d.ch.Secret, r.Header, body, time.Now(), 5*time.Minute) == nil
	d.got = append(d.got, connectortest.Received{ContactID: p.Data.Contact.ExternalID, Text: p.Data.Message.Text, Authentic: ok})
	w.WriteHeader(http.StatusNoContent)
}

func (d *devSystem) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]string{"callback_url": d.srv.URL + "/kefu/callback"})
	return b
}

func (d *devSystem) Bind(ch *hub.Channel) {
	d.mu.Lock()
	d.ch = ch
	d.mu.Unlock()
}

func (d *devSystem) push(t *testing.T, hubURL, channelID, secret string, body []byte, ts time.Time) int {
	t.Helper()
	req, _ := http.NewRequest("POST", hubURL+"/webhooks/api/"+channelID, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if err := api.SetHeaders(req.Header, secret, "msg_"+channelID+time.Now().Format("150405.000000000"), ts, body); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (d *devSystem) Deliver(t *testing.T, hubURL string, ch *hub.Channel, m connectortest.Message, valid bool) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": m.ID, "contact": map[string]any{"id": m.ContactID}, "type": "text", "text": m.Text})
	secret := ch.Secret
	if !valid {
		secret = api.NewSecret()
	}
	return d.push(t, hubURL, ch.ID, secret, body, time.Now())
}

func (d *devSystem) Received() []connectortest.Received {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]connectortest.Received(nil), d.got...)
}

func (d *devSystem) FailNext(n int) {
	d.mu.Lock()
	d.fail = n
	d.mu.Unlock()
}

var apiHarness = connectortest.Harness{
	New:  func(d connectors.Deps, _ connectortest.Fake) connectors.Connector { return api.New(d) },
	Fake: func(t *testing.T) connectortest.Fake { return newDevSystem(t) },
	BadConfigs: []json.RawMessage{
		json.RawMessage(`{"callback_url":"ftp://example.com/hook"}`),
		json.RawMessage(`{"callback_url":"javascript:alert(1)"}`),
		json.RawMessage(`{"callback_url":"not a url"}`),
		json.RawMessage(`{"callback_url":"http://"}`),
		json.RawMessage(`{"callback_url":"/relative/path"}`),
		json.RawMessage(`{"callback_url":5}`),
		json.RawMessage(`{"callback_url":{"$ne":""}}`),
		json.RawMessage(`[1]`),
		json.RawMessage(`"x"`),
		json.RawMessage(`{`),
	},
}

// The API channel passes the connector contract.
func TestContract(t *testing.T) { connectortest.Run(t, apiHarness) }

// apiRig is the API connector on a real server with a capturing Publish,
// for the checks only this channel has.
type apiRig struct {
	c         *api.Connector
	url       string
	ch        *hub.Channel
	mu        sync.Mutex
	published []hub.Inbound
}

func newAPIRig(t *testing.T, allowPrivate bool, cfg json.RawMessage) *apiRig {
	gin.SetMode(gin.ReleaseMode)
	r := &apiRig{ch: &hub.Channel{ID: "ch_api", TenantID: "tn_api", Type: "api", Name: "dev"}}
	r.c = api.New(connectors.Deps{
		Channel: func(_ context.Context, id string) (*hub.Channel, error) {
			if id == r.ch.ID {
				return r.ch, nil
			}
			return nil, hub.ErrNotFound
		},
		Publish: func(_ context.Context, in hub.Inbound) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.published = append(r.published, in)
			return nil
		},
		HTTP: connectors.NewHTTPClient(allowPrivate), MaxBody: 1 << 20, Tolerance: 5 * time.Minute,
		AllowPrivate: allowPrivate, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
	})
	if err := r.c.Setup(r.ch, cfg, false); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	e := gin.New()
	connectors.Registry{r.c.Type(): r.c}.Mount(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// Everything of the documented body reaches the hub, and stale or future
// timestamps are refused.
func TestAPIInboundFieldsAndTimestamps(t *testing.T) {
	r := newAPIRig(t, true, nil)
	d := &devSystem{}
	body := []byte(`{"id":"m-1","contact":{"id":"u-1","name":"王小明","email":"w@example.cn","phone":"+86 138"},"type":"image",
		"text":"看图","group":"售后","attachments":[{"url":"https://cdn.example.com/a.png","name":"a.png","type":"image/png","size":2048}],"future":"ignored"}`)
	if st := d.push(t, r.url, r.ch.ID, r.ch.Secret, body, time.Now()); st != 200 {
		t.Fatalf("push: %d", st)
	}
	want := hub.Inbound{TenantID: "tn_api", ChannelID: "ch_api", ExternalID: "m-1",
		Contact: hub.ContactInfo{ExternalID: "u-1", Name: "王小明", Email: "w@example.cn", Phone: "+86 138"}, Type: "image",
		Text: "看图", Group: "售后", Attachments: []hub.Attachment{{URL: "https://cdn.example.com/a.png", Name: "a.png", Type: "image/png", Size: 2048}}}
	r.mu.Lock()
	got := r.published
	r.mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("published %d", len(got))
	}
	got[0].ReceivedAt = time.Time{}
	gj, _ := json.Marshal(got[0])
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("published\n%s\nwant\n%s", gj, wj)
	}
	for _, skew := range []time.Duration{-6 * time.Minute, 6 * time.Minute, -time.Hour, 24 * time.Hour} {
		if st := d.push(t, r.url, r.ch.ID, r.ch.Secret, body, time.Now().Add(skew)); st != 401 {
			t.Errorf("signed %s off: %d, want 401", skew, st)
		}
	}
	for _, skew := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
		if st := d.push(t, r.url, r.ch.ID, r.ch.Secret, body, time.Now().Add(skew)); st != 200 {
			t.Errorf("signed %s off: %d, want 200 (within the 5-minute tolerance)", skew, st)
		}
	}
}

// Callbacks carry the delivery id as webhook-id on every attempt, so the
// developer's system can deduplicate retries.
func TestAPICallbackIDStableAcrossRetries(t *testing.T) {
	dev := &devSystem{}
	dev.srv = httptest.NewServer(http.HandlerFunc(dev.callback))
	defer dev.srv.Close()
	r := newAPIRig(t, true, dev.Config())
	dev.Bind(r.ch)
	d := &hub.Outbound{ID: "msg_stable", TenantID: r.ch.TenantID, Kind: hub.OutboundEvent,
		Event: &hub.Event{Type: hub.EvConversationClosed, Payload: hub.RawJSON(`{}`)}}
	dev.FailNext(2)
	for i := 0; i < 3; i++ {
		res := r.c.Send(t.Context(), r.ch, d)
		if (i < 2) != (res.Err != nil) || res.Permanent {
			t.Fatalf("attempt %d: %+v", i, res)
		}
	}
	dev.mu.Lock()
	defer dev.mu.Unlock()
	if len(dev.attempts) != 3 {
		t.Fatalf("%d attempts", len(dev.attempts))
	}
	for _, id := range dev.attempts {
		if id != "msg_stable" {
			t.Fatalf("attempt ids %v, want msg_stable every time", dev.attempts)
		}
	}
	if len(dev.got) != 1 || !dev.got[0].Authentic {
		t.Fatalf("received %+v, want one signed callback", dev.got)
	}
}

// Without a callback URL there is nothing to push; loopback and private
// callback URLs are refused unless the operator allows them, at setup and
// again when dialing.
func TestAPICallbackURLs(t *testing.T) {
	r := newAPIRig(t, true, json.RawMessage(`{}`))
	if r.ch.WantsEvents {
		t.Fatal("a channel without a callback URL wants events")
	}
	if res := r.c.Send(t.Context(), r.ch, &hub.Outbound{ID: "msg_x", Kind: hub.OutboundEvent, Event: &hub.Event{Payload: hub.RawJSON(`{}`)}}); res.Err != nil {
		t.Fatalf("Send without a callback URL: %v", res.Err)
	}

	strict := api.New(connectors.Deps{HTTP: connectors.NewHTTPClient(false), Now: time.Now, Log: slog.Default()})
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x",
		"http://10.0.0.1/x", "http://192.168.1.1/x", "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/x"} {
		ch := &hub.Channel{ID: "ch_s", Type: "api"}
		err := strict.Setup(ch, json.RawMessage(`{"callback_url":"`+u+`"}`), false)
		var invalid *hub.InvalidError
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "callback_url") {
			t.Errorf("callback %s: %v, want refused", u, err)
		}
	}
	// A channel saved while private addresses were allowed is still not
	// dialed by a hub that forbids them.
	dev := newDevSystem(t)
	ch := &hub.Channel{ID: "ch_s", Type: "api", Secret: api.NewSecret(), Config: dev.Config()}
	res := strict.Send(t.Context(), ch, &hub.Outbound{ID: "msg_y", Kind: hub.OutboundEvent, Event: &hub.Event{Payload: hub.RawJSON(`{}`)}})
	if res.Err == nil || !errors.Is(res.Err, connectors.ErrPrivateAddress) {
		t.Fatalf("Send to a loopback callback with private addresses forbidden: %+v", res)
	}
	if len(dev.Received()) != 0 {
		t.Fatal("the loopback callback was called")
	}
}

// A signed callback is not sent on when the callback URL redirects (for
// any 3xx, also 307/308 that would keep the POST): the attempt fails with
// a reason naming the redirect, and the other host never sees the request
// nor its webhook-* headers.
func TestAPICallbackRedirectNotFollowed(t *testing.T) {
	var elsewhere []http.Header
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Clone())
		mu.Unlock()
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/stolen", code)
		}))
		r := newAPIRig(t, true, json.RawMessage(`{"callback_url":"`+redirect.URL+`/kefu"}`))
		res := r.c.Send(t.Context(), r.ch, &hub.Outbound{ID: "msg_r", TenantID: r.ch.TenantID, Kind: hub.OutboundEvent,
			Event: &hub.Event{Type: hub.EvConversationClosed, Payload: hub.RawJSON(`{}`)}})
		redirect.Close()
		if res.Err == nil || res.StatusCode != code || !strings.Contains(res.Err.Error(), "redirect") {
			t.Errorf("callback answered %d: %+v, want a failed attempt naming the redirect", code, res)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) != 0 {
		t.Fatalf("the redirect target got %d requests (headers %v), want none", len(elsewhere), elsewhere[0])
	}
}
