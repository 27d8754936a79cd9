package app

// The JavaScript SDK (connectors/app/sdk/js) as built — dist/kefu.cjs, what
// npm users get — run in Node against a real hub: an app writes while
// offline, quits, starts again and its message arrives once; the agent's
// replies reach it once each, also across a network cut; a wrong user hash
// is refused. `make appsdk` builds dist/ (make test does it first).

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestAppSDKJS(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "app", "name": "商城 App",
			"config": map[string]any{"identity": "hmac"}})
		appKey, secret := ch.Str("setup.app_key"), ch.Str("setup.identity_secret")
		if appKey == "" || secret == "" {
			t.Fatalf("app channel setup %s", ch.Body)
		}
		agent := adm.NewAgent("app-agent@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)
		store := filepath.Join(t.TempDir(), "app-storage.json")
		user, hash := "u-1001", jsUserHash(secret, "u-1001")

		// A wrong hash: refused, and the SDK says so.
		app := startJSApp(t, h.Base, appKey, store)
		app.do(map[string]any{"cmd": "identify", "userId": user, "userHash": jsUserHash("not-the-secret", user)})
		if e := app.wait("identify_error", nil); e["status"] != float64(401) {
			t.Fatalf("wrong hash: %v, want status 401", e)
		}
		app.exit()

		// Offline (the hub cannot be reached): the message waits in storage; the app quits.
		app = startJSApp(t, "http://"+jsDeadAddr(t), appKey, store)
		app.do(map[string]any{"cmd": "identify", "userId": user, "userHash": hash})
		app.do(map[string]any{"cmd": "send", "text": "离线时写的"})
		queued := app.wait("queued", nil)["client_msg_id"]
		app.exit()

		// Started again, online (through a link the test can cut): the message goes out once.
		link := newJSLink(t, h.Addr)
		app = startJSApp(t, link.base, appKey, store)
		app.do(map[string]any{"cmd": "identify", "userId": user, "userHash": hash, "name": "李雷"})
		app.wait("identified", nil)
		app.wait("acked", func(e map[string]any) bool { return e["client_msg_id"] == queued })
		convID := as.WaitFor("conversation.assigned", 20*time.Second, nil)["conversation_id"].(string)
		app.wait("connection", func(e map[string]any) bool { return e["state"] == "open" })

		app.send("第二条")
		agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，请讲"})
		app.waitText("您好，请讲")

		// A network cut: the socket dies, reconnecting fails for 3 s; the
		// agent replies meanwhile. The app gets the reply once it is back.
		app.forget("connection")
		link.cut(3 * time.Second)
		app.wait("connection", func(e map[string]any) bool { return e["state"] == "closed" })
		agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "断线时的回复"})
		app.waitText("断线时的回复")
		app.send("恢复后")

		// The agent has each customer message once, in order.
		var in []string
		kit.Eventually(t, 20*time.Second, "the agent sees 3 customer messages", func() bool {
			in = in[:0]
			for _, msg := range agent.Messages(convID) {
				if msg.Direction == "in" {
					in = append(in, msg.Text)
				}
			}
			return len(in) >= 3
		})
		if strings.Join(in, "|") != "离线时写的|第二条|恢复后" {
			t.Fatalf("the agent sees %q, want each customer message once, in order", in)
		}
		// The app saw every message of the conversation once, in seq order.
		app.waitText("恢复后") // its own message comes back with its seq
		seen := app.messages()
		for i := 1; i < len(seen); i++ {
			if seen[i].Seq <= seen[i-1].Seq {
				t.Fatalf("the app's messages out of order or doubled: %+v", seen)
			}
		}
		if len(seen) == 0 || seen[0].Seq != 1 {
			t.Fatalf("the app saw %+v, want the conversation from seq 1", seen)
		}
		texts := map[string]int{}
		for i, msg := range seen {
			if i > 0 && msg.Seq != seen[i-1].Seq+1 {
				t.Fatalf("the app's messages skip or repeat a seq: %+v", seen)
			}
			texts[msg.Text]++
		}
		for _, want := range []string{"离线时写的", "第二条", "您好，请讲", "断线时的回复", "恢复后"} {
			if texts[want] != 1 {
				t.Fatalf("the app saw %q %d times, want once: %+v", want, texts[want], seen)
			}
		}

		// A file, and the other calls an app makes.
		app.do(map[string]any{"cmd": "upload", "name": "订单.txt", "type": "text/plain", "content": "order 1234"})
		up := app.wait("uploaded", nil)
		if kit.Dig(up, "upload", "name") != "订单.txt" || kit.Dig(up, "upload", "id") == "" {
			t.Fatalf("upload answered %v", up)
		}
		app.wait("acked", nil)
		app.wait("message", func(e map[string]any) bool { // its echo, with the file's link
			a, _ := kit.Dig(e, "message", "attachments").([]any)
			if len(a) != 1 {
				return false
			}
			u, _ := kit.Dig(a[0], "url").(string)
			return strings.HasPrefix(u, "/")
		})
		kit.Eventually(t, 20*time.Second, "the agent sees the file", func() bool {
			ms := agent.Messages(convID)
			last := ms[len(ms)-1]
			return len(last.Attachments) == 1 && last.Attachments[0].Name == "订单.txt"
		})
		for _, c := range []map[string]any{
			{"cmd": "call", "name": "markRead"},
			{"cmd": "call", "name": "registerPush", "args": []any{map[string]any{"platform": "android", "token": "fcm-token-1"}}},
			{"cmd": "call", "name": "conversations"},
		} {
			app.do(c)
			if r := app.wait("called", func(e map[string]any) bool { return e["name"] == c["name"] }); c["name"] == "conversations" {
				if kit.Dig(r, "result").([]any)[0].(map[string]any)["id"] != convID {
					t.Fatalf("conversations() = %v, want %s first", r["result"], convID)
				}
			}
		}
		app.exit()

		// Restarted once more: nothing shown already comes again; a new reply does.
		app = startJSApp(t, h.Base, appKey, store)
		app.do(map[string]any{"cmd": "identify", "userId": user, "userHash": hash})
		app.wait("connection", func(e map[string]any) bool { return e["state"] == "open" })
		agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "最后一条"})
		app.waitText("最后一条")
		if got := app.messages(); len(got) != 1 {
			t.Fatalf("after a restart the app got %+v, want only the new reply", got)
		}
		app.exit()
	})
}

func jsUserHash(secret, user string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil))
}

// jsDeadAddr is a loopback address nothing listens on.
func jsDeadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return ln.Addr().String()
}

// jsApp is one run of connectors/app/sdk/js/e2e/chat.cjs: commands go to
// its stdin, its events (one JSON object a line) come from its stdout.
type jsApp struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   io.WriteCloser
	evs  chan map[string]any
	seen []map[string]any // events read but not yet waited for
	mu   sync.Mutex
	msgs []jsMsg
}

type jsMsg struct {
	Seq       int64  `json:"seq"`
	Text      string `json:"text"`
	Direction string `json:"direction"`
	ClientID  string `json:"client_id"`
}

func startJSApp(t *testing.T, base, appKey, store string) *jsApp {
	t.Helper()
	sdk, err := filepath.Abs("../../connectors/app/sdk/js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(sdk, "dist", "kefu.cjs")); err != nil {
		t.Fatalf("the SDK is not built (run make appsdk): %v", err)
	}
	var args []string
	if out, _ := exec.Command("node", "-p", "typeof WebSocket").Output(); strings.TrimSpace(string(out)) != "function" {
		args = append(args, "--experimental-websocket") // Node 20
	}
	cmd := exec.Command("node", append(args, filepath.Join(sdk, "e2e", "chat.cjs"))...)
	cmd.Env = append(os.Environ(), "KEFU_BASE="+base, "KEFU_APP_KEY="+appKey, "KEFU_STORE="+store, "NODE_NO_WARNINGS=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v", err)
	}
	a := &jsApp{t: t, cmd: cmd, in: in, evs: make(chan map[string]any, 256)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			if e["ev"] == "message" {
				var m jsMsg
				b, _ := json.Marshal(e["message"])
				json.Unmarshal(b, &m)
				a.mu.Lock()
				a.msgs = append(a.msgs, m)
				a.mu.Unlock()
			}
			a.evs <- e
		}
		close(a.evs)
	}()
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			a.cmd.Process.Kill()
			a.cmd.Wait()
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("node stderr:\n%s", stderr.String())
		}
	})
	a.wait("ready", nil)
	return a
}

func (a *jsApp) do(c map[string]any) {
	a.t.Helper()
	b, _ := json.Marshal(c)
	if _, err := a.in.Write(append(b, '\n')); err != nil {
		a.t.Fatalf("node stdin: %v", err)
	}
}

// wait returns the first event named ev (that pred accepts) not returned
// before, in the order they came; events are consumed by the wait that
// returns them.
func (a *jsApp) wait(ev string, pred func(map[string]any) bool) map[string]any {
	a.t.Helper()
	match := func(e map[string]any) bool { return e["ev"] == ev && (pred == nil || pred(e)) }
	for i, e := range a.seen {
		if match(e) {
			a.seen = append(a.seen[:i], a.seen[i+1:]...)
			return e
		}
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-a.evs:
			if !ok {
				a.t.Fatalf("the app exited while waiting for %s", ev)
			}
			if e["ev"] == "fail" {
				a.t.Fatalf("the app failed: %v", e)
			}
			if match(e) {
				return e
			}
			a.seen = append(a.seen, e)
		case <-deadline:
			a.t.Fatalf("timed out waiting for the app's %s (it said %v)", ev, a.seen)
		}
	}
}

// forget drops the events named ev read so far.
func (a *jsApp) forget(ev string) {
	for {
		select {
		case e, ok := <-a.evs:
			if ok {
				a.seen = append(a.seen, e)
				continue
			}
		default:
		}
		break
	}
	kept := a.seen[:0]
	for _, e := range a.seen {
		if e["ev"] != ev {
			kept = append(kept, e)
		}
	}
	a.seen = kept
}

// send sends text from the app and waits until the hub acknowledged it.
func (a *jsApp) send(text string) {
	a.t.Helper()
	a.do(map[string]any{"cmd": "send", "text": text})
	id := a.wait("queued", func(e map[string]any) bool { return e["text"] == text })["client_msg_id"]
	a.wait("acked", func(e map[string]any) bool { return e["client_msg_id"] == id })
}

func (a *jsApp) waitText(text string) {
	a.t.Helper()
	a.wait("message", func(e map[string]any) bool { return kit.Dig(e, "message", "text") == text })
}

// messages is every message the app was given (its "message" events).
func (a *jsApp) messages() []jsMsg {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]jsMsg(nil), a.msgs...)
}

func (a *jsApp) exit() {
	a.t.Helper()
	a.do(map[string]any{"cmd": "exit"})
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			a.t.Fatalf("the app exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		a.t.Fatal("the app did not exit")
	}
}

// jsLink is a TCP link to the hub that the test can cut: every open
// connection dies, and new ones are refused for a while.
type jsLink struct {
	base   string
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	downTo time.Time
}

func newJSLink(t *testing.T, target string) *jsLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &jsLink{base: "http://" + ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() {
		ln.Close()
		l.cut(0)
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.pipe(c)
		}
	}()
	return l
}

func (l *jsLink) pipe(c net.Conn) {
	l.mu.Lock()
	down := time.Now().Before(l.downTo)
	l.mu.Unlock()
	if down {
		c.Close()
		return
	}
	s, err := net.Dial("tcp", l.target)
	if err != nil {
		c.Close()
		return
	}
	l.mu.Lock()
	l.conns[c], l.conns[s] = true, true
	l.mu.Unlock()
	go func() { io.Copy(s, c); s.Close(); c.Close() }()
	io.Copy(c, s)
	c.Close()
	s.Close()
	l.mu.Lock()
	delete(l.conns, c)
	delete(l.conns, s)
	l.mu.Unlock()
}

func (l *jsLink) cut(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.downTo = time.Now().Add(d)
	for c := range l.conns {
		c.Close()
	}
}
