package qa_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/qa"
)

// A rule picks the period's closed conversations by agent, rating,
// length and keywords; random N takes N of them; a conversation is never
// sampled twice; open ones and other periods are never picked.
func TestSamplingRules(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		noon := day.Add(12 * time.Hour)
		long := x.conv(t, x.a, noon, 6, 5)
		bad := x.conv(t, x.a, noon, 2, 1)
		refund := x.conv(t, x.b, noon, 3, 0, "我要退款", "好的")
		x.conv(t, x.a, time.Time{}, 4, 0)          // still open
		x.conv(t, x.b, day.AddDate(0, 0, 2), 4, 0) // another day
		rule := func(r qa.Rule) qa.Rule {
			r.TemplateID, r.From, r.To = x.tpl.ID, day, day.AddDate(0, 0, 1)
			return r
		}
		for _, c := range []struct {
			name string
			r    qa.Rule
			want []string
		}{
			{"agent", qa.Rule{AgentIDs: []string{x.a.ID}}, sorted(long, bad)},
			{"bad ratings", qa.Rule{MaxRating: 2}, sorted(bad)},
			{"min messages", qa.Rule{MinMessages: 3}, sorted(long, refund)},
			{"keyword", qa.Rule{Keywords: []string{"退款"}}, sorted(refund)},
			{"channel", qa.Rule{ChannelID: x.ten.Channel.ID, MaxRating: 5}, sorted(long, bad)},
		} {
			b, err := x.q.Sample(ctx, x.sup, rule(c.r))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := convIDs(t, x, b); !reflect.DeepEqual(got, c.want) || b.Size != len(c.want) {
				t.Errorf("%s: sampled %v (size %d), want %v", c.name, got, b.Size, c.want)
			}
			// undo, so each rule sees every conversation
			if _, err := h.K.Exec(ctx, `DELETE FROM qa_reviews WHERE batch_id = ?`, b.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := x.q.Sample(ctx, x.sup, rule(qa.Rule{ChannelID: "ch_other"})); !isInvalid(err) {
			t.Errorf("another channel: %v", err)
		}
		b, err := x.q.Sample(ctx, x.sup, rule(qa.Rule{Count: 2}))
		if err != nil || b.Size != 2 {
			t.Fatalf("random 2: %v size %v", err, b)
		}
		b2, err := x.q.Sample(ctx, x.sup, rule(qa.Rule{}))
		if err != nil || b2.Size != 1 {
			t.Fatalf("the rest: %v %+v", err, b2)
		}
		all := append(convIDs(t, x, b), convIDs(t, x, b2)...)
		if !reflect.DeepEqual(sorted(all...), sorted(long, bad, refund)) {
			t.Errorf("two batches took %v", all)
		}
		if _, err := x.q.Sample(ctx, x.sup, rule(qa.Rule{})); !isInvalid(err) {
			t.Errorf("nothing left: %v, want invalid", err)
		}
		if _, err := x.q.Sample(ctx, x.a, rule(qa.Rule{})); !is(err, hub.ErrForbidden) {
			t.Errorf("an agent sampled: %v", err)
		}
		if _, err := x.q.Sample(ctx, x.sup, qa.Rule{TemplateID: x.tpl.ID, From: day, To: day}); !isInvalid(err) {
			t.Errorf("empty period: %v", err)
		}
	})
}

// pending → scored → acknowledged, or → appealed → resolved (keep or
// adjust); every other step is a conflict; only the reviewed agent answers,
// only staff score and resolve; an agent sees only their own scored reviews.
func TestAppealStateMachine(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		noon := day.Add(12 * time.Hour)
		x.conv(t, x.a, noon, 4, 0)
		x.conv(t, x.a, noon, 4, 0)
		x.conv(t, x.b, noon, 4, 0)
		if _, err := x.q.Sample(ctx, x.sup, qa.Rule{TemplateID: x.tpl.ID, From: day, To: day.AddDate(0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
		mine, err := x.q.Reviews(ctx, x.a, qa.Filter{})
		if err != nil || len(mine) != 0 {
			t.Fatalf("pending reviews shown to the agent: %v %v", mine, err)
		}
		pending, _ := x.q.Reviews(ctx, x.sup, qa.Filter{Tab: "pending"})
		var ra, ra2, rb *qa.Review
		for i := range pending {
			switch r := &pending[i]; {
			case r.AgentID == x.b.ID:
				rb = r
			case ra == nil:
				ra = r
			default:
				ra2 = r
			}
		}
		if len(pending) != 3 || ra == nil || ra2 == nil || rb == nil {
			t.Fatalf("pending %d", len(pending))
		}
		if _, err := x.q.Acknowledge(ctx, x.a, ra.ID); !is(err, hub.ErrNotFound) {
			t.Errorf("acknowledged a pending review: %v", err)
		}
		if _, err := x.q.Submit(ctx, x.a, ra.ID, qa.Submission{}); !is(err, hub.ErrForbidden) {
			t.Errorf("an agent scored: %v", err)
		}
		got, err := x.q.Submit(ctx, x.sup, ra.ID, qa.Submission{Comment: "回答有误",
			Items: []qa.ItemScore{{ItemID: "i2", Deductions: []int{0}}}})
		if err != nil || *got.Score != 80 || got.Status != qa.StatusScored || *got.ReviewerID != x.sup.ID {
			t.Fatalf("submit: %v %+v", err, got)
		}
		if _, err := x.q.Submit(ctx, x.sup, ra2.ID, qa.Submission{Items: []qa.ItemScore{{ItemID: "i4", Failed: true}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.q.Submit(ctx, x.sup, rb.ID, qa.Submission{}); err != nil {
			t.Fatal(err)
		}
		// b sees only their own review; a cannot touch it
		if rs, _ := x.q.Reviews(ctx, x.b, qa.Filter{}); len(rs) != 1 || rs[0].ID != rb.ID {
			t.Errorf("b sees %v", rs)
		}
		if _, err := x.q.Review(ctx, x.a, rb.ID); !is(err, hub.ErrNotFound) {
			t.Errorf("a reads b's review: %v", err)
		}
		if _, err := x.q.Appeal(ctx, x.a, rb.ID, "不公平"); !is(err, hub.ErrNotFound) {
			t.Errorf("a appeals b's review: %v", err)
		}
		if _, err := x.q.Acknowledge(ctx, x.sup, rb.ID); !is(err, hub.ErrForbidden) {
			t.Errorf("a supervisor acknowledged for b: %v", err)
		}
		// a acknowledges one, appeals the fatal one
		if r, err := x.q.Acknowledge(ctx, x.a, ra.ID); err != nil || r.Status != qa.StatusAcknowledged {
			t.Fatalf("ack: %v %+v", err, r)
		}
		if _, err := x.q.Appeal(ctx, x.a, ra.ID, "再议"); !is(err, hub.ErrConflict) {
			t.Errorf("appealed an acknowledged review: %v", err)
		}
		if _, err := x.q.Appeal(ctx, x.a, ra2.ID, ""); !isInvalid(err) {
			t.Errorf("appeal without a reason: %v", err)
		}
		if r, err := x.q.Appeal(ctx, x.a, ra2.ID, "客户先骂人，我没有辱骂"); err != nil || r.Status != qa.StatusAppealed {
			t.Fatalf("appeal: %v %+v", err, r)
		}
		if rs, _ := x.q.Reviews(ctx, x.sup, qa.Filter{Tab: "appealed"}); len(rs) != 1 || rs[0].AppealReason != "客户先骂人，我没有辱骂" {
			t.Errorf("appealed tab %v", rs)
		}
		if _, err := x.q.Submit(ctx, x.sup, ra2.ID, qa.Submission{}); !is(err, hub.ErrConflict) {
			t.Errorf("rescored an appealed review: %v", err)
		}
		if _, err := x.q.Resolve(ctx, x.a, ra2.ID, qa.Resolution{}); !is(err, hub.ErrForbidden) {
			t.Errorf("the agent resolved their appeal: %v", err)
		}
		if _, err := x.q.Resolve(ctx, x.sup, ra2.ID, qa.Resolution{Score: ptr(101)}); !isInvalid(err) {
			t.Errorf("score above the full score: %v", err)
		}
		r, err := x.q.Resolve(ctx, x.sup, ra2.ID, qa.Resolution{Score: ptr(95), Note: "录音核实，改判"})
		if err != nil || *r.Score != 95 || r.Fatal || r.Status != qa.StatusResolved {
			t.Fatalf("resolve: %v %+v", err, r)
		}
		if _, err := x.q.Resolve(ctx, x.sup, ra2.ID, qa.Resolution{}); !is(err, hub.ErrConflict) {
			t.Errorf("resolved twice: %v", err)
		}
		// b's appeal is turned down: the score stays
		if _, err := x.q.Appeal(ctx, x.b, rb.ID, "满分也申诉"); err != nil {
			t.Fatal(err)
		}
		if r, err := x.q.Resolve(ctx, x.sup, rb.ID, qa.Resolution{Note: "维持"}); err != nil || *r.Score != 100 ||
			r.Resolution != "维持" || r.Status != qa.StatusResolved {
			t.Fatalf("keep: %v %+v", err, r)
		}
		// a's scores: 80 and 95 after the appeal; b's 100
		sc, err := x.q.AgentScores(ctx, x.admin.TenantID, day, time.Now().Add(time.Hour))
		if err != nil || sc[x.a.ID].Reviews != 2 || *sc[x.a.ID].Avg != 87.5 || *sc[x.b.ID].Avg != 100 {
			t.Errorf("agent scores %v %+v", err, sc)
		}
	})
}

// Another tenant's admin finds none of the tenant's templates, reviews,
// batches, words or alerts, and changes none.
func TestTenantIsolation(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		x.conv(t, x.a, day.Add(time.Hour), 2, 0)
		if _, err := x.q.Sample(ctx, x.sup, qa.Rule{TemplateID: x.tpl.ID, From: day, To: day.AddDate(0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
		rs, _ := x.q.Reviews(ctx, x.sup, qa.Filter{})
		o := x.outsider
		if _, err := x.q.Template(ctx, o.TenantID, x.tpl.ID); !is(err, hub.ErrNotFound) {
			t.Errorf("template: %v", err)
		}
		if _, err := x.q.UpdateTemplate(ctx, o, x.tpl.ID, serviceTemplate()); !is(err, hub.ErrNotFound) {
			t.Errorf("update template: %v", err)
		}
		if err := x.q.DeleteTemplate(ctx, o, x.tpl.ID); !is(err, hub.ErrNotFound) {
			t.Errorf("delete template: %v", err)
		}
		if _, err := x.q.Review(ctx, o, rs[0].ID); !is(err, hub.ErrNotFound) {
			t.Errorf("review: %v", err)
		}
		if _, err := x.q.Submit(ctx, o, rs[0].ID, qa.Submission{}); !is(err, hub.ErrNotFound) {
			t.Errorf("submit: %v", err)
		}
		if _, err := x.q.Sample(ctx, o, qa.Rule{TemplateID: x.tpl.ID, From: day, To: day.AddDate(0, 0, 1)}); !isInvalid(err) {
			t.Errorf("sample with a foreign template: %v", err)
		}
		for _, list := range []func() (int, error){
			func() (int, error) { l, err := x.q.Templates(ctx, o); return len(l), err },
			func() (int, error) { l, err := x.q.Reviews(ctx, o, qa.Filter{}); return len(l), err },
			func() (int, error) { l, err := x.q.Batches(ctx, o); return len(l), err },
		} {
			if n, err := list(); err != nil || n != 0 {
				t.Errorf("outsider lists %d (%v)", n, err)
			}
		}
	})
}

// An agent's message with a listed word is sent all the same and leaves
// an alert and a qa.sensitive_word event for supervisors (not for agents);
// the customer's own words raise nothing.
func TestSensitiveWords(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		x := setup(t, h)
		if _, err := x.q.SetWords(ctx, x.sup, []string{"x"}); !is(err, hub.ErrForbidden) {
			t.Errorf("a supervisor changed the list: %v", err)
		}
		words, err := x.q.SetWords(ctx, x.admin, []string{" 滚 ", "Stupid", "滚", ""})
		if err != nil || !reflect.DeepEqual(words, []string{"stupid", "滚"}) {
			t.Fatalf("set words: %v %v", words, err)
		}
		convs := conversations.New(h.K, h.Channels, h.Contacts, h.Automations, conversations.Options{Watch: x.q.Watch})
		id := x.conv(t, x.a, time.Time{}, 1, 0, "你们太 stupid 了") // the customer's words raise nothing
		m, err := convs.SendReply(ctx, x.a, id, conversations.Text("您别 STUPID 了，请滚"))
		if err != nil || m.Status != hub.MessagePending {
			t.Fatalf("the message was not sent: %v %+v", err, m)
		}
		if _, err := convs.SendReply(ctx, x.a, id, conversations.Text("好的，马上处理")); err != nil {
			t.Fatal(err)
		}
		al, err := x.q.Alerts(ctx, x.sup, 0)
		if err != nil || len(al) != 1 || !reflect.DeepEqual([]string(al[0].Words), []string{"stupid", "滚"}) ||
			al[0].AgentID != x.a.ID || al[0].MessageID != m.ID {
			t.Fatalf("alerts %v %+v", err, al)
		}
		if _, err := x.q.Alerts(ctx, x.a, 0); !is(err, hub.ErrForbidden) {
			t.Errorf("an agent lists alerts: %v", err)
		}
		var evs []hub.Event
		if err := h.K.Select(ctx, &evs, `SELECT tenant_id, id, type, conversation_id, agent_id, payload, created_at FROM events
			WHERE tenant_id = ? AND type = ?`, x.admin.TenantID, hub.EvSensitiveWord); err != nil || len(evs) != 1 {
			t.Fatalf("events %v %v", err, evs)
		}
		if !evs[0].VisibleTo(x.sup) || evs[0].VisibleTo(x.a) || evs[0].VisibleTo(x.outsider) {
			t.Errorf("the alert event reaches the wrong people")
		}
		if got := qa.Match([]string{"滚"}, "翻滚吧"); len(got) != 1 {
			t.Errorf("match %v", got)
		}
	})
}
