package qa_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/qa"
)

// words is a full list (500 words) of 2–6 runes.
func words() []string {
	out := make([]string, 500)
	for i := range out {
		out[i] = fmt.Sprintf("敏感%d号", i)
	}
	return out
}

// A 200-rune reply against the full list (its matcher cached, as on the
// send path): what a send pays when nothing matches (the usual case).
func BenchmarkMatch(b *testing.B) {
	match := qa.MatcherForTest(words())
	text := strings.Repeat("您好，您的订单已经发货，请注意查收。", 12)
	b.ReportAllocs()
	for b.Loop() {
		if match(text) != nil {
			b.Fatal("matched")
		}
	}
}

// An agent's reply through the send path with and without the watch
// (SQLite; the full word list cached): the watch's share of a send.
func BenchmarkSendReplyWatched(b *testing.B) {
	for _, watched := range []bool{false, true} {
		b.Run(fmt.Sprintf("watch=%v", watched), func(b *testing.B) {
			h := hubtest.Open(b, "sqlite")
			ctx := context.Background()
			x := &fx{h: h, q: qa.New(h.K, conversations.NewSampler(h.K)), ten: h.NewTenant(b)}
			x.admin = x.ten.Admin
			if _, err := x.q.SetWords(ctx, x.admin, words()); err != nil {
				b.Fatal(err)
			}
			o := conversations.Options{}
			if watched {
				o.Watch = x.q.Watch
			}
			convs := conversations.New(h.K, h.Channels, h.Contacts, h.Automations, o)
			id := x.conv(b, x.admin, time.Time{}, 1, 0)
			b.ResetTimer()
			for b.Loop() {
				if _, err := convs.SendReply(ctx, x.admin, id, conversations.Text("您好，您的订单已经发货，请注意查收。")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
