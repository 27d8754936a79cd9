package robot_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/robot"
)

func (f fx) keyword(t *testing.T, in robot.KeywordInput) *robot.Keyword {
	t.Helper()
	k, err := f.Robot.Keywords().Create(context.Background(), f.ten.Admin.TenantID, in)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeywordRepliesBeforeKB: a keyword rule answers before the knowledge
// base, the highest priority first; a regex rule matches; a rule of another
// channel does not; the rule counts its hits.
func TestKeywordRepliesBeforeKB(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := setup(t, h, robot.ModeFirst)
		low := f.keyword(t, robot.KeywordInput{Match: robot.MatchContains, Pattern: "邮费", Reply: "低优先级"})
		f.keyword(t, robot.KeywordInput{Match: robot.MatchContains, Pattern: "邮费", Priority: 10, Reply: "满99包邮，偏远地区除外。"})
		f.keyword(t, robot.KeywordInput{Match: robot.MatchRegex, Pattern: `^订单\s*\d{6,}$`, Reply: "正在为您查询订单。"})
		conv, _, _ := f.say(t, "m1", "邮费多少钱")
		if got := f.robotSaid(t, conv); strings.Join(got, "|") != "您好|满99包邮，偏远地区除外。" {
			t.Errorf("robot said %q", got)
		}
		f.say(t, "m2", "订单 12345678")
		f.say(t, "m3", "订单号是 abc") // no rule, no article: a miss
		got := f.robotSaid(t, conv)
		if len(got) != 4 || got[2] != "正在为您查询订单。" || !strings.Contains(got[3], "转人工") {
			t.Errorf("robot said %q", got)
		}
		ks, err := h.Robot.Keywords().List(context.Background(), f.ten.Admin.TenantID)
		if err != nil || len(ks) != 3 || ks[0].Hits != 1 || ks[0].Priority != 10 || ks[1].ID != low.ID || ks[1].Hits != 0 ||
			ks[2].Hits != 1 {
			t.Errorf("rules after answering: %+v %v", ks, err)
		}
	})
}

// TestKeywordAlwaysAndCards: a rule marked always answers although the
// channel's robot is off (and the conversation still goes to a person); a
// card reply carries its link card; rules of another channel stay silent.
func TestKeywordAlwaysAndCards(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeOff)
		f.keyword(t, robot.KeywordInput{Match: robot.MatchExact, Pattern: "发票", Always: true, Reply: "开票说明：",
			Card: &robot.Card{Title: "如何开发票", Description: "在订单页申请电子发票", URL: "https://shop.example.com/invoice",
				Picture: "https://shop.example.com/i.png"}})
		elsewhere := &hub.Channel{TenantID: f.ten.Admin.TenantID, Type: "api", Name: "小程序", Secret: "whsec_y"}
		if err := h.Channels.Create(ctx, elsewhere); err != nil {
			t.Fatal(err)
		}
		f.keyword(t, robot.KeywordInput{Match: robot.MatchContains, Pattern: "地址", Always: true, Reply: "不会说",
			ChannelID: elsewhere.ID})
		if _, err := f.Robot.Keywords().Create(ctx, f.ten.Admin.TenantID, robot.KeywordInput{Match: robot.MatchContains,
			Pattern: "x", Reply: "y", ChannelID: h.NewTenant(t).Channel.ID}); !errors.As(err, new(*hub.InvalidError)) {
			t.Errorf("a rule on another tenant's channel: %v", err)
		}
		if !h.Robot.Always(ctx, f.ten.Admin.TenantID, f.ten.Channel.ID, "发票") || h.Robot.Always(ctx, f.ten.Admin.TenantID,
			f.ten.Channel.ID, "运费") {
			t.Fatal("Always does not tell a message an always rule answers from one none does")
		}
		in := f.ten.Msg("a1", "cust")
		in.Text = " 发票 "
		r := h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
		if r.ForRobot() || !r.Routable() {
			t.Fatalf("robot off: %+v", r)
		}
		turn := robot.Turn{TenantID: r.TenantID, ChannelID: in.ChannelID, ConversationID: r.ConversationID,
			MessageID: r.MessageID, Always: true}
		if err := h.Robot.AutoReply(ctx, turn); err != nil {
			t.Fatal(err)
		}
		ms, err := h.Conversations.Messages(ctx, f.ten.Admin, r.ConversationID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		last := ms[len(ms)-1]
		if last.SenderType != hub.SenderRobot || last.Type != "answer" || len(last.Attachments) != 1 ||
			last.Attachments[0].URL != "https://shop.example.com/invoice" || last.Attachments[0].Description != "在订单页申请电子发票" ||
			!strings.Contains(last.Text, "https://shop.example.com/invoice") || !strings.HasPrefix(last.Text, "开票说明：") {
			t.Errorf("card reply: %+v", last)
		}
		in = f.ten.Msg("a2", "cust")
		in.Text = "收货地址怎么改"
		r = h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
		turn.MessageID = r.MessageID
		if err := h.Robot.AutoReply(ctx, turn); err != nil {
			t.Fatal(err)
		}
		if said := f.robotSaid(t, r.ConversationID); len(said) != 1 {
			t.Errorf("another channel's rule answered: %q", said)
		}
	})
}

// TestKeywordValidation: bad rules are refused with a Chinese message.
func TestKeywordValidation(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := setup(t, h, robot.ModeOff)
		for _, c := range []struct {
			in     robot.KeywordInput
			want   string
			reason string // the stable reason the UI words, with its params
			params map[string]string
		}{
			{robot.KeywordInput{Match: robot.MatchRegex, Pattern: "(未闭合", Reply: "x"}, "正则表达式无效", "keyword_regex",
				map[string]string{"pattern": "(未闭合", "problem": "missing_paren", "part": "(未闭合"}},
			{robot.KeywordInput{Match: robot.MatchRegex, Pattern: "a**", Reply: "x"}, "正则表达式无效", "keyword_regex",
				map[string]string{"pattern": "a**", "problem": "bad_repeat", "part": "**"}},
			{robot.KeywordInput{Match: "fuzzy", Pattern: "x", Reply: "x"}, "匹配方式", "keyword_match", map[string]string{}},
			{robot.KeywordInput{Match: robot.MatchExact, Pattern: strings.Repeat("长", 201), Reply: "x"}, "关键词", "keyword_pattern",
				map[string]string{"max": "200"}},
			{robot.KeywordInput{Match: robot.MatchExact, Pattern: "x"}, "回复内容", "keyword_reply_required", map[string]string{}},
			{robot.KeywordInput{Match: robot.MatchExact, Pattern: "x", Card: &robot.Card{Title: "t", URL: "javascript:alert(1)"}}, "图文链接",
				"card_url", map[string]string{}},
		} {
			_, err := h.Robot.Keywords().Create(context.Background(), f.ten.Admin.TenantID, c.in)
			if !errors.As(err, new(*hub.InvalidError)) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%+v: %v, want an invalid error saying %q", c.in, err, c.want)
			}
			var coded *hub.CodedError
			if !errors.As(err, &coded) || coded.Code != c.reason || !maps.Equal(coded.Params, c.params) {
				t.Errorf("%+v: %#v, want the reason %s %v", c.in, coded, c.reason, c.params)
			}
		}
	})
}
