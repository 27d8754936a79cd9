package isolation

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// appTenant is a tenant with an app channel, a user who wrote (with a
// canary) and got an answer, and a file in the conversation.
type appTenant struct {
	key, secret, canary string
	user                *kefuapp.Session
	conv, fileURL       string
}

func newAppTenant(t *testing.T, h *kit.Hub, sup *kit.Client, name string) *appTenant {
	t.Helper()
	x := &appTenant{canary: "CANARY" + kit.RandHex(8)}
	sup.Must(201, "POST", "/api/v1/tenants", map[string]any{"name": "App " + name, "admin_email": name + "-app@kefu.test",
		"admin_password": "admin-pass-" + name})
	adm := kit.Login(t, h.Base, name+"-app@kefu.test", "admin-pass-"+name)
	agent := adm.NewAgent(name+"-app-agent@kefu.test", 5)
	agent.SetStatus("online")
	as := agent.Dial(-1)
	r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "app", "name": "App " + x.canary, "config": map[string]any{}})
	x.key, x.secret = r.Str("setup.app_key"), r.Str("setup.identity_secret")
	ctx := context.Background()
	var err error
	c := kefuapp.New(h.Base, x.key)
	if x.user, err = c.Identify(ctx, kefuapp.Identity{UserID: "same-user", UserHash: kefuapp.UserHash(x.secret, "same-user"),
		Name: "客户 " + x.canary}); err != nil {
		t.Fatal(err)
	}
	fid, err := x.user.Upload(ctx, "a.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	if err != nil {
		t.Fatal(err)
	}
	sent, err := x.user.Send(ctx, "m-1", "订单 "+x.canary, fid)
	if err != nil || sent.ConversationID == "" {
		t.Fatalf("send: %v %+v", err, sent)
	}
	x.conv = sent.ConversationID
	as.WaitFor("conversation.assigned", 15*time.Second, nil)
	agent.Must(201, "POST", "/api/v1/conversations/"+x.conv+"/messages", map[string]any{"content": "回复 " + x.canary})
	agent.WaitMessages(x.conv, 2)
	if err := x.user.RegisterPush(ctx, "ios", "tok-"+x.canary); err != nil {
		t.Fatal(err)
	}
	page, err := x.user.Messages(ctx, "", 0)
	if err != nil || len(page.Messages) != 2 || len(page.Messages[0].Attachments) != 1 {
		t.Fatalf("messages %v %+v", err, page)
	}
	x.fileURL = page.Messages[0].Attachments[0].URL
	return x
}

// TestAppTokensStayInTheirApp: every /app/v1 route (the matrix's accApp
// entries) called by tenant A's user at B's app, or at A's own app naming
// B's conversation: refused like an unknown one, nothing of B shown or
// changed. Both tenants' users have the same user id.
func TestAppTokensStayInTheirApp(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		sup := h.Admin()
		a, b := newAppTenant(t, h, sup, "a"), newAppTenant(t, h, sup, "b")
		call := func(method, key, path, token string, body any) (int, []byte) {
			var rd io.Reader
			if body != nil {
				raw, _ := json.Marshal(body)
				rd = bytes.NewReader(raw)
			}
			req, _ := http.NewRequest(method, h.Base+"/app/v1/"+key+path, rd)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			out, _ := io.ReadAll(res.Body)
			return res.StatusCode, out
		}
		leak := func(what string, body []byte) {
			for _, s := range []string{b.canary, b.conv, b.user.ContactID} {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("%s: response carries B's %q: %.300s", what, s, body)
				}
			}
		}
		unknownConv := isoRandomID(b.conv)
		// Each case: A's token at B's app (401), and where a conversation can
		// be named, at A's own app with B's conversation (as an unknown one).
		type appCase struct {
			method, path string
			body         func(conv string) any
			query        bool // the conversation goes in the query
			names        bool // the call names a conversation
		}
		conv := func(c string) any {
			return map[string]any{"conversation_id": c, "seq": 1, "score": 5, "client_msg_id": "x-1", "text": "hi"}
		}
		cases := map[string]appCase{
			"GET /app/v1/:app_key/conversations":  {"GET", "/conversations", nil, false, false},
			"POST /app/v1/:app_key/conversations": {"POST", "/conversations", nil, false, false},
			"GET /app/v1/:app_key/messages":       {"GET", "/messages", nil, true, true},
			"POST /app/v1/:app_key/messages":      {"POST", "/messages", conv, false, true},
			"POST /app/v1/:app_key/uploads":       {"POST", "/uploads", nil, false, false},
			"POST /app/v1/:app_key/read":          {"POST", "/read", conv, false, true},
			"POST /app/v1/:app_key/rating":        {"POST", "/rating", conv, false, true},
			"GET /app/v1/:app_key/rating":         {"GET", "/rating", nil, false, false},
			"POST /app/v1/:app_key/feedback": {"POST", "/feedback", func(string) any {
				return map[string]any{"message_id": "m-" + b.canary, "helpful": true}
			}, false, false},
			"POST /app/v1/:app_key/leave_message": {"POST", "/leave_message", func(string) any {
				return map[string]any{"client_msg_id": "l-1", "fields": map[string]string{"message": "x"}}
			}, false, false},
			"PUT /app/v1/:app_key/push_token": {"PUT", "/push_token", func(string) any {
				return map[string]any{"platform": "ios", "token": "tok-" + b.canary}
			}, false, false},
			"DELETE /app/v1/:app_key/push_token": {"DELETE", "/push_token", func(string) any {
				return map[string]any{"token": "tok-" + b.canary}
			}, false, false},
		}
		covered := map[string]bool{"POST /app/v1/:app_key/identify": true, "GET /app/v1/:app_key/files/:file_id": true,
			"GET /app/v1/:app_key/ws": true}
		named := 0
		for name, c := range cases {
			covered[name] = true
			var body any
			if c.body != nil {
				body = c.body(b.conv)
			}
			if st, out := call(c.method, b.key, c.path, a.user.Token, body); st != http.StatusUnauthorized {
				t.Errorf("%s with A's token at B's app: %d, want 401: %s", name, st, out)
			} else {
				leak(name, out)
			}
			if !c.names {
				continue
			}
			path, ref := c.path, c.path
			var refBody any
			if c.query {
				path, ref = c.path+"?conversation_id="+b.conv, c.path+"?conversation_id="+unknownConv
			} else {
				refBody = c.body(unknownConv)
			}
			st, out := call(c.method, a.key, path, a.user.Token, body)
			rst, rout := call(c.method, a.key, ref, a.user.Token, refBody)
			fb := strings.ReplaceAll(string(out), b.conv, "ID")
			rb := strings.ReplaceAll(string(rout), unknownConv, "ID")
			if st != rst || fb != rb || st < 400 {
				t.Errorf("%s naming B's conversation: %d %s; an unknown one: %d %s", name, st, out, rst, rout)
			}
			leak(name, out)
			named++
		}
		if named != 4 {
			t.Errorf("%d calls named B's conversation, want 4", named)
		}
		for _, r := range kit.Routes(t) {
			if isoRoutes()[r.String()].access == accApp && !covered[r.String()] {
				t.Errorf("app route %s has no case here", r.String())
			}
		}
		// identify at B's app with A's secret: refused, same user id or not.
		if st, out := call("POST", b.key, "/identify", "", map[string]any{"user_id": "same-user",
			"user_hash": kefuapp.UserHash(a.secret, "same-user")}); st != http.StatusUnauthorized {
			t.Errorf("identify at B's app with A's hash: %d %s", st, out)
		}
		// B's file through A's app, or with A's key in the link: refused.
		fileID := strings.TrimPrefix(strings.Split(b.fileURL, "?")[0], "/app/v1/"+b.key+"/files/")
		sig := strings.SplitN(b.fileURL, "?", 2)[1]
		if st, _ := call("GET", a.key, "/files/"+fileID+"?"+sig, "", nil); st != http.StatusForbidden {
			t.Errorf("B's file through A's app: %d, want 403", st)
		}
		if st, _ := call("GET", b.key, "/files/"+fileID+"?"+sig, "", nil); st != http.StatusOK {
			t.Errorf("B's own file link: %d, want 200", st)
		}
		// The socket of B's app refuses A's token.
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.Base, "http")+"/app/v1/"+b.key+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.WriteJSON(map[string]any{"type": "hello", "token": a.user.Token})
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var f map[string]any
		if err := ws.ReadJSON(&f); err != nil || kit.Dig(f, "error", "code") != "bad_token" {
			t.Errorf("A's token on B's socket: %v %v", err, f)
		}
		_, _, err = ws.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 4401 {
			t.Errorf("A's token on B's socket closed with %v, want 4401", err)
		}
		ws.Close()
		// B's user still has B's conversation as it was, and B's push token.
		page, err := b.user.Messages(context.Background(), "", 0)
		if err != nil || len(page.Messages) != 2 || page.Conversation.ID != b.conv {
			t.Errorf("B's conversation after A's calls: %v %+v", err, page)
		}
		list, _ := a.user.Conversations(context.Background())
		if len(list) != 1 || list[0].ID != a.conv {
			t.Errorf("A's user lists %+v", list)
		}
	})
}
