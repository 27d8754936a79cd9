package weibotest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/connectors/weibo"
)

// Msg is one push as Weibo builds it.
type Msg struct {
	Type       string
	ReceiverID int64 // 0: the account's uid
	SenderID   int64
	CreatedAt  time.Time
	Text       string
	Data       map[string]any
}

// china is the zone Weibo writes created_at in.
var china = time.FixedZone("CST", 8*3600)

func build(typ string, from int64, text string, data map[string]any) Msg {
	if data == nil {
		data = map[string]any{}
	}
	return Msg{Type: typ, SenderID: from, CreatedAt: time.Now(), Text: text, Data: data}
}

// Text is a private text message.
func Text(from int64, text string) Msg { return build("text", from, text, nil) }

// Image is an image message; the hub downloads tovfid.
func Image(from, vfid, tovfid int64) Msg {
	return build("image", from, "分享图片", map[string]any{"vfid": vfid, "tovfid": tovfid})
}

// Voice is a voice message.
func Voice(from, vfid, tovfid int64) Msg {
	return build("voice", from, "", map[string]any{"vfid": vfid, "tovfid": tovfid})
}

// Position is a location, its coordinates as strings (as Weibo sends them).
func Position(from int64, lng, lat string) Msg {
	return build("position", from, "我在这里", map[string]any{"longitude": lng, "latitude": lat})
}

// Mention is the account @mentioned in a post or comment.
func Mention(from int64, text string) Msg { return build("mention", from, text, nil) }

// Event is an event push: subtype follow, unfollow, subscribe, unsubscribe,
// scan, scan_follow, click or view, with its key (menu key, QR scene).
func Event(from int64, subtype, key string) Msg {
	d := map[string]any{"subtype": subtype, "key": key}
	if subtype == "scan" || subtype == "scan_follow" {
		d["ticket"] = "TICKET_" + key
	}
	return build("event", from, "", d)
}

// JSON is the push body, as Weibo writes it: ids as JSON numbers,
// created_at in Weibo's format, China time.
func (m Msg) JSON(uid string) []byte {
	rid := m.ReceiverID
	if rid == 0 {
		rid, _ = strconv.ParseInt(uid, 10, 64)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(struct {
		Type       string         `json:"type"`
		ReceiverID int64          `json:"receiver_id"`
		SenderID   int64          `json:"sender_id"`
		CreatedAt  string         `json:"created_at"`
		Text       string         `json:"text"`
		Data       map[string]any `json:"data"`
	}{m.Type, rid, m.SenderID, m.CreatedAt.In(china).Format("Mon Jan 02 15:04:05 -0700 2006"), m.Text, m.Data})
	return bytes.TrimSpace(b.Bytes())
}

// PushOpts change how a push is signed, to play a forger or a broken relay.
type PushOpts struct {
	Secret    string    // sign with this secret instead of the app's (a forgery)
	Timestamp time.Time // sign this time instead of now
	Unsigned  bool      // send no signature at all
	Body      []byte    // send this body instead of the message
}

// Result is the hub's answer to one push attempt.
type Result struct {
	Status int
	Body   string
	Err    error
	Took   time.Duration
}

// OK reports whether Weibo takes the answer as handled with no passive
// reply: 200 with an empty body.
func (r Result) OK() bool { return r.Err == nil && r.Status == http.StatusOK && r.Body == "" }

// Query is the signed query string Weibo adds to every request: signature,
// timestamp (milliseconds, as in Weibo's own example) and nonce.
func Query(secret string, at time.Time) url.Values {
	ts, nonce := strconv.FormatInt(at.UnixMilli(), 10), strconv.FormatInt(time.Now().UnixNano()%1e8, 10)
	return url.Values{"signature": {weibo.Sign(secret, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
}

// Request builds the HTTP request Weibo sends for a push to u.
func Request(u string, a App, m Msg, o PushOpts) (*http.Request, error) {
	secret, at := a.Secret, time.Now()
	if o.Secret != "" {
		secret = o.Secret
	}
	if !o.Timestamp.IsZero() {
		at = o.Timestamp
	}
	q := Query(secret, at)
	if o.Unsigned {
		q = url.Values{}
	}
	body := m.JSON(a.UID)
	if o.Body != nil {
		body = o.Body
	}
	req, err := http.NewRequest(http.MethodPost, u+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// Push sends one push and returns the hub's answer.
func Push(client *http.Client, u string, a App, m Msg, o PushOpts) Result {
	req, err := Request(u, a, m, o)
	if err != nil {
		return Result{Err: err}
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Result{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return Result{Status: resp.StatusCode, Body: string(b), Took: time.Since(start)}
}

// Verify is Weibo's URL check: a signed GET with an echostr; it returns
// the status and body.
func Verify(client *http.Client, u, secret, echo string) (int, string, error) {
	q := Query(secret, time.Now())
	q.Set("echostr", echo)
	resp, err := client.Get(u + "?" + q.Encode())
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), nil
}

// Retry is how Weibo retries a push: it waits Wait for an answer, then
// sends the push again — while the first request may still be running on
// the server — up to Tries requests in all, until one is answered OK. A
// zero Wait sends all Tries at once.
type Retry struct {
	Tries int
	Wait  time.Duration
}

// WeiboRetry is Weibo's own: 5 s timeout, three retries.
var WeiboRetry = Retry{Tries: 4, Wait: 5 * time.Second}

// PushRetrying pushes m the way Weibo does and returns every attempt's
// answer (in the order the attempts were made) once all have finished.
func PushRetrying(u string, a App, m Msg, r Retry) []Result {
	if r.Tries <= 0 {
		r = WeiboRetry
	}
	results := make([]Result, r.Tries)
	done := make(chan int, r.Tries)
	var wg sync.WaitGroup
	sent := 0
	for sent < r.Tries {
		i := sent
		sent++
		wg.Go(func() {
			results[i] = Push(&http.Client{Timeout: time.Minute}, u, a, m, PushOpts{})
			done <- i
		})
		if r.Wait > 0 && waitOK(done, results, r.Wait) {
			break
		}
	}
	wg.Wait()
	return results[:sent]
}

// waitOK waits up to d for an answer: true for OK, false for a failure or
// no answer in time.
func waitOK(done chan int, results []Result, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case i := <-done:
		return results[i].OK()
	case <-timer.C:
		return false
	}
}
