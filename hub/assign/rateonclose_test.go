package assign_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/reports"
)

// A close says whether it offered the customer a rating (rating_offered,
// what the reports' 参评率 divides by): a web or app channel's form when
// its "rating" is on (shown with any close); on WeChat and the other
// platforms rated by text, the invitation sent when the channel invites on
// close and an agent had the conversation; never on an API channel (its
// integration decides) or a channel whose switch is off.
func TestCloseSaysWhetherARatingWasOffered(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		g := h.NewGroup(t, f.Admin.TenantID, "售后", identity.GroupPatch{})
		h.OnlineAgent(t, f.Admin.TenantID, 10, g.ID)
		mk := func(typ, cfg string) *hub.Channel {
			ch := &hub.Channel{TenantID: f.Admin.TenantID, Type: typ, Name: typ, Secret: "{}", Config: []byte(cfg)}
			if err := h.Channels.Create(ctx, ch); err != nil {
				t.Fatal(err)
			}
			return ch
		}
		wxOn := mk("wechat", `{"app_id":"wx1","rating":true}`)
		for i, c := range []struct {
			ch    *hub.Channel
			taken bool
			want  bool
		}{
			{mk("web", `{"rating":true}`), false, true}, // the form comes with any close
			{mk("web", `{"rating":false}`), true, false},
			{mk("app", `{"rating":true}`), true, true},
			{wxOn, true, true},
			{wxOn, false, false}, // nobody had it: no invitation
			{mk("wechat", `{"app_id":"wx2","rating":false}`), true, false},
			{f.Channel, true, false}, // API
		} {
			m := hub.Inbound{TenantID: f.Admin.TenantID, ChannelID: c.ch.ID, ExternalID: fmt.Sprint("m", i),
				Contact: hub.ContactInfo{ExternalID: fmt.Sprint("c", i), Name: "C"}, Type: "text", Text: "你好", Group: g.ID}
			r := h.Inbox.Ingest(ctx, []hub.Inbound{m})[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if c.taken {
				if _, err := h.Assign.Router.AfterIngest(ctx, f.Admin.TenantID, []assign.Stored{r.Stored()}); err != nil {
					t.Fatal(err)
				}
			}
			conv, err := h.Assign.Handoffs.Close(ctx, f.Admin, r.ConversationID, conversations.Closing{Reason: "done"})
			if err != nil {
				t.Fatal(err)
			}
			if (conv.AssigneeID != nil) != c.taken {
				t.Fatalf("case %d: assignee %v, want taken %v", i, conv.AssigneeID, c.taken)
			}
			var payloads []string
			const q = `SELECT payload FROM events WHERE tenant_id = ? AND conversation_id = ? AND type = ?`
			if err := h.K.Select(ctx, &payloads, q, f.Admin.TenantID, r.ConversationID, hub.EvConversationClosed); err != nil {
				t.Fatal(err)
			}
			var p struct {
				Offered *bool `json:"rating_offered"`
			}
			if len(payloads) != 1 || json.Unmarshal([]byte(payloads[0]), &p) != nil || p.Offered == nil || *p.Offered != c.want {
				t.Errorf("case %d (%s %s, taken %v): close events %v, want rating_offered %v", i, c.ch.Type, c.ch.Config,
					c.taken, payloads, c.want)
			}
		}
	})
}

// 参评率 divides by the conversations really offered a rating: a WeChat
// close with an agent sends the tenant's text invitation, but with the
// invitation text emptied nothing is sent, nothing is recorded as asked,
// and the close offers nothing — so a tenant whose only rating is on a web
// channel reads 1 rated of 1 offered (100 %), where the same history with
// the default text reads 1 of 2 (50 %).
func TestEmptyInvitationIsNotOffered(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		for _, c := range []struct {
			invite      string
			offered     int64
			rate        float64
			wechatSends int
		}{
			{"", 1, 1, 0},
			{"请评价：{levels}", 2, 0.5, 1},
		} {
			f := h.NewTenant(t)
			st := ratings.Default()
			st.InviteText = c.invite
			if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, st); err != nil {
				t.Fatal(err)
			}
			g := h.NewGroup(t, f.Admin.TenantID, "售后", identity.GroupPatch{})
			h.OnlineAgent(t, f.Admin.TenantID, 10, g.ID)
			var convs []string
			for i, ch := range []*hub.Channel{{Type: "wechat", Config: []byte(`{"app_id":"wx1","rating":true}`)},
				{Type: "web", Config: []byte(`{"rating":true}`)}} {
				ch.TenantID, ch.Name, ch.Secret = f.Admin.TenantID, ch.Type, "{}"
				if err := h.Channels.Create(ctx, ch); err != nil {
					t.Fatal(err)
				}
				m := hub.Inbound{TenantID: f.Admin.TenantID, ChannelID: ch.ID, ExternalID: fmt.Sprint("m", i),
					Contact: hub.ContactInfo{ExternalID: fmt.Sprint("c", i), Name: "C"}, Type: "text", Text: "你好", Group: g.ID}
				r := h.Inbox.Ingest(ctx, []hub.Inbound{m})[0]
				if r.Err != nil {
					t.Fatal(r.Err)
				}
				if _, err := h.Assign.Router.AfterIngest(ctx, f.Admin.TenantID, []assign.Stored{r.Stored()}); err != nil {
					t.Fatal(err)
				}
				if _, err := h.Assign.Handoffs.Close(ctx, f.Admin, r.ConversationID, conversations.Closing{Reason: "done"}); err != nil {
					t.Fatal(err)
				}
				if ch.Type == "web" {
					if err := h.Conversations.Rate(ctx, ch, "c1", r.ConversationID, 5, "", nil); err != nil {
						t.Fatal(err)
					}
				}
				convs = append(convs, r.ConversationID)
			}
			var sent, asked int
			if err := h.K.Get(ctx, &sent, `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND sender_type = ?`,
				convs[0], hub.SenderSystem); err != nil {
				t.Fatal(err)
			}
			if err := h.K.Get(ctx, &asked, `SELECT COUNT(*) FROM rating_invites WHERE conversation_id = ?`, convs[0]); err != nil {
				t.Fatal(err)
			}
			if sent != c.wechatSends || asked != c.wechatSends {
				t.Errorf("invitation %q: WeChat close sent %d invitations and recorded %d, want %d", c.invite, sent, asked,
					c.wechatSends)
			}
			r := reports.New(h.K, reports.Options{})
			if err := r.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			tot, err := r.Totals(ctx, f.Admin.TenantID, reports.Filter{From: now.Add(-24 * time.Hour).Truncate(time.Hour),
				To: now.Add(24 * time.Hour).Truncate(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			got := -1.0 // none
			if r := reports.Derive(tot).RatingResponseRate; r != nil {
				got = *r
			}
			if tot.Rated != 1 || tot.RatingInvited != c.offered || got != c.rate {
				t.Errorf("invitation %q: rated %d of %d offered (参评率 %v), want 1 of %d (%v)", c.invite, tot.Rated,
					tot.RatingInvited, got, c.offered, c.rate)
			}
		}
	})
}

// An agent's rating request on WeChat (rated by text) while the tenant's
// invitation text is empty is refused as a conflict with its reason, and
// leaves nothing: no rating_requested event (the reports' 参评率 would
// count it as offered), no invitation recorded, no message. A web
// conversation (its rating form) is asked as before, and WeChat is once
// the text is set.
func TestRatingRequestWithoutInvitationText(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		st := ratings.Default()
		st.InviteText = " "
		if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, st); err != nil {
			t.Fatal(err)
		}
		g := h.NewGroup(t, f.Admin.TenantID, "售后", identity.GroupPatch{})
		h.OnlineAgent(t, f.Admin.TenantID, 10, g.ID)
		open := func(typ, cfg string) string {
			ch := &hub.Channel{TenantID: f.Admin.TenantID, Type: typ, Name: typ, Secret: "{}", Config: []byte(cfg)}
			if err := h.Channels.Create(ctx, ch); err != nil {
				t.Fatal(err)
			}
			m := hub.Inbound{TenantID: f.Admin.TenantID, ChannelID: ch.ID, ExternalID: "m-" + typ,
				Contact: hub.ContactInfo{ExternalID: "c-" + typ, Name: "C"}, Type: "text", Text: "你好", Group: g.ID}
			r := h.Inbox.Ingest(ctx, []hub.Inbound{m})[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			return r.ConversationID
		}
		count := func(q, convID string, args ...any) int {
			var n int
			if err := h.K.Get(ctx, &n, q, append([]any{convID}, args...)...); err != nil {
				t.Fatal(err)
			}
			return n
		}
		left := func(convID string) [3]int {
			return [3]int{count(`SELECT COUNT(*) FROM events WHERE conversation_id = ? AND type = ?`, convID, hub.EvRatingRequested),
				count(`SELECT COUNT(*) FROM rating_invites WHERE conversation_id = ?`, convID),
				count(`SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND sender_type = ?`, convID, hub.SenderSystem)}
		}
		wx, web := open("wechat", `{"app_id":"wx1","rating":true}`), open("web", `{"rating":true}`)
		err := h.Conversations.RequestRating(ctx, f.Admin, wx)
		if !errors.Is(err, hub.ErrConflict) || !errors.Is(err, ratings.ErrInviteEmpty) {
			t.Fatalf("a WeChat request without an invitation text: %v, want ErrInviteEmpty (a conflict)", err)
		}
		if got := left(wx); got != [3]int{} {
			t.Errorf("the refused request left events, invitations, messages %v, want none", got)
		}
		if err := h.Conversations.RequestRating(ctx, f.Admin, web); err != nil {
			t.Fatalf("a web request: %v", err)
		}
		if got := left(web); got != [3]int{1, 0, 0} {
			t.Errorf("a web request left events, invitations, messages %v, want the event alone", got)
		}
		st.InviteText = "请评价：{levels}"
		if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, st); err != nil {
			t.Fatal(err)
		}
		if err := h.Conversations.RequestRating(ctx, f.Admin, wx); err != nil {
			t.Fatalf("a WeChat request with the text set: %v", err)
		}
		if got := left(wx); got != [3]int{1, 1, 1} {
			t.Errorf("a WeChat request left events, invitations, messages %v, want one each", got)
		}
	})
}
