package routing

import (
	"strings"
	"testing"
	"time"
)

func on(id string, cur, max int) Candidate {
	return Candidate{ID: id, Name: id, Status: "online", Current: cur, Max: max}
}

func TestRankPolicies(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		policy Policy
		in     []Candidate
		want   []string
	}{
		{"daily balance: fewest accepted today, however busy now", DailyBalance, []Candidate{
			{ID: "a", Status: "online", Current: 0, Max: 5, Today: 9},
			{ID: "b", Status: "online", Current: 4, Max: 5, Today: 2},
			{ID: "c", Status: "online", Current: 1, Max: 5, Today: 5},
		}, []string{"b", "c", "a"}},
		{"daily balance tie: fewer current chats, then longest idle", DailyBalance, []Candidate{
			{ID: "a", Status: "online", Current: 2, Max: 5, Today: 3},
			{ID: "b", Status: "online", Current: 1, Max: 5, Today: 3, LastAssignedAt: t0.Add(time.Minute)},
			{ID: "c", Status: "online", Current: 1, Max: 5, Today: 3, LastAssignedAt: t0},
		}, []string{"c", "b", "a"}},
		{"round robin: oldest turn first, never-had-a-turn before all", RoundRobin, []Candidate{
			{ID: "a", Status: "online", Current: 0, Max: 5, Turn: 7},
			{ID: "b", Status: "online", Current: 4, Max: 5, Turn: 3},
			{ID: "new", Status: "online", Current: 0, Max: 5},
		}, []string{"new", "b", "a"}},
		{"round robin skips the full and the busy", RoundRobin, []Candidate{
			{ID: "full", Status: "online", Current: 5, Max: 5, Turn: 1},
			{ID: "busy", Status: "busy", Current: 0, Max: 5, Turn: 2},
			{ID: "ok", Status: "online", Current: 0, Max: 5, Turn: 9},
		}, []string{"ok"}},
		{"round robin tie (same turn) goes to the longest idle, then id", RoundRobin, []Candidate{
			{ID: "z", Status: "online", Max: 5, LastAssignedAt: t0},
			{ID: "y", Status: "online", Max: 5, LastAssignedAt: t0.Add(time.Second)},
			{ID: "x", Status: "online", Max: 5, LastAssignedAt: t0},
		}, []string{"x", "z", "y"}},
		{"unknown policy ranks like load", Policy("nope"), []Candidate{on("a", 2, 5), on("b", 1, 5)}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(ids(Rank(tt.policy, tt.in)), ","); got != strings.Join(tt.want, ",") {
				t.Fatalf("got %s, want %v", got, tt.want)
			}
		})
	}
}

func group(id string, policy Policy, cs ...Candidate) TargetState {
	return TargetState{Step: Step{Kind: KindGroup, ID: id, Source: SourceChannel}, Name: id, Policy: policy, Open: true, Cands: cs}
}

func TestDecide(t *testing.T) {
	busy := Candidate{ID: "busy", Name: "busy", Status: "busy", Max: 3}
	off := Candidate{ID: "off", Name: "off", Status: "offline", Max: 3}
	closed := group("closed", Load, on("x", 0, 3))
	closed.Open = false
	returning := group("g", Load, on("a", 0, 3), on("b", 2, 3))
	returning.Returning = "b"
	returningFull := group("g", Load, on("a", 0, 3), on("b", 3, 3))
	returningFull.Returning = "b"
	tests := []struct {
		name      string
		stage     int
		ts        []TargetState
		outcome   string
		step      int
		agent     string
		returning bool
		reason    string
	}{
		{"first target with a free agent", 0, []TargetState{group("g1", Load, on("a", 1, 3), on("b", 0, 3))},
			OutcomeAssign, 0, "b", false, "load: b has the fewest current chats (0 of 3)"},
		{"returning customer goes to their last agent though busier", 0, []TargetState{returning},
			OutcomeAssign, 0, "b", true, "returning customer: b served them last"},
		{"returning customer's agent full: policy decides", 0, []TargetState{returningFull},
			OutcomeAssign, 0, "a", false, "load: a"},
		{"all full: overflow at once to the second", 0, []TargetState{group("华南", Load, on("a", 3, 3)), group("全国", Load, on("c", 1, 3))},
			OutcomeAssign, 1, "c", false, "group 全国"},
		{"closed first target flows at once", 0, []TargetState{closed, group("g2", Load, on("c", 0, 3))},
			OutcomeAssign, 1, "c", false, ""},
		{"nobody signed in at the first target flows at once", 0, []TargetState{group("g1", Load, off), group("g2", Load, on("c", 0, 3))},
			OutcomeAssign, 1, "c", false, ""},
		{"busy (not full) agents are waited for: no overflow yet", 0, []TargetState{group("g1", Load, busy), group("g2", Load, on("c", 0, 3))},
			OutcomeQueue, 0, "", false, "waiting for group g1: 1 signed-in agents busy"},
		{"everyone full everywhere: wait at the first target", 0, []TargetState{group("g1", Load, on("a", 3, 3)), group("g2", Load, on("c", 3, 3))},
			OutcomeQueue, 0, "", false, "every signed-in agent is at their maximum"},
		{"first full, second absent: wait at the first", 0, []TargetState{group("g1", Load, on("a", 3, 3)), group("g2", Load, off)},
			OutcomeQueue, 0, "", false, ""},
		{"after a timed overflow only later targets count", 1, []TargetState{group("g1", Load, on("a", 0, 3)), group("g2", Load, on("c", 3, 3))},
			OutcomeQueue, 1, "", false, ""},
		{"nobody anywhere: offline", 0, []TargetState{group("g1", Load, off), closed},
			OutcomeOffline, 0, "", false, "nobody of group g1 is signed in; group closed is outside business hours"},
		{"agent link: the agent asked for", 0, []TargetState{{Step: Step{Kind: KindAgent, ID: "a", Source: SourceAgentLink}, Name: "a",
			Open: true, Policy: Load, Cands: []Candidate{on("a", 1, 3)}}, group("g", Load, on("b", 0, 3))},
			OutcomeAssign, 0, "a", false, "the agent asked for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.stage, tt.ts)
			if d.Outcome != tt.outcome || d.Step != tt.step {
				t.Fatalf("got %s at step %d (%s), want %s at %d", d.Outcome, d.Step, d.Reason, tt.outcome, tt.step)
			}
			if tt.agent != "" && (len(d.Ranked) == 0 || d.Ranked[0].ID != tt.agent) {
				t.Fatalf("picked %v, want %s", ids(d.Ranked), tt.agent)
			}
			if d.Returning != tt.returning {
				t.Fatalf("returning = %v, want %v", d.Returning, tt.returning)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("reason %q does not say %q", d.Reason, tt.reason)
			}
		})
	}
}

func TestBusinessHours(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(day, hm string) time.Time { // a week of January 2026: Mon 5 … Sun 11
		days := map[string]int{"mon": 5, "tue": 6, "wed": 7, "thu": 8, "fri": 9, "sat": 10, "sun": 11}
		tm, _ := time.ParseInLocation("2006-01-02 15:04", "2026-01-0"+string(rune('0'+days[day]%10))+" "+hm, sh)
		if days[day] >= 10 {
			tm, _ = time.ParseInLocation("2006-01-02 15:04", "2026-01-"+map[int]string{10: "10", 11: "11"}[days[day]]+" "+hm, sh)
		}
		return tm
	}
	office := &Hours{Weekly: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00"}}}
	night := &Hours{Weekly: []Window{{Days: []string{"fri"}, From: "22:00", To: "02:00"}}}
	allDay := &Hours{Weekly: []Window{{Days: []string{"sat"}, From: "00:00", To: "24:00"}}}
	utc := &Hours{Timezone: "UTC", Weekly: []Window{{Days: []string{"mon"}, From: "01:00", To: "02:00"}}}
	holiday := &Hours{Weekly: office.Weekly, Holidays: []string{"2026-01-07"}}
	tests := []struct {
		name string
		h    *Hours
		t    time.Time
		want bool
	}{
		{"no hours: always open", nil, at("sun", "03:00"), true},
		{"inside office hours", office, at("tue", "09:00"), true},
		{"end is exclusive", office, at("tue", "18:00"), false},
		{"weekend closed", office, at("sat", "10:00"), false},
		{"tenant time zone applies: 09:30 Shanghai is 01:30 UTC", office, at("mon", "09:30").UTC(), true},
		{"overnight: Friday late", night, at("fri", "23:30"), true},
		{"overnight: spills into Saturday morning", night, at("sat", "01:59"), true},
		{"overnight: ends at 02:00", night, at("sat", "02:00"), false},
		{"overnight: not Thursday into Friday", night, at("fri", "01:00"), false},
		{"whole day with 24:00", allDay, at("sat", "23:59"), true},
		{"hours in their own zone: Mon 01:30 UTC", utc, time.Date(2026, 1, 5, 1, 30, 0, 0, time.UTC), true},
		{"hours in their own zone: Mon 01:30 Shanghai is Sun UTC", utc, at("mon", "01:30"), false},
		{"holiday closed", holiday, at("wed", "10:00"), false},
		{"day after the holiday open", holiday, at("thu", "10:00"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Open(tt.t, "Asia/Shanghai"); got != tt.want {
				t.Fatalf("Open(%s) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
	for _, bad := range []*Hours{{Timezone: "Mars/Base"}, {Weekly: []Window{{Days: []string{"monday"}, From: "09:00", To: "18:00"}}},
		{Weekly: []Window{{Days: []string{"mon"}, From: "9", To: "18:00"}}}, {Weekly: []Window{{Days: []string{"mon"}, From: "09:00", To: "24:30"}}},
		{Holidays: []string{"2026/01/01"}}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) accepted bad hours", bad)
		}
	}
}

func TestRulesAndPlan(t *testing.T) {
	rules := []Rule{
		{ID: "off", Name: "disabled", Enabled: false, Targets: []Target{{GroupID: "x"}}},
		{ID: "gd", Name: "广东 → 华南", Enabled: true, Conditions: Conditions{Regions: []string{"广东"}},
			Targets: []Target{{GroupID: "huanan"}, {GroupID: "quanguo"}}, OverflowAfter: 30},
		{ID: "price", Name: "报价 → 售前", Enabled: true, Conditions: Conditions{Keywords: []string{"报价"}, ChannelTypes: []string{"api"}},
			Targets: []Target{{GroupID: "shouqian"}}},
		{ID: "baidu", Name: "百度 → 张三", Enabled: true, Conditions: Conditions{Referrers: []string{"baidu.com"}},
			Targets: []Target{{AgentID: "zhangsan"}, {GroupID: "shouqian"}}},
	}
	of := map[string]GroupOverflow{"shouqian": {GroupID: "quanguo", After: 60}, "quanguo": {GroupID: "shouqian", After: 5}}
	tests := []struct {
		name string
		v    Visit
		def  string
		rule string
		want string
	}{
		{"region rule by province prefix", Visit{Region: "中国|0|广东省|深圳市|电信"}, "", "gd", "group:huanan:rule:30 group:quanguo:rule:30 group:shouqian:overflow:60"},
		{"first matching rule wins", Visit{Region: "中国|0|广东省|广州市|电信", Text: "要报价", ChannelType: "api"}, "", "gd", "group:huanan:rule:30 group:quanguo:rule:30 group:shouqian:overflow:60"},
		{"keyword in the first message, on the right channel type", Visit{Text: "请给个报价", ChannelType: "api"}, "", "price", "group:shouqian:rule:0 group:quanguo:overflow:5"},
		{"keyword rule does not match another channel type", Visit{Text: "请给个报价", ChannelType: "wechat"}, "d", "", "group:d:channel_default:0"},
		{"search keyword counts too", Visit{Keyword: "客服系统 报价", ChannelType: "api"}, "", "price", "group:shouqian:rule:0 group:quanguo:overflow:5"},
		{"referrer rule to an agent, then a group", Visit{Referrer: "https://www.baidu.com/s?wd=x"}, "", "baidu", "agent:zhangsan:rule:0 group:shouqian:rule:0 group:quanguo:overflow:5"},
		{"visitor's choice beats rules", Visit{Group: "shouqian", Region: "广东省"}, "d", "", "group:shouqian:visitor_choice:60 group:quanguo:overflow:5"},
		{"agent link first, then the usual", Visit{Agent: "li", Region: "北京市"}, "d", "", "agent:li:agent_link:0 group:d:channel_default:0"},
		{"no rule, no default: all agents", Visit{Region: "北京市"}, "", "", "all::all_agents:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, rule := BuildPlan(PlanInput{Visit: tt.v, Rules: rules, ChannelDefault: tt.def, Overflow: of})
			var got []string
			for _, s := range plan {
				got = append(got, s.Kind+":"+s.ID+":"+s.Source+":"+itoa(s.OverflowAfter))
			}
			if strings.Join(got, " ") != tt.want {
				t.Fatalf("plan %v, want %s", got, tt.want)
			}
			if (rule == nil && tt.rule != "") || (rule != nil && rule.ID != tt.rule) {
				t.Fatalf("rule %v, want %q", rule, tt.rule)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
