package visitors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/web/visitors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// clock is the kernel's clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// announced records the ephemeral events the store announces.
type announced struct {
	mu  sync.Mutex
	evs []hub.Event
}

func (a *announced) Events(evs []hub.Event) {
	a.mu.Lock()
	a.evs = append(a.evs, evs...)
	a.mu.Unlock()
}

func (a *announced) Deliveries([]string) {}

func (a *announced) last(typ hub.EventType) map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.evs) - 1; i >= 0; i-- {
		if a.evs[i].Type == typ {
			var p map[string]any
			json.Unmarshal(a.evs[i].Payload, &p)
			return p
		}
	}
	return nil
}

// customers is the hub as the visitor store asks it: who has an active
// conversation (by channel and contact external id).
type customers struct {
	connectors.Customers // only Active is asked
	active               map[string]hub.Conversation
}

func (c *customers) Active(_ context.Context, channelID string, exts []string) (map[string]hub.Conversation, error) {
	out := map[string]hub.Conversation{}
	for _, e := range exts {
		if conv, ok := c.active[channelID+"/"+e]; ok {
			out[e] = conv
		}
	}
	return out, nil
}

type vfx struct {
	s    *visitors.Store
	h    *hubtest.Hub
	clk  *clock
	pub  *announced
	cust *customers
	f    hubtest.Tenant
}

func eachVisitors(t *testing.T, fn func(t *testing.T, x *vfx)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			x := &vfx{clk: &clock{now: time.Now().UTC().Truncate(time.Second)}, pub: &announced{},
				cust: &customers{active: map[string]hub.Conversation{}}}
			k := storetest.Open(t, name, store.Options{Now: x.clk.Now, Publisher: x.pub}).Store
			x.s = visitors.New(k, x.cust, func(ip string) string {
				if ip == "1.2.3.4" {
					return "上海"
				}
				return ""
			})
			t.Cleanup(x.s.Stop) // no announcement rounds on a closed store
			x.h = hubtest.Build(k)
			x.f = x.h.NewTenant(t)
			fn(t, x)
		})
	}
}

// arrive connects a visitor's socket on the fixture's channel.
func (x *vfx) arrive(t *testing.T, a visitors.Arrival) *visitors.Visitor {
	t.Helper()
	if a.TenantID == "" {
		a.TenantID, a.ChannelID = x.f.Admin.TenantID, x.f.Channel.ID
	}
	if a.ContactExternalID == "" {
		a.ContactExternalID = "c-" + a.ID
	}
	v, err := x.s.Arrived(context.Background(), &a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (x *vfx) get(t *testing.T, id string) *visitors.Visitor {
	t.Helper()
	v, err := x.s.WithTrail(context.Background(), x.f.Admin, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func trail(v *visitors.Visitor) string {
	var us []string
	for _, p := range v.Pages {
		us = append(us, strings.TrimPrefix(p.URL, "https://shop.test"))
	}
	return fmt.Sprint(us)
}

// A visitor's arrivals within 30 minutes are one visit that keeps where it
// came from; a return after longer is a new visit; the page trail records
// each new page once, newest first.
func TestVisitorVisits(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		ctx := context.Background()
		baidu := "https://www.baidu.com/s?wd=%E5%AE%A2%E6%9C%8D"
		v := x.arrive(t, visitors.Arrival{ID: "v1", IP: "1.2.3.4", PageURL: "https://shop.test/a", PageTitle: "A",
			Referrer: baidu, Engine: "baidu", Keyword: "客服", Name: strings.Repeat("名", 1500)})
		if v.Visits != 1 || v.Region != "上海" || !v.Online || v.State != visitors.VisitorBrowsing || v.Keyword != "客服" ||
			utf8.RuneCountInString(v.Name) != 1000 {
			t.Fatalf("first arrival: %+v", v)
		}
		if err := x.s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if p := x.pub.last(hub.EvVisitorUpdated); p == nil || dig(p, "visitor", "keyword") != "客服" {
			t.Fatalf("the arrival was not announced to the agents: %v", p)
		}
		steps := []struct {
			name      string
			advance   time.Duration
			page, ref string
			visits    int
			referrer  string
			trail     string
		}{
			{"next page, internal referrer", 5 * time.Minute, "/b", "https://shop.test/a", 1, baidu, "[/b /a]"},
			{"same page again", time.Minute, "/b", "", 1, baidu, "[/b /a]"},
			{"from another site", time.Minute, "/c", "https://www.google.com/", 1, "https://www.google.com/", "[/c /b /a]"},
			{"back after 31 minutes", 31 * time.Minute, "/c", "", 2, "", "[/c /c /b /a]"},
		}
		entered := v.EnteredAt
		for _, st := range steps {
			x.clk.Add(st.advance)
			x.arrive(t, visitors.Arrival{ID: "v1", PageURL: "https://shop.test" + st.page, Referrer: st.ref})
			got := x.get(t, "v1")
			if got.Visits != st.visits || got.Referrer != st.referrer || trail(got) != st.trail {
				t.Fatalf("%s: visits %d, referrer %q, trail %s; want %d, %q, %s", st.name, got.Visits, got.Referrer, trail(got),
					st.visits, st.referrer, st.trail)
			}
			if st.visits == 1 && (!got.EnteredAt.Equal(entered) || got.DwellSeconds != int64(x.clk.Now().Sub(entered)/time.Second)) {
				t.Fatalf("%s: entered %v, dwell %ds; the visit began %v", st.name, got.EnteredAt, got.DwellSeconds, entered)
			}
			if st.visits == 2 && (!got.EnteredAt.Equal(x.clk.Now()) || got.DwellSeconds != 0 || !got.FirstSeenAt.Equal(entered)) {
				t.Fatalf("%s: a new visit entered %v (dwell %d), first seen %v", st.name, got.EnteredAt, got.DwellSeconds, got.FirstSeenAt)
			}
		}
		for _, p := range []string{"/d", "/d"} { // a single-page site navigates
			x.clk.Add(time.Second)
			if err := x.s.Page(ctx, x.f.Admin.TenantID, "v1", "https://shop.test"+p, "D"); err != nil {
				t.Fatal(err)
			}
		}
		if got := x.get(t, "v1"); trail(got) != "[/d /c /c /b /a]" || got.PageTitle != "D" {
			t.Fatalf("after navigating: trail %s, title %q", trail(got), got.PageTitle)
		}
		other := x.h.NewTenant(t)
		if _, err := x.s.Arrived(ctx, &visitors.Arrival{ID: "v1", TenantID: other.Admin.TenantID, ChannelID: other.Channel.ID}); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("the same visitor id on another tenant's channel: %v", err)
		}
		if _, err := x.s.WithTrail(ctx, other.Admin, "v1"); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant reads the visitor: %v", err)
		}
	})
}

// An invite shows while it is fresh and unanswered; a visitor who left
// cannot be invited; the heartbeat brings them back.
func TestVisitorInvite(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		x.arrive(t, visitors.Arrival{ID: "v1", PageURL: "https://shop.test/a"})
		state := func(what, want string) *visitors.Visitor {
			t.Helper()
			v := x.get(t, "v1")
			if v.State != want {
				t.Fatalf("%s: state %s, want %s", what, v.State, want)
			}
			return v
		}
		inv, err := x.s.Invite(ctx, x.f.Admin, "v1", "需要帮助吗？")
		if err != nil {
			t.Fatal(err)
		}
		if p := x.pub.last(hub.EvVisitorInvite); p == nil || p["invite_id"] != inv || p["text"] != "需要帮助吗？" {
			t.Fatalf("invite announced as %v", p)
		}
		if v := state("invited", visitors.VisitorInvited); v.Invites != 1 {
			t.Fatalf("invites %d", v.Invites)
		}
		x.clk.Add(11 * time.Minute)
		x.s.Seen(ctx, []string{"v1"})
		state("an unanswered invite after 11 minutes", visitors.VisitorBrowsing)
		x.s.Invite(ctx, x.f.Admin, "v1", "")
		state("invited again", visitors.VisitorInvited)
		if err := x.s.InviteReply(ctx, tid, "v1", false); err != nil {
			t.Fatal(err)
		}
		if v := state("declined", visitors.VisitorBrowsing); v.DeclinedAt == nil || v.Invites != 2 {
			t.Fatalf("declined: %+v", v)
		}
		x.s.Invite(ctx, x.f.Admin, "v1", "")
		x.s.InviteReply(ctx, tid, "v1", true)
		if v := state("accepted", visitors.VisitorBrowsing); !v.DeclinedAt.Equal(x.clk.Now()) || v.Invites != 3 {
			t.Fatalf("accepted: declined at %v, invites %d", v.DeclinedAt, v.Invites)
		}
		if err := x.s.Left(ctx, tid, "v1"); err != nil {
			t.Fatal(err)
		}
		if v := x.get(t, "v1"); v.Online {
			t.Fatal("online after leaving")
		}
		if _, err := x.s.Invite(ctx, x.f.Admin, "v1", ""); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("invite after leaving: %v", err)
		}
		x.s.Seen(ctx, []string{"v1"})
		if v := x.get(t, "v1"); !v.Online {
			t.Fatal("a heartbeat did not bring the visitor back")
		}
		if _, err := x.s.Invite(ctx, x.h.NewTenant(t).Admin, "v1", ""); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant invites: %v", err)
		}
	})
}

// The state follows the visitor's conversation: chatting while it is
// active, leaving a message while a ticket holds it, over any invite.
func TestVisitorStates(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		ch := x.f.Channel.ID
		x.cust.active[ch+"/c-chat"] = hub.Conversation{ID: "cv_1", Status: hub.ConvOpen}
		x.cust.active[ch+"/c-wait"] = hub.Conversation{ID: "cv_2", Status: hub.ConvQueued}
		x.cust.active[ch+"/c-leave"] = hub.Conversation{ID: "cv_3", Status: hub.ConvOffline}
		x.cust.active["ch_other/c-browse"] = hub.Conversation{ID: "cv_4", Status: hub.ConvOpen}
		for _, c := range []struct{ contact, state, conv string }{
			{"c-chat", visitors.VisitorChatting, "cv_1"},
			{"c-wait", visitors.VisitorChatting, "cv_2"},
			{"c-leave", visitors.VisitorLeaving, "cv_3"},
			{"c-browse", visitors.VisitorBrowsing, ""},
		} {
			x.arrive(t, visitors.Arrival{ID: "v-" + c.contact, ContactExternalID: c.contact})
			x.s.Invite(context.Background(), x.f.Admin, "v-"+c.contact, "")
			v := x.get(t, "v-"+c.contact)
			want := c.state
			if want == visitors.VisitorBrowsing {
				want = visitors.VisitorInvited
			}
			if v.State != want || (c.conv != "" && (v.ConversationID == nil || *v.ConversationID != c.conv)) ||
				(c.conv == "" && v.ConversationID != nil) {
				t.Errorf("%s: state %s, conversation %v; want %s, %q", c.contact, v.State, v.ConversationID, want, c.conv)
			}
		}
	})
}

// The list shows the visitors on the site now (a fresh heartbeat and no
// goodbye), or everyone seen in the last 7 days, most recent first.
func TestVisitorList(t *testing.T) {
	eachVisitors(t, func(t *testing.T, x *vfx) {
		ctx := context.Background()
		web := &hub.Channel{TenantID: x.f.Admin.TenantID, Type: "web", Name: "web"}
		if err := x.h.Channels.Create(ctx, web); err != nil {
			t.Fatal(err)
		}
		other := x.h.NewTenant(t)
		x.arrive(t, visitors.Arrival{ID: "old"})
		x.clk.Add(8 * 24 * time.Hour)
		x.arrive(t, visitors.Arrival{ID: "stale"})
		x.clk.Add(2 * time.Minute)
		x.arrive(t, visitors.Arrival{ID: "gone"})
		x.s.Left(ctx, x.f.Admin.TenantID, "gone")
		x.clk.Add(time.Second)
		x.arrive(t, visitors.Arrival{ID: "here"})
		x.clk.Add(time.Second)
		x.arrive(t, visitors.Arrival{ID: "web", ChannelID: web.ID, TenantID: web.TenantID})
		x.arrive(t, visitors.Arrival{ID: "theirs", TenantID: other.Admin.TenantID, ChannelID: other.Channel.ID})
		ids := func(a *hub.Agent, f visitors.Filter) string {
			t.Helper()
			vs, err := x.s.List(ctx, a, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range vs {
				out = append(out, fmt.Sprintf("%s:%v", v.ID, v.Online))
			}
			return fmt.Sprint(out)
		}
		for _, c := range []struct {
			f    visitors.Filter
			want string
		}{
			{visitors.Filter{Online: true}, "[web:true here:true]"},
			{visitors.Filter{Online: true, ChannelID: x.f.Channel.ID}, "[here:true]"},
			{visitors.Filter{}, "[web:true here:true gone:false stale:false]"},
			{visitors.Filter{Limit: 1}, "[web:true]"},
		} {
			if got := ids(x.f.Admin, c.f); got != c.want {
				t.Errorf("List(%+v) = %s, want %s", c.f, got, c.want)
			}
		}
		if got := ids(other.Admin, visitors.Filter{}); got != "[theirs:true]" {
			t.Errorf("another tenant lists %s", got)
		}
		x.clk.Add(time.Second)
		x.s.Seen(ctx, []string{"stale", "gone"})
		if got := ids(x.f.Admin, visitors.Filter{Online: true}); got != "[stale:true gone:true web:true here:true]" &&
			got != "[gone:true stale:true web:true here:true]" {
			t.Errorf("after a heartbeat: %s", got)
		}
	})
}
