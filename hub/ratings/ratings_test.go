package ratings_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/store"
)

func TestScale(t *testing.T) {
	st := ratings.Default()
	for text, want := range map[string]int{"1": 5, " 2 ": 4, "５": 1, "3": 3} {
		if l, ok := st.Pick(text); !ok || l.Score != want {
			t.Errorf("Pick(%q) = %v %v, want score %d", text, l, ok, want)
		}
	}
	for _, text := range []string{"6", "0", "12", "一", "1.", ""} {
		if _, ok := st.Pick(text); ok {
			t.Errorf("Pick(%q) took it as a level", text)
		}
	}
	if got := st.Invitation(); got != "请您对本次服务进行评价，回复数字即可：1 非常满意、2 满意、3 一般、4 不满意、5 非常不满意" {
		t.Errorf("invitation %q", got)
	}
}

func TestSettingsRefuseBadScales(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		bad := []ratings.Settings{
			{Levels: []ratings.Level{{Score: 5, Label: "好"}}, ReplyMinutes: 30},                         // one level
			{Levels: []ratings.Level{{Score: 1, Label: "差"}, {Score: 5, Label: "好"}}, ReplyMinutes: 30}, // worst first
			{Levels: []ratings.Level{{Score: 5, Label: ""}, {Score: 1, Label: "差"}}, ReplyMinutes: 30},  // no label
			{Levels: []ratings.Level{{Score: 5, Label: "好"}, {Score: 1, Label: "差"}}, ReplyMinutes: 0},  // no reply window
		}
		for i, st := range bad {
			if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, st); err == nil {
				t.Errorf("scale %d accepted: %+v", i, st)
			}
		}
		three := ratings.Settings{Levels: []ratings.Level{{Score: 5, Label: "满意"}, {Score: 3, Label: "一般"},
			{Score: 1, Label: "不满意", Reasons: []string{"太慢"}}}, InviteText: "回复 {levels}", BadAt: 1, ReplyMinutes: 10}
		if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, three); err != nil {
			t.Fatal(err)
		}
		got, err := h.Ratings.Settings(ctx, h.K, f.Admin.TenantID)
		if err != nil || got.Invitation() != "回复 1 满意、2 一般、3 不满意" {
			t.Fatalf("settings read back: %+v %v", got, err)
		}
		if other, _ := h.Ratings.Settings(ctx, h.K, h.NewTenant(t).Admin.TenantID); len(other.Levels) != 5 {
			t.Fatalf("another tenant got this tenant's scale: %+v", other)
		}
	})
}

// A customer answers the invitation with a number: the rating is stored
// and they are thanked — no message, no new conversation; the platform's
// retry of that message changes nothing; a number with no invitation open
// is an ordinary message.
func TestNumberAnswersTheInvitation(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		first := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("m1", "alice")})[0]
		if first.Err != nil {
			t.Fatal(first.Err)
		}
		conv, err := h.Conversations.ByID(ctx, first.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.K.Write(ctx, func(tx *store.Tx) error { _, err := h.Ratings.Invite(ctx, tx, conv); return err }); err != nil {
			t.Fatal(err)
		}
		answer := f.Msg("m2", "alice")
		answer.Text = "2"
		r := h.Inbox.Ingest(ctx, []hub.Inbound{answer})[0]
		if r.Err != nil || !r.Rated || r.Duplicate || r.ConversationID != conv.ID || r.Routable() {
			t.Fatalf("the answer did %+v, want a rating of %s", r, conv.ID)
		}
		rating, err := h.Conversations.Rating(ctx, conv.ID)
		if err != nil || rating == nil || rating.Score != 4 {
			t.Fatalf("rating %+v %v, want 4 (满意)", rating, err)
		}
		ms, _ := h.Conversations.Messages(ctx, f.Admin, conv.ID, 0, 50)
		if len(ms) != 1 {
			t.Fatalf("the conversation holds %d messages, want only the first (the number is the rating)", len(ms))
		}
		if again := h.Inbox.Ingest(ctx, []hub.Inbound{answer})[0]; again.Err != nil || !again.Rated || !again.Duplicate {
			t.Fatalf("the retried answer did %+v, want a replay", again)
		}
		rows, err := h.Ratings.List(ctx, h.K, f.Admin.TenantID, ratings.Filter{})
		if err != nil || len(rows) != 1 || rows[0].Label != "满意" || rows[0].Bad || rows[0].ConversationID != conv.ID {
			t.Fatalf("list %+v %v", rows, err)
		}
		if other, _ := h.Ratings.List(ctx, h.K, h.NewTenant(t).Admin.TenantID, ratings.Filter{}); len(other) != 0 {
			t.Fatalf("another tenant lists %+v", other)
		}
		// Answered once: a later "1" is a message of the conversation.
		later := f.Msg("m3", "alice")
		later.Text = "1"
		if r := h.Inbox.Ingest(ctx, []hub.Inbound{later})[0]; r.Err != nil || r.Rated || r.MessageID == "" {
			t.Fatalf("a number with no invitation open did %+v, want a message", r)
		}
		if rating, _ := h.Conversations.Rating(ctx, conv.ID); rating.Score != 4 {
			t.Fatalf("the rating became %d", rating.Score)
		}
	})
}

// A customer ticks reasons of the level they pick: only that level's
// (400 for any other, also another level's), each once, in the list's
// order; they show on the conversation and filter the list, wildcards
// matching themselves; changing the rating within the window changes them.
// A number answering an invitation on a text channel is a rating with no
// reason, also for a level that has reasons.
func TestReasons(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		st := ratings.Default()
		st.ChangeMinutes = 30
		if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, st); err != nil {
			t.Fatal(err)
		}
		conv := func(id, contact string) *hub.Conversation {
			r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg(id, contact)})[0]
			c, err := h.Conversations.ByID(ctx, r.ConversationID)
			if r.Err != nil || err != nil {
				t.Fatal(r.Err, err)
			}
			return c
		}
		c := conv("m1", "alice")
		for _, bad := range []struct {
			score   int
			reasons []string
		}{{2, []string{"不存在"}}, {5, []string{"等待时间长"}}, {2, []string{"等待时间长", ""}}, {4, []string{"%"}}} {
			err := h.Conversations.Rate(ctx, f.Channel, "alice", c.ID, bad.score, "", bad.reasons)
			var ie *hub.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("score %d with %q: %v, want invalid", bad.score, bad.reasons, err)
			}
		}
		if r, _ := h.Conversations.Rating(ctx, c.ID); r != nil {
			t.Fatalf("a refused rating was stored: %+v", r)
		}
		if err := h.Conversations.Rate(ctx, f.Channel, "alice", c.ID, 2, "慢", []string{"服务态度差", "等待时间长", "服务态度差"}); err != nil {
			t.Fatal(err)
		}
		r, err := h.Conversations.Rating(ctx, c.ID)
		if err != nil || r == nil || r.Score != 2 || !slices.Equal(r.Reasons, []string{"等待时间长", "服务态度差"}) {
			t.Fatalf("rating %+v %v, want 2 with 等待时间长、服务态度差", r, err)
		}
		list := func(reason string) []ratings.Row {
			rows, err := h.Ratings.List(ctx, h.K, f.Admin.TenantID, ratings.Filter{Reason: reason})
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		if rows := list("服务态度差"); len(rows) != 1 || !slices.Equal(rows[0].Reasons, r.Reasons) {
			t.Fatalf("by 服务态度差: %+v", rows)
		}
		for _, none := range []string{"问题未解决", "%", "_", "等待"} {
			if rows := list(none); len(rows) != 0 {
				t.Fatalf("by %q: %+v, want none", none, rows)
			}
		}
		// Changed within the window: the new level's reasons replace the old.
		if err := h.Conversations.Rate(ctx, f.Channel, "alice", c.ID, 1, "", []string{"问题未解决"}); err != nil {
			t.Fatal(err)
		}
		if rows := list("问题未解决"); len(rows) != 1 || rows[0].Score != 1 || !slices.Equal(rows[0].Reasons, []string{"问题未解决"}) {
			t.Fatalf("changed rating: %+v", rows)
		}
		if rows := list("服务态度差"); len(rows) != 0 {
			t.Fatalf("the old reasons stayed: %+v", rows)
		}
		// On a text channel the number is the whole answer.
		b := conv("m2", "bob")
		if err := h.K.Write(ctx, func(tx *store.Tx) error { _, err := h.Ratings.Invite(ctx, tx, b); return err }); err != nil {
			t.Fatal(err)
		}
		answer := f.Msg("m3", "bob")
		answer.Text = "4" // 不满意, which has reasons
		if res := h.Inbox.Ingest(ctx, []hub.Inbound{answer})[0]; res.Err != nil || !res.Rated {
			t.Fatalf("the answer did %+v", res)
		}
		if r, _ := h.Conversations.Rating(ctx, b.ID); r == nil || r.Score != 2 || len(r.Reasons) != 0 {
			t.Fatalf("number rating %+v, want 2 with no reason", r)
		}
		if got, _ := h.Conversations.Get(ctx, f.Admin, c.ID); got.Rating == nil || !slices.Equal(got.Rating.Reasons, []string{"问题未解决"}) {
			t.Fatalf("the conversation shows %+v", got.Rating)
		}
	})
}
