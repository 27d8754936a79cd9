package qqtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/connectors/qq"
)

// Att is an attachment in a pushed message.
type Att = qq.Attachment

var seq struct {
	sync.Mutex
	n int64
}

func nextS() int64 {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return seq.n
}

func dispatch(t string, d any) qq.Payload {
	raw, _ := json.Marshal(d)
	return qq.Payload{Op: qq.OpDispatch, ID: t + ":" + randHex(16), S: nextS(), T: t, D: raw}
}

const stamp = "2006-01-02T15:04:05+08:00"

// C2C is a user's message to the bot (C2C_MESSAGE_CREATE).
func C2C(openid, msgID, text string, atts ...Att) qq.Payload {
	return dispatch(qq.EventC2CMessage, qq.Message{ID: msgID, Author: qq.Author{UserOpenID: openid}, Content: text,
		Timestamp: time.Now().In(time.FixedZone("CST", 8*3600)).Format(stamp), Attachments: atts})
}

// GroupAt is a group member's @-mention of the bot (GROUP_AT_MESSAGE_CREATE);
// the platform puts a space before the text.
func GroupAt(group, member, msgID, text string, atts ...Att) qq.Payload {
	return dispatch(qq.EventGroupAtMessage, qq.Message{ID: msgID, Author: qq.Author{MemberOpenID: member}, GroupOpenID: group,
		Content: " " + text, Timestamp: time.Now().In(time.FixedZone("CST", 8*3600)).Format(stamp), Attachments: atts})
}

// UserEvent is FRIEND_ADD, FRIEND_DEL, C2C_MSG_REJECT or C2C_MSG_RECEIVE.
func UserEvent(t, openid string) qq.Payload {
	return dispatch(t, map[string]any{"openid": openid, "timestamp": time.Now().Unix()})
}

// Validation is the op 13 address check.
func Validation(plain, eventTS string) qq.Payload {
	raw, _ := json.Marshal(qq.Validation{PlainToken: plain, EventTS: eventTS})
	return qq.Payload{Op: qq.OpValidation, D: raw}
}

// Opts change how a callback is sent, to forge or break it.
type Opts struct {
	Secret    string // sign with this secret instead of the bot's
	Timestamp int64  // X-Signature-Timestamp (0: now)
	Body      []byte // send this body instead of the payload's JSON
	Signature string // send this signature as is
	AppID     string // X-Bot-Appid (default: the bot's)
	Chunked   bool   // send without Content-Length
}

// Result is the hub's answer to one callback.
type Result struct {
	Status int
	Body   []byte
	Err    error
}

// Acked reports whether the hub answered the dispatch acknowledgement
// HTTP 200 {"op":12,"d":0}.
func (r Result) Acked() bool {
	var a struct {
		Op int `json:"op"`
		D  *int
	}
	return r.Err == nil && r.Status == http.StatusOK && json.Unmarshal(r.Body, &a) == nil && a.Op == qq.OpAck && a.D != nil && *a.D == 0
}

// Body is the JSON the platform sends for pl.
func Body(pl qq.Payload) []byte {
	b, _ := json.Marshal(pl)
	return b
}

// Push calls the hub back with pl, signed as the platform signs, and
// remembers a message so answers to it are accepted.
func (p *Platform) Push(url string, app App, pl qq.Payload, o Opts) Result {
	if o.Secret == "" && o.Body == nil && o.Signature == "" {
		p.remember(app.AppID, pl)
	}
	return Send(http.DefaultClient, url, app, pl, o)
}

// Send signs and posts one callback (client nil: http.DefaultClient).
func Send(client *http.Client, url string, app App, pl qq.Payload, o Opts) Result {
	if client == nil {
		client = http.DefaultClient
	}
	body := o.Body
	if body == nil {
		body = Body(pl)
	}
	ts := o.Timestamp
	if ts == 0 {
		ts = time.Now().Unix()
	}
	secret := app.Secret
	if o.Secret != "" {
		secret = o.Secret
	}
	tss := strconv.FormatInt(ts, 10)
	sig := o.Signature
	if sig == "" {
		sig = qq.Sign(secret, tss, body)
	}
	var rd io.Reader = bytes.NewReader(body)
	if o.Chunked {
		rd = io.MultiReader(bytes.NewReader(body)) // no length known: chunked
	}
	req, err := http.NewRequest(http.MethodPost, url, rd)
	if err != nil {
		return Result{Err: err}
	}
	appID := app.AppID
	if o.AppID != "" {
		appID = o.AppID
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "QQBot-Callback")
	req.Header.Set(qq.HeaderAppID, appID)
	req.Header.Set(qq.HeaderTimestamp, tss)
	req.Header.Set(qq.HeaderSignature, sig)
	res, err := client.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return Result{Status: res.StatusCode, Body: b}
}

// PushRetrying sends pl tries times at once, as the platform's retries do
// when the first request has not been answered yet, and returns every answer.
func (p *Platform) PushRetrying(url string, app App, pl qq.Payload, tries int) []Result {
	p.remember(app.AppID, pl)
	out := make([]Result, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() { out[i] = Send(http.DefaultClient, url, app, pl, Opts{}) })
	}
	wg.Wait()
	return out
}

// Validate runs the op 13 address check against the hub and reports
// whether the answer carries the right signature.
func Validate(url string, app App) error {
	plain, ts := randHex(10), strconv.FormatInt(time.Now().Unix(), 10)
	r := Send(http.DefaultClient, url, app, Validation(plain, ts), Opts{})
	if r.Err != nil {
		return r.Err
	}
	var a struct {
		PlainToken string `json:"plain_token"`
		Signature  string `json:"signature"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &a) != nil {
		return fmt.Errorf("op 13 answered %d %s", r.Status, r.Body)
	}
	if a.PlainToken != plain || a.Signature != qq.Sign(app.Secret, ts, []byte(plain)) {
		return fmt.Errorf("op 13 answered %s, want plain_token %q and the Ed25519 signature of event_ts+plain_token", r.Body, plain)
	}
	return nil
}
