// Package connectortest is the contract every webhook connector passes: the
// API channel, WeChat, and Weibo, QQ and app as they arrive. (The web
// channel's visitors hold a websocket and its Send has nothing to push; its
// own tests in web_test.go hold it to the same promises: acknowledged only
// once durable, stored once, bad input refused.) A connector's
// test describes, through a Harness, how to build it and its platform fake
// (a local server speaking the platform's real wire protocol), then calls
// Run:
//
//	func TestContract(t *testing.T) {
//		connectortest.Run(t, connectortest.Harness{
//			New:        func(d connectors.Deps, f connectortest.Fake) connectors.Connector { return wechat.New(d, f.(*fake).URL) },
//			Fake:       func(t *testing.T) connectortest.Fake { return newFake(t) },
//			BadConfigs: []json.RawMessage{`{"appid":""}`},
//		})
//	}
//
// The suite checks what users and the hub rely on: a correctly signed
// message is acknowledged and published exactly once, normalized; a bad
// signature, an unknown channel or an oversize body is refused and publishes
// nothing; a store that is down answers 5xx so the platform retries; Send
// reaches the platform, and a platform failure is a retryable error.
package connectortest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/richtext"
)

// Message is one customer message as the platform would push it.
type Message struct {
	ID        string // the platform's message id (digits, so any platform can carry it)
	ContactID string // the sender's id on the platform (digits, so any platform can carry it: Weibo's are int64)
	Text      string
}

// Received is one message the fake platform was asked to deliver by Send.
type Received struct {
	ContactID string // the recipient, as the platform knows them
	Text      string
	// Authentic reports whether the call carried valid credentials for the
	// channel (signature, access token …), as the real platform would check.
	Authentic bool
}

// Fake is a platform stand-in for one test.
type Fake interface {
	// Config is a valid channel config pointing the connector at this fake.
	Config() json.RawMessage
	// Bind tells the fake the channel as the connector set it up (with its
	// secret), so it can sign pushes and check the calls it receives.
	Bind(ch *hub.Channel)
	// Deliver makes the platform push m for channel ch to the hub at hubURL
	// (at /webhooks/<the connector's type>/<ch.ID>, whatever ch.Type says),
	// signed with ch's credentials or (valid=false) wrong ones, and returns
	// the HTTP status the hub answered.
	Deliver(t *testing.T, hubURL string, ch *hub.Channel, m Message, valid bool) int
	// Received lists what Send delivered to the fake, in order (calls the
	// fake failed on purpose are not in it).
	Received() []Received
	// FailNext makes the fake answer the next n calls from Send with a
	// server error (HTTP 500 or the platform's equivalent).
	FailNext(n int)
}

// Harness describes a connector to the suite.
type Harness struct {
	// New builds the connector with the suite's deps (a capturing Publish,
	// loopback allowed) against the fake.
	New func(d connectors.Deps, f Fake) connectors.Connector
	// Fake starts a fresh platform fake for one test.
	Fake func(t *testing.T) Fake
	// BadConfigs are channel configs Setup must reject as invalid input.
	BadConfigs []json.RawMessage
	// PlatformSecret marks a channel whose secret is the platform's own
	// (QQ's AppSecret): the hub cannot make a new one, so a rotation
	// without a new secret from the admin is refused and changes nothing.
	PlatformSecret bool
}

// MaxBody is the inbound body limit the suite runs connectors with.
const MaxBody = 64 << 10

// rig is one connector under test, mounted on a real HTTP server.
type rig struct {
	t         *testing.T
	c         connectors.Connector
	fake      Fake
	url       string
	ch        *hub.Channel
	mu        sync.Mutex
	published []hub.Inbound
	down      error // Publish fails with this while set
	channels  map[string]*hub.Channel
}

func randID(prefix string) string {
	b := make([]byte, 10)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

func newRig(t *testing.T, h Harness) *rig {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	r := &rig{t: t, fake: h.Fake(t), channels: map[string]*hub.Channel{}}
	deps := connectors.Deps{
		Channel: func(_ context.Context, id string) (*hub.Channel, error) { return r.channel(id) },
		Publish: func(_ context.Context, in hub.Inbound) error { return r.publish(in) },
		HTTP:    connectors.NewHTTPClient(true), MaxBody: MaxBody, Tolerance: 5 * time.Minute, AllowPrivate: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
	}
	r.c = h.New(deps, r.fake)
	e := gin.New()
	connectors.Registry{r.c.Type(): r.c}.Mount(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	r.ch = &hub.Channel{ID: randID("ch"), TenantID: randID("tn"), Type: r.c.Type(), Name: "contract"}
	if err := r.c.Setup(r.ch, r.fake.Config(), false); err != nil {
		t.Fatalf("Setup with the fake's config %s: %v", r.fake.Config(), err)
	}
	r.channels[r.ch.ID] = r.ch
	r.fake.Bind(r.ch)
	return r
}

func (r *rig) channel(id string) (*hub.Channel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.channels[id]; ok {
		c := *ch
		return &c, nil
	}
	return nil, fmt.Errorf("channel %s: %w", id, hub.ErrNotFound)
}

func (r *rig) publish(in hub.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down != nil {
		return r.down
	}
	r.published = append(r.published, in)
	return nil
}

func (r *rig) take() []hub.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.published
	r.published = nil
	return p
}

var seq = struct {
	sync.Mutex
	n int64
}{n: time.Now().UnixNano() / 1000}

func newMessage(text string) Message {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return Message{ID: fmt.Sprint(seq.n), ContactID: fmt.Sprint(1_000_000_000 + seq.n%8_000_000_000), Text: text}
}

// delivery is an agent's reply as the hub hands it to a connector.
func delivery(ch *hub.Channel, contactID, text string) *hub.Outbound {
	now := time.Now().UTC()
	conv := randID("cv")
	m := hub.Message{ID: randID("ms"), TenantID: ch.TenantID, ConversationID: conv, ChannelID: ch.ID, Seq: 2,
		Direction: hub.DirectionOut, SenderType: hub.SenderAgent, SenderID: randID("ag"), Type: "text", Text: text,
		Attachments: []hub.Attachment{}, Status: hub.MessagePending, CreatedAt: now}
	c := hub.Contact{ID: randID("ct"), TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: contactID, Name: "客户",
		CreatedAt: now, UpdatedAt: now}
	return &hub.Outbound{ID: randID("msg"), TenantID: ch.TenantID, Kind: hub.OutboundMessage, Message: &m, Contact: &c}
}

// reply is an agent's answer to customer message m, which the platform
// pushes first (some platforms take replies only as answers to a message).
func (r *rig) reply(t *testing.T, m Message, text string) *hub.Outbound {
	t.Helper()
	if st := r.fake.Deliver(t, r.url, r.ch, m, true); st < 200 || st > 299 {
		t.Fatalf("the customer's message answered %d", st)
	}
	got := r.take()
	if len(got) != 1 {
		t.Fatalf("the customer's message published %+v", got)
	}
	d := delivery(r.ch, m.ContactID, text)
	d.ReplyTo = &hub.ReplyTo{ExternalID: got[0].ExternalID, N: 1}
	return d
}

var typeName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`) // wecom_kf

// Run runs the contract against the connector the harness describes.
func Run(t *testing.T, h Harness) {
	t.Run("type", func(t *testing.T) {
		r := newRig(t, h)
		if typ := r.c.Type(); !typeName.MatchString(typ) {
			t.Fatalf("Type() = %q, want a non-empty lowercase name (it is a URL segment and the API's channel type)", typ)
		}
	})

	t.Run("setup", func(t *testing.T) {
		r := newRig(t, h)
		if r.ch.Secret == "" {
			t.Fatal("Setup did not fill in the channel's secret")
		}
		if r.c.Info(r.ch) == nil {
			t.Error("Info returned nil; it is what the admin pastes into the platform")
		}
		secret := r.ch.Secret
		if err := r.c.Setup(r.ch, r.ch.Config, false); err != nil {
			t.Fatalf("Setup again with the stored config %s: %v", r.ch.Config, err)
		}
		if r.ch.Secret != secret {
			t.Fatal("Setup without rotate changed the secret: every platform would stop verifying")
		}
		if h.PlatformSecret {
			var invalid *hub.InvalidError
			if err := r.c.Setup(r.ch, r.ch.Config, true); !errors.As(err, &invalid) || r.ch.Secret != secret {
				t.Fatalf("Setup with rotate and no new platform secret: %v, secret changed: %v; want a *hub.InvalidError, unchanged",
					err, r.ch.Secret != secret)
			}
		} else if err := r.c.Setup(r.ch, r.ch.Config, true); err != nil || r.ch.Secret == secret || r.ch.Secret == "" {
			t.Fatalf("Setup with rotate: %v, secret changed: %v", err, r.ch.Secret != secret)
		}
		// NUL bytes in the config's strings are refused or not stored
		// (PostgreSQL's JSONB rejects \u0000; the admin would get a 500).
		var fields map[string]any
		if json.Unmarshal(r.fake.Config(), &fields) == nil {
			for k, v := range fields {
				if s, ok := v.(string); ok {
					fields[k] = s + "\x00"
				}
			}
			cfg, _ := json.Marshal(fields)
			ch := &hub.Channel{ID: randID("ch"), TenantID: r.ch.TenantID, Type: r.c.Type(), Name: "nul"}
			if err := r.c.Setup(ch, cfg, false); err == nil &&
				(bytes.Contains(ch.Config, []byte(`\u0000`)) || bytes.IndexByte(ch.Config, 0) >= 0 || !utf8.Valid(ch.Config)) {
				t.Errorf("Setup(%s) stored config %q with NUL or invalid UTF-8", cfg, ch.Config)
			}
		}
		for _, cfg := range h.BadConfigs {
			ch := &hub.Channel{ID: randID("ch"), TenantID: r.ch.TenantID, Type: r.c.Type(), Name: "bad"}
			err := r.c.Setup(ch, cfg, false)
			var invalid *hub.InvalidError
			if !errors.As(err, &invalid) {
				t.Errorf("Setup(%s) = %v, want a *hub.InvalidError (the API answers 400)", cfg, err)
			}
		}
	})

	t.Run("a signed message is published once, normalized", func(t *testing.T) {
		r := newRig(t, h)
		m := newMessage("你好，我想咨询订单 <b>#123</b> ✓")
		if st := r.fake.Deliver(t, r.url, r.ch, m, true); st < 200 || st > 299 {
			t.Fatalf("a correctly signed message answered %d, want 2xx", st)
		}
		got := r.take()
		if len(got) != 1 {
			t.Fatalf("published %d messages, want exactly 1: %+v", len(got), got)
		}
		in := got[0]
		if in.TenantID != r.ch.TenantID || in.ChannelID != r.ch.ID {
			t.Errorf("published for tenant %q channel %q, want %q %q", in.TenantID, in.ChannelID, r.ch.TenantID, r.ch.ID)
		}
		if in.ExternalID == "" || in.Contact.ExternalID != m.ContactID || in.Text != m.Text || in.Type != "text" {
			t.Errorf("published %+v, want external id set, contact %q, text %q, type text", in, m.ContactID, m.Text)
		}
		if in.ReceivedAt.IsZero() {
			t.Error("ReceivedAt is not set")
		}
		// The platform retries: same message, same external id (the hub's
		// unique key then stores it once).
		if st := r.fake.Deliver(t, r.url, r.ch, m, true); st < 200 || st > 299 {
			t.Fatalf("a redelivered message answered %d, want 2xx", st)
		}
		again := r.take()
		if len(again) != 1 || again[0].ExternalID != in.ExternalID {
			t.Fatalf("a redelivery published %+v, want one message with external id %q", again, in.ExternalID)
		}
		other := newMessage("another")
		r.fake.Deliver(t, r.url, r.ch, other, true)
		if o := r.take(); len(o) != 1 || o[0].ExternalID == in.ExternalID {
			t.Fatalf("a different message published %+v, want a different external id than %q", o, in.ExternalID)
		}
	})

	t.Run("a bad signature is refused and publishes nothing", func(t *testing.T) {
		r := newRig(t, h)
		if st := r.fake.Deliver(t, r.url, r.ch, newMessage("forged"), false); st != 401 && st != 403 {
			t.Fatalf("a wrongly signed message answered %d, want 401 or 403", st)
		}
		if got := r.take(); len(got) != 0 {
			t.Fatalf("a wrongly signed message was published: %+v", got)
		}
	})

	t.Run("an unknown channel is 404", func(t *testing.T) {
		r := newRig(t, h)
		ghost := *r.ch
		ghost.ID = randID("ch")
		if st := r.fake.Deliver(t, r.url, &ghost, newMessage("to nobody"), true); st != 404 {
			t.Errorf("a message for an unknown channel answered %d, want 404", st)
		}
		// A channel of another type is not this connector's either.
		alien := *r.ch
		alien.ID, alien.Type = randID("ch"), "other"+r.c.Type()
		r.mu.Lock()
		r.channels[alien.ID] = &alien
		r.mu.Unlock()
		if st := r.fake.Deliver(t, r.url, &alien, newMessage("wrong type"), true); st != 404 {
			t.Errorf("a message for a channel of type %q answered %d, want 404", alien.Type, st)
		}
		if got := r.take(); len(got) != 0 {
			t.Fatalf("published %+v", got)
		}
	})

	t.Run("an oversize body is 413", func(t *testing.T) {
		r := newRig(t, h)
		if st := r.fake.Deliver(t, r.url, r.ch, newMessage(strings.Repeat("大", MaxBody)), true); st != 413 {
			t.Fatalf("a body over %d bytes answered %d, want 413", MaxBody, st)
		}
		if got := r.take(); len(got) != 0 {
			t.Fatalf("an oversize message was published: %+v", got)
		}
	})

	t.Run("no acknowledgement before the message is durable", func(t *testing.T) {
		r := newRig(t, h)
		r.mu.Lock()
		r.down = errors.New("bus unavailable")
		r.mu.Unlock()
		m := newMessage("while the bus is down")
		if st := r.fake.Deliver(t, r.url, r.ch, m, true); st < 500 {
			t.Fatalf("with the bus down a message answered %d, want 5xx so the platform retries", st)
		}
		r.mu.Lock()
		r.down = nil
		r.mu.Unlock()
		if st := r.fake.Deliver(t, r.url, r.ch, m, true); st < 200 || st > 299 {
			t.Fatalf("the platform's retry answered %d, want 2xx", st)
		}
		if got := r.take(); len(got) != 1 || got[0].Text != m.Text {
			t.Fatalf("after the retry published %+v", got)
		}
	})

	t.Run("Send delivers to the platform", func(t *testing.T) {
		r := newRig(t, h)
		m := newMessage("在吗")
		d := r.reply(t, m, "您好，马上为您查询 ✓")
		res := r.c.Send(t.Context(), r.ch, d)
		if res.Err != nil {
			t.Fatalf("Send: %v (status %d)", res.Err, res.StatusCode)
		}
		got := r.fake.Received()
		if len(got) != 1 {
			t.Fatalf("the platform received %d messages, want 1: %+v", len(got), got)
		}
		if got[0].ContactID != m.ContactID || got[0].Text != "您好，马上为您查询 ✓" || !got[0].Authentic {
			t.Fatalf("the platform received %+v, want text for %q with valid credentials", got[0], m.ContactID)
		}
	})

	t.Run("a robot's rich answer reaches the platform as text, its links written out", func(t *testing.T) {
		r := newRig(t, h)
		m := newMessage("邮费多少")
		doc := richtext.Sanitize(`<p><strong>满99元包邮</strong>，<em>偏远地区</em>除外。</p><ul><li>江浙沪次日达</li></ul>` +
			`<p>详见<a href="https://shop.example.com/ship">运费说明</a></p>`)
		d := r.reply(t, m, doc.Text)
		d.Message.SenderType, d.Message.SenderID, d.Message.Type, d.Message.Rich = hub.SenderRobot, "", "answer", doc.HTML
		if res := r.c.Send(t.Context(), r.ch, d); res.Err != nil {
			t.Fatalf("Send: %v (status %d)", res.Err, res.StatusCode)
		}
		want := "满99元包邮，偏远地区除外。\n\n• 江浙沪次日达\n\n详见运费说明 (https://shop.example.com/ship)"
		got := r.fake.Received()
		if len(got) != 1 || got[0].Text != want || strings.ContainsAny(got[0].Text, "<>") {
			t.Fatalf("the platform received %+v, want the text %q (no markup)", got, want)
		}
	})

	t.Run("a platform failure is a retryable error", func(t *testing.T) {
		r := newRig(t, h)
		m := newMessage("在吗")
		d := r.reply(t, m, "retry me")
		r.fake.FailNext(1)
		res := r.c.Send(t.Context(), r.ch, d)
		if res.Err == nil {
			t.Fatal("Send reported success while the platform answered 500")
		}
		if res.Permanent {
			t.Fatalf("a platform 500 is permanent (%v); it must be retried", res.Err)
		}
		if res := r.c.Send(t.Context(), r.ch, d); res.Err != nil {
			t.Fatalf("the retry: %v", res.Err)
		}
		if got := r.fake.Received(); len(got) != 1 || got[0].Text != "retry me" {
			t.Fatalf("after the retry the platform holds %+v", got)
		}
	})
}
