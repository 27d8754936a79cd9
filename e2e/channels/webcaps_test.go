package channels

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Visitor sockets are capped per client address, per channel and per
// process (KEFU_VISITOR_SOCKETS_*): one beyond a cap gets an error frame
// too_many_connections and close code 4429 (the widget waits and retries),
// a closed socket gives its slot back, and agents still connect whatever
// the visitors hold.
func TestWebVisitorSocketCaps(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_TRUSTED_PROXIES"] = "127.0.0.1" // X-Forwarded-For names the visitor's address
		e.Vars["KEFU_VISITOR_SOCKETS_PER_ADDR"] = "3"
		e.Vars["KEFU_VISITOR_SOCKETS_PER_CHANNEL"] = "5"
		e.Vars["KEFU_VISITOR_SOCKETS_MAX"] = "8"
		h := e.Start()
		adm := h.Admin()
		ch1, _ := adm.NewWebChannel(map[string]any{})
		ch2, _ := adm.NewWebChannel(map[string]any{})
		open := func(ch, ip string) *kit.Visitor {
			t.Helper()
			v, w, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{ForwardedFor: ip})
			if err != nil || w["type"] != "welcome" {
				t.Fatalf("visitor from %s on %s: %v %v, want welcome", ip, ch, w, err)
			}
			return v
		}
		refused := func(ch, ip, cap string) {
			t.Helper()
			v, w, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{ForwardedFor: ip})
			if err != nil || w["type"] != "error" || kit.Dig(w, "error", "code") != "too_many_connections" {
				t.Fatalf("visitor from %s on %s beyond the %s cap: %v %v, want error too_many_connections", ip, ch, cap, w, err)
			}
			if code := v.Closed(10 * time.Second); code != 4429 {
				t.Fatalf("beyond the %s cap: close code %d, want 4429", cap, code)
			}
		}
		// Per address: three from 198.51.100.1, the fourth refused.
		first := open(ch1, "198.51.100.1")
		open(ch1, "198.51.100.1")
		open(ch1, "198.51.100.1")
		refused(ch1, "198.51.100.1", "address")
		// A closed socket gives its slot back.
		first.Conn.Close()
		kit.Eventually(t, 10*time.Second, "the closed socket's slot is free", func() bool {
			v, w, err := kit.DialVisitor(t, h.Base, ch1, kit.VisitorOpts{ForwardedFor: "198.51.100.1"})
			if err == nil && w["type"] == "welcome" {
				return true
			}
			if v != nil {
				v.Conn.Close()
			}
			return false
		})
		// Per channel: five on ch1, whatever the address.
		open(ch1, "198.51.100.2")
		open(ch1, "198.51.100.3")
		refused(ch1, "198.51.100.4", "channel")
		// Per process: three more on ch2 make eight; the ninth is refused.
		for i := 0; i < 3; i++ {
			open(ch2, fmt.Sprintf("198.51.100.%d", 10+i))
		}
		refused(ch2, "198.51.100.20", "process")
		// Agents are not visitors: their socket connects and works.
		s := adm.Dial(-1)
		if s == nil {
			t.Fatal("no agent socket while visitors hold every visitor slot")
		}
	})
}

// Anonymous visitors cannot fill the queue: with a channel's limits at 2
// active conversations per address and 3 per channel, a third visitor
// from one address and a fourth on the channel are told
// too_many_conversations and nothing is stored; visitors who already have
// a conversation go on writing, and closing one frees a place.
func TestWebConversationCaps(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_TRUSTED_PROXIES"] = "127.0.0.1"
		h := e.Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{"limits": map[string]any{"open_per_address": 2, "open_per_channel": 3}})
		var cfg struct {
			Channel struct {
				Config struct {
					Limits map[string]int `json:"limits"`
				} `json:"config"`
			} `json:"channel"`
		}
		r := adm.Must(200, "GET", "/api/v1/channels/"+chID, nil)
		r.JSON(t, &cfg)
		if cfg.Channel.Config.Limits["open_per_address"] != 2 || cfg.Channel.Config.Limits["open_per_channel"] != 3 {
			t.Fatalf("channel limits %v: %s", cfg.Channel.Config.Limits, r.Body)
		}
		agent := adm.NewAgent("caps@kefu.test", 1)
		agent.SetStatus("online")

		visitor := func(ip string) *kit.Visitor {
			t.Helper()
			v, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{ForwardedFor: ip})
			if err != nil || w["type"] != "welcome" {
				t.Fatalf("visitor from %s: %v %v", ip, w, err)
			}
			return v
		}
		opens := func(v *kit.Visitor, cid string) string {
			t.Helper()
			v.Say(cid, "你好 "+cid)
			f := v.WaitFor("conversation", 10*time.Second, nil)
			return kit.Dig(f, "conversation", "id").(string)
		}
		refused := func(v *kit.Visitor, cid string) {
			t.Helper()
			v.Send(map[string]any{"type": "message", "client_id": cid, "text": "排队 " + cid})
			f := v.WaitFor("error", 10*time.Second, func(f map[string]any) bool { return f["client_id"] == cid })
			if kit.Dig(f, "error", "code") != "too_many_conversations" {
				t.Fatalf("message %s: %v, want too_many_conversations", cid, f)
			}
			if adm.HasConversation(v.ID) {
				t.Fatalf("the refused visitor %s has a conversation", v.ID)
			}
		}
		a1, a2 := visitor("198.51.100.1"), visitor("198.51.100.1")
		first := opens(a1, "a1")
		opens(a2, "a2")
		refused(visitor("198.51.100.1"), "a3") // the address's cap
		// Those with a conversation go on.
		a1.Say("a1-more", "还在吗")
		b1 := visitor("198.51.100.2")
		second := opens(b1, "b1")
		refused(visitor("198.51.100.3"), "c1") // the channel's cap
		// Closing a conversation frees a place on the channel and the address.
		adm.Must(200, "POST", "/api/v1/conversations/"+first+"/close", map[string]any{})
		opens(visitor("198.51.100.1"), "a4")

		// A visitor with two tabs, both welcomed without a conversation: the
		// second tab's conversation fills the channel, and the first tab's
		// message joins it rather than being refused as a new one.
		adm.Must(200, "POST", "/api/v1/conversations/"+second+"/close", map[string]any{})
		tab1, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{ForwardedFor: "198.51.100.4"})
		if err != nil || w["type"] != "welcome" {
			t.Fatalf("first tab: %v %v", w, err)
		}
		tab2, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{ForwardedFor: "198.51.100.4",
			ID: kit.Dig(w, "visitor", "id").(string), Token: kit.Dig(w, "visitor", "token").(string)})
		if err != nil || w["type"] != "welcome" || w["conversation"] != nil {
			t.Fatalf("second tab: %v %v", w, err)
		}
		both := opens(tab2, "d2")
		refused(visitor("198.51.100.5"), "e1") // the channel is full again
		tab1.Send(map[string]any{"type": "message", "client_id": "d1", "text": "另一个标签页"})
		for f := tab1.Next(10 * time.Second); ; f = tab1.Next(10 * time.Second) {
			if f == nil || (f["client_id"] == "d1" && f["type"] == "error") {
				t.Fatalf("the first tab's message was not accepted: %v", f)
			}
			if f["client_id"] == "d1" && f["type"] == "ack" {
				break
			}
		}
		for deadline := time.Now().Add(10 * time.Second); len(adm.Messages(both)) < 2; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the two tabs' conversation %s lacks the first tab's message: %v", both, adm.Messages(both))
			}
		}
	})
}

// With a small open-file limit (400, soft and hard) and no configured cap,
// visitor sockets stop at half of it (below the limit minus the reserve),
// the rest are refused with 4429, and the hub still has descriptors for
// what visitors must never starve: agent logins, agent sockets, REST.
func TestWebVisitorSocketsLeaveDescriptorsForAgents(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		e.Wrap = []string{"prlimit", "--nofile=400:400"}
		e.Vars["KEFU_TRUSTED_PROXIES"] = "127.0.0.1"
		h := e.Start()
		adm := h.Admin()
		ch, _ := adm.NewWebChannel(map[string]any{})
		accepted, refused := 0, 0
		for i := 0; i < 260; i++ {
			v, w, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{ForwardedFor: fmt.Sprintf("198.51.100.%d", 1+i/13)})
			switch {
			case err == nil && w["type"] == "welcome":
				accepted++
			case err == nil && kit.Dig(w, "error", "code") == "too_many_connections" && v.Closed(10*time.Second) == 4429:
				refused++
			default:
				t.Fatalf("visitor %d: %v %v (after %d accepted, %d refused)", i, w, err, accepted, refused)
			}
		}
		if accepted != 200 || refused != 60 {
			t.Fatalf("%d visitor sockets accepted and %d refused under a 400-descriptor limit, want 200 and 60", accepted, refused)
		}
		agent := adm.NewAgent("fd@kefu.test", 5)
		agent.SetStatus("online")
		agent.Dial(-1)
		adm.Must(200, "GET", "/api/v1/conversations", nil)
	})
}
