package desk

// The external bot (issue 17): a channel's robot asks a bot behind a
// webhook, signed the Standard Webhooks way with the channel's whsec_
// secret; the bot's answer reaches the customer, its handoff hands the
// conversation to a person, and when it is slow or fails the knowledge
// base answers instead.

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// fakeBot is an external bot on loopback that checks every request's
// signature and answers by the question.
type fakeBot struct {
	url    string
	mu     sync.Mutex
	secret string
	asked  []map[string]any // verified requests
	bad    int              // requests whose signature did not verify
}

func newFakeBot(t *testing.T) *fakeBot {
	b := &fakeBot{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.url = "http://" + ln.Addr().String() + "/bot"
	srv := &http.Server{Handler: http.HandlerFunc(b.serve)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b
}

func (b *fakeBot) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	ok := api.Verify(b.secret, r.Header, body, time.Now(), 5*time.Minute) == nil
	var q map[string]any
	json.Unmarshal(body, &q)
	if ok {
		b.asked = append(b.asked, q)
	} else {
		b.bad++
	}
	b.mu.Unlock()
	if !ok {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	question, _ := q["question"].(string)
	switch {
	case strings.Contains(question, "慢"):
		time.Sleep(1500 * time.Millisecond) // beyond the channel's 500 ms
	case strings.Contains(question, "坏"):
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case strings.Contains(question, "投诉"):
		json.NewEncoder(w).Encode(map[string]any{"answer": "好的，马上为您转接专员。", "handoff": true})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"answer": "机器人：您的订单已发货。", "confidence": 0.93})
}

func TestExternalBotProvider(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		bot := newFakeBot(t)
		d.admin.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"邮费多少"}, "answer": "全场满99元包邮。"})
		path := "/api/v1/channels/" + d.ch.ID + "/robot"
		d.admin.Must(400, "PUT", path, map[string]any{"mode": "first", "max_misses": 2, "provider": "webhook"})
		d.admin.Must(400, "PUT", path, map[string]any{"mode": "first", "max_misses": 2, "provider": "webhook",
			"webhook_url": bot.url, "webhook_timeout_ms": 20000})
		d.admin.Must(400, "PUT", path, map[string]any{"mode": "first", "max_misses": 2, "provider": "webhook",
			"webhook_url": "ftp://bot.example.com"})
		set := d.admin.Must(200, "PUT", path, map[string]any{"mode": "first", "max_misses": 3, "provider": "webhook",
			"webhook_url": bot.url, "webhook_timeout_ms": 500})
		secret := set.Str("webhook_secret")
		if !strings.HasPrefix(secret, "whsec_") || d.admin.Must(200, "GET", path, nil).Str("webhook_secret") != secret {
			t.Fatalf("the channel's bot secret: %s", set.Body)
		}
		bot.mu.Lock()
		bot.secret = secret
		bot.mu.Unlock()

		// The bot answers, and is told the question and the conversation.
		cust := "cust-" + kit.RandHex(4)
		d.post(t, cust, "我的订单发货了吗")
		conv := d.convOf(t, cust)
		if r := d.waitRobot(t, conv, 1); r[0].Text != "机器人：您的订单已发货。" {
			t.Fatalf("robot said %q, want the bot's answer", r[0].Text)
		}
		// Slow and failing bots: the knowledge base answers.
		d.post(t, cust, "慢一点问：邮费多少")
		if r := d.waitRobot(t, conv, 2); r[1].Text != "全场满99元包邮。" {
			t.Errorf("a slow bot: robot said %q, want the knowledge base's answer", r[1].Text)
		}
		d.post(t, cust, "坏了吗 邮费多少")
		if r := d.waitRobot(t, conv, 3); r[2].Text != "全场满99元包邮。" {
			t.Errorf("a failing bot: robot said %q, want the knowledge base's answer", r[2].Text)
		}
		// The bot hands over: the agent gets the conversation.
		d.post(t, cust, "我要投诉")
		d.sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation", "id") == conv
		})
		if r := d.waitRobot(t, conv, 5); r[3].Text != "好的，马上为您转接专员。" || r[4].Text != "正在为您转接人工客服，请稍候。" {
			t.Errorf("handoff: robot said %+v", r)
		}

		bot.mu.Lock()
		defer bot.mu.Unlock()
		if bot.bad != 0 || len(bot.asked) != 4 {
			t.Fatalf("the bot got %d verified and %d badly signed requests, want 4 and 0", len(bot.asked), bot.bad)
		}
		first, last := bot.asked[0], bot.asked[3]
		if first["question"] != "我的订单发货了吗" || first["conversation_id"] != conv || kit.Dig(first, "channel", "id") != d.ch.ID {
			t.Errorf("the bot's first request: %v", first)
		}
		turns, _ := last["turns"].([]any)
		if len(turns) < 6 || kit.Dig(turns[0], "role") != "customer" || kit.Dig(turns[0], "text") != "我的订单发货了吗" ||
			kit.Dig(turns[1], "role") != "robot" || kit.Dig(turns[len(turns)-1], "text") != "我要投诉" {
			t.Errorf("the bot's last request carries turns %v", turns)
		}
	})
}
