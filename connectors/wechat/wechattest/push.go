package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Msg is one push as WeChat builds it: <xml> with the common fields, then
// the type's own, in WeChat's order.
type Msg struct {
	ToUser, FromUser string
	CreateTime       int64
	MsgType          string
	Fields           []Field
}

// Field is one element of a push. Text goes in CDATA as WeChat does;
// numbers do not.
type Field struct {
	Name, Value string
	Number      bool
}

func build(from, typ string, fields ...Field) Msg {
	return Msg{ToUser: "gh_kefutest", FromUser: from, CreateTime: time.Now().Unix(), MsgType: typ, Fields: fields}
}

func str(name, v string) Field { return Field{Name: name, Value: v} }
func num(name string, v int64) Field {
	return Field{Name: name, Value: strconv.FormatInt(v, 10), Number: true}
}
func flt(name string, v float64) Field {
	return Field{Name: name, Value: strconv.FormatFloat(v, 'f', 6, 64), Number: true}
}

// Text is a text message.
func Text(from, content string, msgID int64) Msg {
	return build(from, "text", str("Content", content), num("MsgId", msgID))
}

// Image is an image message (PicUrl and MediaId).
func Image(from, mediaID string, msgID int64) Msg {
	return build(from, "image", str("PicUrl", "https://mmbiz.qpic.cn/mmbiz_jpg/"+mediaID+"/0"), str("MediaId", mediaID), num("MsgId", msgID))
}

// Voice is a voice message, with WeChat's speech recognition when given.
func Voice(from, mediaID, format, recognition string, msgID int64) Msg {
	m := build(from, "voice", str("MediaId", mediaID), str("Format", format))
	if recognition != "" {
		m.Fields = append(m.Fields, str("Recognition", recognition))
	}
	m.Fields = append(m.Fields, num("MsgId", msgID))
	return m
}

// Video is a video message; ShortVideo a 小视频.
func Video(from, mediaID, thumb string, msgID int64) Msg {
	return build(from, "video", str("MediaId", mediaID), str("ThumbMediaId", thumb), num("MsgId", msgID))
}

// ShortVideo is a short-video message.
func ShortVideo(from, mediaID, thumb string, msgID int64) Msg {
	return build(from, "shortvideo", str("MediaId", mediaID), str("ThumbMediaId", thumb), num("MsgId", msgID))
}

// Location is a location message.
func Location(from string, x, y float64, scale int64, label string, msgID int64) Msg {
	return build(from, "location", flt("Location_X", x), flt("Location_Y", y), num("Scale", scale), str("Label", label), num("MsgId", msgID))
}

// Link is a link message.
func Link(from, title, desc, u string, msgID int64) Msg {
	return build(from, "link", str("Title", title), str("Description", desc), str("Url", u), num("MsgId", msgID))
}

// Subscribe is a follow event; scene is the QR code's scene ("" when followed by search).
func Subscribe(from, scene string) Msg {
	m := build(from, "event", str("Event", "subscribe"))
	if scene != "" {
		m.Fields = append(m.Fields, str("EventKey", "qrscene_"+scene), str("Ticket", "gQH47joAAAAAAAAAASxodHRw"))
	}
	return m
}

// Unsubscribe is an unfollow event.
func Unsubscribe(from string) Msg {
	return build(from, "event", str("Event", "unsubscribe"), str("EventKey", ""))
}

// Click is a CLICK menu event.
func Click(from, key string) Msg {
	return build(from, "event", str("Event", "CLICK"), str("EventKey", key))
}

// View is a VIEW (link) menu event.
func View(from, u string) Msg { return build(from, "event", str("Event", "VIEW"), str("EventKey", u)) }

// XML is the push's plaintext body, as WeChat writes it.
func (m Msg) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	writeField(&b, str("ToUserName", m.ToUser))
	writeField(&b, str("FromUserName", m.FromUser))
	writeField(&b, num("CreateTime", m.CreateTime))
	writeField(&b, str("MsgType", m.MsgType))
	for _, f := range m.Fields {
		writeField(&b, f)
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

func writeField(b *bytes.Buffer, f Field) {
	if f.Number {
		fmt.Fprintf(b, "<%s>%s</%s>", f.Name, f.Value, f.Name)
		return
	}
	// CDATA cannot hold "]]>": WeChat splits it across two sections.
	v := strings.ReplaceAll(f.Value, "]]>", "]]]]><![CDATA[>")
	fmt.Fprintf(b, "<%s><![CDATA[%s]]></%s>", f.Name, v, f.Name)
}

// Signature is WeChat's signature: hex(sha1(sorted parts joined)).
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	h := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(h[:])
}

// Encrypt is WeChat's message encryption: AES-256-CBC with the key from
// EncodingAESKey, IV = key[:16], over random(16) ‖ uint32be(len) ‖ xml ‖
// appid, PKCS#7-padded to 32 bytes, base64. (Written here from WeChat's
// description, independently of the library the connector uses.)
func Encrypt(aesKey, appID string, plain []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(aesKey + "=")
	if err != nil || len(key) != 32 {
		return "", fmt.Errorf("EncodingAESKey must be 43 base64 characters")
	}
	var buf bytes.Buffer
	random := make([]byte, 16)
	rand.Read(random)
	buf.Write(random)
	binary.Write(&buf, binary.BigEndian, uint32(len(plain)))
	buf.Write(plain)
	buf.WriteString(appID)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := buf.Bytes()
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out), nil
}

// PushOpts change how a push is signed, to play a forger or a broken relay.
type PushOpts struct {
	Token        string // sign with this Token instead of the app's (a forgery)
	MsgSignature string // send this msg_signature instead of the right one
	Timestamp    int64  // sign this time instead of now
	Mode         string // push in this mode instead of the app's
	Body         []byte // send this body instead of the message
}

// Result is the hub's answer to one push attempt.
type Result struct {
	Status int
	Body   string
	Err    error
	Took   time.Duration
}

// OK reports whether WeChat would take the answer as handled: "success"
// or an empty body with 200 (anything else shows the customer "该公众号
// 暂时无法提供服务" and is retried).
func (r Result) OK() bool {
	return r.Err == nil && r.Status == http.StatusOK && (r.Body == "success" || r.Body == "")
}

// Request builds the HTTP request WeChat sends for a push to url.
func Request(url string, a App, m Msg, o PushOpts) (*http.Request, error) {
	mode, token := a.Mode, a.Token
	if o.Mode != "" {
		mode = o.Mode
	}
	if o.Token != "" {
		token = o.Token
	}
	ts := time.Now().Unix()
	if o.Timestamp != 0 {
		ts = o.Timestamp
	}
	tss, nonce := strconv.FormatInt(ts, 10), strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	q := neturlValues{"signature": Signature(token, tss, nonce), "timestamp": tss, "nonce": nonce, "openid": m.FromUser}
	body := m.XML()
	if mode == "compat" || mode == "safe" {
		enc, err := Encrypt(a.AESKey, a.AppID, body)
		if err != nil {
			return nil, err
		}
		q["encrypt_type"], q["msg_signature"] = "aes", Signature(token, tss, nonce, enc)
		if o.MsgSignature != "" {
			q["msg_signature"] = o.MsgSignature
		}
		if mode == "safe" {
			body = []byte("<xml><ToUserName><![CDATA[" + m.ToUser + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
		} else {
			body = bytes.Replace(body, []byte("</xml>"), []byte("<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"), 1)
		}
	}
	if o.Body != nil {
		body = o.Body
	}
	req, err := http.NewRequest(http.MethodPost, url+"?"+q.encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	return req, nil
}

type neturlValues map[string]string

func (v neturlValues) encode() string {
	q := url.Values{}
	for k, x := range v {
		q.Set(k, x)
	}
	return q.Encode()
}

// Push sends one push and returns the hub's answer.
func Push(client *http.Client, url string, a App, m Msg, o PushOpts) Result {
	req, err := Request(url, a, m, o)
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

// Retry is how WeChat retries a push: it waits Wait for an answer, then
// sends the push again — while the first request may still be running on
// the server — up to Tries requests in all ("总共重试三次"), until one is
// answered "success". A zero Wait sends all Tries at once.
type Retry struct {
	Tries int
	Wait  time.Duration
}

// WeChatRetry is WeChat's own: three tries, five seconds each.
var WeChatRetry = Retry{Tries: 3, Wait: 5 * time.Second}

// PushRetrying pushes m the way WeChat does and returns every attempt's
// answer (in the order the attempts were made) once all have finished.
func PushRetrying(url string, a App, m Msg, r Retry) []Result {
	if r.Tries <= 0 {
		r = WeChatRetry
	}
	results := make([]Result, r.Tries)
	done := make(chan int, r.Tries)
	var wg sync.WaitGroup
	sent := 0
	for sent < r.Tries {
		i := sent
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = Push(&http.Client{Timeout: time.Minute}, url, a, m, PushOpts{})
			done <- i
		}()
		if !waitOK(done, results, r.Wait) {
			continue // no good answer in time: retry, the first still running
		}
		break
	}
	wg.Wait()
	return results[:sent]
}

// waitOK waits up to d for an answer: true for "success", false for a
// failure or no answer in time (WeChat then retries). A zero d does not
// wait at all: every try is sent at once, overlapping the first.
func waitOK(done chan int, results []Result, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case i := <-done:
		return results[i].OK()
	case <-timer.C:
		return false
	}
}
