package robot_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/robot"
)

// keywordRules gives a tenant n rules, a third each exact, contains and
// regex, and returns messages that hit some of them and miss the rest.
func keywordRules(b *testing.B, h *hubtest.Hub, tenantID string, n int) []string {
	ctx := context.Background()
	for i := 0; i < n; i++ {
		in := robot.KeywordInput{Pattern: fmt.Sprintf("关键词%d号", i), Reply: fmt.Sprintf("回复%d", i), Priority: i % 7}
		switch i % 3 {
		case 0:
			in.Match = robot.MatchExact
		case 1:
			in.Match = robot.MatchContains
		case 2:
			in.Match, in.Pattern = robot.MatchRegex, fmt.Sprintf(`^订单\s*%d\d{4,}$`, i)
		}
		if _, err := h.Robot.Keywords().Create(ctx, tenantID, in); err != nil {
			b.Fatal(err)
		}
	}
	return []string{"请问关键词1号怎么用", "关键词0号", "订单 212345", "运费多少钱，什么时候发货", "我想问一下这个衣服有没有大一码的",
		"关键词99999号", "订单 abc"}
}

func report(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkKeywordMatch200: one customer message against a tenant's 200
// keyword rules (the cached, compiled set), hits and misses mixed.
func BenchmarkKeywordMatch200(b *testing.B) {
	h := hubtest.Open(b, "sqlite")
	ten := h.NewTenant(b)
	msgs := keywordRules(b, h, ten.Admin.TenantID, 200)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, _, err := h.Robot.Keywords().Match(ctx, ten.Admin.TenantID, ten.Channel.ID, msgs[i%len(msgs)], false); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	report(b, lat)
}

// BenchmarkRobotAnswerKeyword: the robot's whole turn (read the message,
// match 200 rules, fall back to the knowledge base on a miss, store and
// deliver its answer) on SQLite, for messages a rule answers and ones the
// knowledge base does.
func BenchmarkRobotAnswerKeyword(b *testing.B) {
	ctx := context.Background()
	h := hubtest.Open(b, "sqlite")
	ten := h.NewTenant(b)
	tenantID := ten.Admin.TenantID
	msgs := keywordRules(b, h, tenantID, 200)
	if _, err := h.KB.Create(ctx, tenantID, kb.Patch{Question: ptr("运费怎么收？"), Answer: ptr("全场满99元包邮。"),
		Similar: &[]string{"邮费多少", "包邮吗"}}); err != nil {
		b.Fatal(err)
	}
	if _, err := h.Robot.SetSettings(ctx, tenantID, ten.Channel.ID, robot.Settings{Mode: robot.ModeFirst, MaxMisses: 10}); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in := ten.Msg(fmt.Sprintf("b%d", i), fmt.Sprintf("cust%d", i/5)) // five turns per conversation
		in.Text = msgs[i%len(msgs)]
		r := h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		b.StartTimer()
		t0 := time.Now()
		if r.ForRobot() {
			if _, err := h.Robot.Answer(ctx, robot.Turn{TenantID: tenantID, ChannelID: in.ChannelID,
				ConversationID: r.ConversationID, MessageID: r.MessageID, New: r.New}); err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	report(b, lat)
}
