package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// clock is the kernel's clock: each event is stamped with the time the
// fixture sets before emitting it.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// step is one event of the fixture history.
type step struct {
	at    string // UTC, "2006-01-02 15:04:05"
	typ   hub.EventType
	conv  string
	agent string         // the event's audience (the conversation's agent)
	data  map[string]any // merged into the payload
}

// conv is a fixture conversation as the hub's events carry it.
type conv struct {
	channel, group, created string
}

const tenant = "tn_fixture"

var convs = map[string]conv{
	"c1": {"chA", "gS", "2026-12-01 01:00:00"},
	"c2": {"chA", "gS", "2026-12-01 01:20:00"},
	"c3": {"chB", "", "2026-12-01 14:30:00"},
	"c4": {"chB", "", "2026-12-01 16:10:00"},
	"c5": {"chA", "gS", "2026-11-30 15:59:59"},
	"c6": {"chA", "gS", "2026-12-03 02:00:00"}, // the robot answers first
	"c7": {"chA", "gS", "2026-12-03 03:00:00"}, // the robot answers alone
	"c8": {"chA", "gS", "2026-12-01 11:00:00"}, // still held by a2
	"c9": {"chA", "gS", "2026-12-01 03:00:00"}, // its opening is not in the log
}

func in() map[string]any { return msg("in", "contact", "ct_1") }
func msg(dir, sender, id string) map[string]any {
	return map[string]any{"message": map[string]any{"direction": dir, "sender_type": sender, "sender_id": id}}
}

// history is the fixture, in event order (Asia/Shanghai is UTC+8: local
// 2026-12-01 is 2026-11-30 16:00 to 2026-12-01 16:00 UTC).
var history = []step{
	{"2026-11-30 15:59:59", hub.EvConversationCreated, "c5", "", nil},
	{"2026-11-30 15:59:59", hub.EvMessageCreated, "c5", "", in()},
	{"2026-11-30 15:59:59", hub.EvConversationQueued, "c5", "", nil},
	{"2026-11-30 16:00:10", hub.EvConversationAssigned, "c5", "a1", nil},
	{"2026-11-30 16:01:00", hub.EvMessageCreated, "c5", "a1", msg("out", "agent", "a1")},
	{"2026-11-30 16:05:00", hub.EvConversationClosed, "c5", "a1", nil},
	{"2026-11-30 16:06:00", hub.EvConversationRated, "c5", "a1", map[string]any{"score": 4}},

	{"2026-12-01 01:00:00", hub.EvConversationCreated, "c1", "", visitor(map[string]any{"engine": "baidu",
		"keyword": "在线客服", "referrer": "https://www.baidu.com/s?wd=x", "page": "https://shop.example.com/pricing?utm=1",
		"region": "广东 深圳", "device": "mobile"})},
	{"2026-12-01 01:00:00", hub.EvMessageCreated, "c1", "", in()},
	{"2026-12-01 01:00:00", hub.EvConversationQueued, "c1", "", nil},
	{"2026-12-01 01:00:30", hub.EvConversationAssigned, "c1", "a1", nil},
	{"2026-12-01 01:01:30", hub.EvMessageCreated, "c1", "a1", msg("out", "agent", "a1")},
	{"2026-12-01 01:01:45", hub.EvMessageCreated, "c1", "a1", in()},
	{"2026-12-01 01:02:00", hub.EvMessageCreated, "c1", "a1", msg("out", "agent", "a1")}, // a reply after 15 s
	{"2026-12-01 01:03:00", hub.EvMessageCreated, "c1", "a1", in()},                      // waiting since
	{"2026-12-01 01:04:00", hub.EvMessageCreated, "c1", "a1", in()},
	{"2026-12-01 01:05:30", hub.EvMessageCreated, "c1", "a1", msg("out", "agent", "a1")}, // a reply after 150 s
	{"2026-12-01 01:06:00", hub.EvMessageCreated, "c1", "a1", msg("out", "agent", "a1")}, // nobody waited
	{"2026-12-01 01:10:00", hub.EvConversationClosed, "c1", "a1", map[string]any{"rating_offered": true}},
	{"2026-12-01 01:11:00", hub.EvConversationRated, "c1", "a1", map[string]any{"score": 5}},

	{"2026-12-01 01:20:00", hub.EvConversationCreated, "c2", "", visitor(map[string]any{
		"referrer": "https://www.example.org/blog/post", "page": "https://shop.example.com/", "region": "北京",
		"device": "desktop"})},
	{"2026-12-01 01:20:00", hub.EvMessageCreated, "c2", "", in()},
	{"2026-12-01 01:20:01", hub.EvMessageCreated, "c2", "", msg("out", "system", "")},
	{"2026-12-01 01:20:01", hub.EvConversationQueued, "c2", "", nil},
	{"2026-12-01 01:25:00", hub.EvConversationAssigned, "c2", "a2", nil},
	{"2026-12-01 01:26:00", hub.EvMessageCreated, "c2", "a2", msg("internal", "agent", "a2")},
	{"2026-12-01 01:30:00", hub.EvMessageCreated, "c2", "a2", msg("out", "agent", "a2")},
	{"2026-12-01 01:40:00", hub.EvConversationTransferred, "c2", "a2", map[string]any{"from_agent_id": "a2"}},
	{"2026-12-01 01:40:00", hub.EvConversationAssigned, "c2", "a1", nil},
	{"2026-12-01 01:41:00", hub.EvMessageCreated, "c2", "a1", msg("out", "agent", "a1")},
	{"2026-12-01 02:00:00", hub.EvConversationClosed, "c2", "a1", nil},
	{"2026-12-01 02:05:00", hub.EvConversationRated, "c2", "a1", map[string]any{"score": 3}},

	{"2026-12-01 14:30:00", hub.EvConversationCreated, "c3", "", visitor(map[string]any{
		"page": "https://shop.example.com/", "device": "desktop"})},
	{"2026-12-01 14:30:00", hub.EvMessageCreated, "c3", "", in()},
	{"2026-12-01 14:30:00", hub.EvConversationQueued, "c3", "", nil},
	// chB invites to rate by text, only a conversation someone answered:
	// c3's close offered no rating
	{"2026-12-01 14:35:00", hub.EvConversationClosed, "c3", "", map[string]any{"rating_offered": false}},

	{"2026-12-01 16:10:00", hub.EvConversationCreated, "c4", "", nil},
	{"2026-12-01 16:10:00", hub.EvMessageCreated, "c4", "", in()},
	{"2026-12-01 16:10:00", hub.EvConversationOffline, "c4", "", map[string]any{"ticket_id": "tk_1"}},

	// c1's customer changes their 5 to a 2 the next day (local and UTC):
	// the 2 counts where the 5 did, on 2026-12-01, and nothing on 12-02
	{"2026-12-02 03:00:00", hub.EvConversationRated, "c1", "a1", map[string]any{"score": 2}},

	{"2026-12-03 02:00:00", hub.EvConversationCreated, "c6", "", nil},
	{"2026-12-03 02:00:00", hub.EvMessageCreated, "c6", "", in()},
	{"2026-12-03 02:00:01", hub.EvMessageCreated, "c6", "", msg("out", "robot", "")},
	{"2026-12-03 02:01:00", hub.EvMessageCreated, "c6", "", in()},
	{"2026-12-03 02:01:02", hub.EvMessageCreated, "c6", "", msg("out", "robot", "")}, // 正在为您转接人工客服
	{"2026-12-03 02:01:02", hub.EvConversationQueued, "c6", "", nil},
	{"2026-12-03 02:01:32", hub.EvConversationAssigned, "c6", "a2", nil},
	{"2026-12-03 02:02:02", hub.EvMessageCreated, "c6", "a2", msg("out", "agent", "a2")},
	{"2026-12-03 02:05:00", hub.EvRatingRequested, "c6", "a2", nil}, // offered a rating before the close
	{"2026-12-03 02:10:00", hub.EvConversationClosed, "c6", "a2", nil},
	// a bad rating (the tenant counts 3 and below as bad), changed to 4
	// within the change window: one rating, satisfied, not bad
	{"2026-12-03 02:11:00", hub.EvConversationRated, "c6", "a2", map[string]any{"score": 3, "bad": true}},
	{"2026-12-03 02:12:00", hub.EvConversationRated, "c6", "a2", map[string]any{"score": 4, "bad": false}},

	{"2026-12-03 03:00:00", hub.EvConversationCreated, "c7", "", nil},
	{"2026-12-03 03:00:00", hub.EvMessageCreated, "c7", "", in()},
	{"2026-12-03 03:00:02", hub.EvMessageCreated, "c7", "", msg("out", "robot", "")}, // the answer was enough
	{"2026-12-03 03:05:00", hub.EvConversationClosed, "c7", "", map[string]any{"rating_offered": true}},
}

// visitor is where a web visitor came from, as conversation.created
// carries it.
func visitor(v map[string]any) map[string]any { return map[string]any{"visitor": v} }

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

// emit writes the steps, one transaction each, as the hub would.
func emit(t testing.TB, k *store.Store, clk *clock, steps []step) {
	t.Helper()
	for _, s := range steps {
		clk.t = utc(s.at)
		c, ok := convs[s.conv]
		if !ok {
			c.created = s.at // an agent's status: about no conversation
		}
		conversation := map[string]any{"id": s.conv, "channel_id": c.channel, "created_at": utc(c.created),
			"group_id": nil, "assignee_id": nil}
		if c.group != "" {
			conversation["group_id"] = c.group
		}
		if s.agent != "" {
			conversation["assignee_id"] = s.agent
		}
		p := map[string]any{"conversation": conversation}
		switch s.typ {
		case hub.EvMessageCreated, hub.EvConversationRated, hub.EvRatingRequested:
			p = map[string]any{"conversation_id": s.conv}
		case hub.EvAgentStatus:
			p = map[string]any{"agent_id": s.agent}
		}
		for key, v := range s.data {
			p[key] = v
		}
		err := k.Write(context.Background(), func(tx *store.Tx) error {
			tx.Emit(hub.Event{TenantID: tenant, Type: s.typ, ConversationID: s.conv, AgentID: s.agent}, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
