package reports_test

import (
	"context"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// On 2026-12-05 (local) nobody is online: l1, from a Google search, and
// l2, typed in directly, become leave-messages (tickets); l3, from Baidu,
// is taken and answered; l4 becomes a ticket but came from no web visitor.
var leaveHistory = []step{
	{"2026-12-05 02:00:00", hub.EvConversationCreated, "l1", "", visitor(map[string]any{"engine": "google",
		"keyword": "客服系统", "referrer": "https://www.google.com/search?q=x", "page": "https://shop.example.com/contact?from=ad",
		"region": "上海", "device": "mobile"})},
	{"2026-12-05 02:00:00", hub.EvMessageCreated, "l1", "", in()},
	{"2026-12-05 02:00:05", hub.EvConversationOffline, "l1", "", map[string]any{"ticket_id": "tk_l1"}},
	{"2026-12-05 03:00:00", hub.EvConversationCreated, "l2", "", visitor(map[string]any{
		"page": "https://shop.example.com/contact", "region": "北京", "device": "desktop"})},
	{"2026-12-05 03:00:00", hub.EvMessageCreated, "l2", "", in()},
	{"2026-12-05 03:00:05", hub.EvConversationOffline, "l2", "", map[string]any{"ticket_id": "tk_l2"}},
	{"2026-12-05 04:00:00", hub.EvConversationCreated, "l3", "", visitor(map[string]any{"engine": "baidu",
		"keyword": "价格", "referrer": "https://www.baidu.com/s", "page": "https://shop.example.com/pricing",
		"device": "desktop"})},
	{"2026-12-05 04:00:00", hub.EvMessageCreated, "l3", "", in()},
	{"2026-12-05 04:00:00", hub.EvConversationQueued, "l3", "", nil},
	{"2026-12-05 04:00:20", hub.EvConversationAssigned, "l3", "a1", nil},
	{"2026-12-05 04:01:00", hub.EvMessageCreated, "l3", "a1", msg("out", "agent", "a1")},
	{"2026-12-05 05:00:00", hub.EvConversationCreated, "l4", "", nil},
	{"2026-12-05 05:00:00", hub.EvMessageCreated, "l4", "", in()},
	{"2026-12-05 05:00:05", hub.EvConversationOffline, "l4", "", map[string]any{"ticket_id": "tk_l4"}},
}

func init() {
	for i, id := range []string{"l1", "l2", "l3", "l4"} {
		convs[id] = conv{"chW", "", leaveHistory[[]int{0, 3, 6, 11}[i]].at}
	}
}

// Leave-messages by where their visitors came from: only the two web
// visitors' conversations that became tickets, by each origin; the
// conversations by origin still count all three web openings.
func TestLeaveMessagesByOrigin(t *testing.T) {
	each(t, func(t *testing.T, d storetest.Dialect, clk *clock) {
		emit(t, d.Store, clk, leaveHistory)
		r := reports.New(d.Store, reports.Options{})
		catchUp(t, r)
		ctx := context.Background()
		f := period(t, "2026-12-05", "2026-12-05").Filter(reports.Filter{})
		want := map[reports.Origin][]reports.OriginCount{
			reports.BySource:   {{Key: "direct", Conversations: 1}, {Key: "google", Conversations: 1}},
			reports.ByKeyword:  {{Key: "", Conversations: 1}, {Key: "客服系统", Conversations: 1}},
			reports.ByReferrer: {{Key: "", Conversations: 1}, {Key: "google.com", Conversations: 1}},
			reports.ByLanding:  {{Key: "https://shop.example.com/contact", Conversations: 2}},
			reports.ByRegion:   {{Key: "上海", Conversations: 1}, {Key: "北京", Conversations: 1}},
			reports.ByDevice:   {{Key: "desktop", Conversations: 1}, {Key: "mobile", Conversations: 1}},
		}
		for o, w := range want {
			got, err := r.ByOrigin(ctx, tenant, f, reports.LeaveMessages(o))
			if err != nil {
				t.Fatal(err)
			}
			if diff := diff(w, got); diff != "" {
				t.Errorf("leave-messages by %s (want, got):\n%s", o, diff)
			}
		}
		opened, err := r.ByOrigin(ctx, tenant, f, reports.BySource)
		if err != nil {
			t.Fatal(err)
		}
		wantOpened := []reports.OriginCount{{Key: "baidu", Conversations: 1}, {Key: "direct", Conversations: 1},
			{Key: "google", Conversations: 1}}
		if diff := diff(wantOpened, opened); diff != "" {
			t.Errorf("conversations by source (want, got):\n%s", diff)
		}
		// the day before: none
		if got, err := r.ByOrigin(ctx, tenant, period(t, "2026-12-04", "2026-12-04").Filter(reports.Filter{}),
			reports.LeaveMessages(reports.BySource)); err != nil || len(got) != 0 {
			t.Errorf("12-04: %v %v", got, err)
		}
		if c := totals(t, r, "2026-12-05", "2026-12-05", reports.Filter{}); c.Tickets != 3 {
			t.Errorf("tickets %d, want 3 (l4 too, without a visitor)", c.Tickets)
		}
	})
}
