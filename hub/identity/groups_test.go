package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Groups hold members of their own tenant, validate their settings and
// overflow only to another group of the tenant; Resolve takes ids or names.
func TestGroups(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		tid := f.Admin.TenantID
		a := newAgent(t, h, tid, identity.NewAgent{})
		b := newAgent(t, h, tid, identity.NewAgent{})
		other := h.NewTenant(t)
		pre, err := h.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: ptr(" 售前 "), AgentIDs: &[]string{a.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if pre.Name != "售前" || pre.Settings.Policy != routing.Load || !pre.Settings.ReturningFirst {
			t.Fatalf("new group: %+v", pre)
		}
		post, err := h.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: ptr("售后"), OverflowGroupID: ptr("售前")})
		if err != nil || post.Settings.OverflowGroupID != pre.ID {
			t.Fatalf("overflow named by name: %+v, %v; want the group's id", post, err)
		}
		for _, c := range []struct {
			name string
			p    identity.GroupPatch
			ok   func(error) bool
		}{
			{"duplicate name", identity.GroupPatch{Name: ptr("售前")}, func(err error) bool { return errors.Is(err, hub.ErrConflict) }},
			{"no name", identity.GroupPatch{Name: ptr(" ")}, isInvalid},
			{"another tenant's agent", identity.GroupPatch{Name: ptr("x1"), AgentIDs: &[]string{other.Admin.ID}}, isInvalid},
			{"unknown overflow", identity.GroupPatch{Name: ptr("x2"), OverflowGroupID: ptr("nope")}, isInvalid},
			{"bad policy", identity.GroupPatch{Name: ptr("x3"), Policy: ptr(routing.Policy("random"))}, isInvalid},
			{"negative queue", identity.GroupPatch{Name: ptr("x4"), MaxQueue: ptr(-1)}, isInvalid},
			{"bad hours", identity.GroupPatch{Name: ptr("x5"), Hours: &routing.Hours{Weekly: []routing.Window{{Days: []string{"mon"}, From: "9", To: "18:00"}}}}, isInvalid},
		} {
			if _, err := h.Identity.Groups.Create(ctx, tid, c.p); !c.ok(err) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if _, err := h.Identity.Groups.Update(ctx, tid, post.ID, identity.GroupPatch{Name: ptr(" 售前 ")}); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("renamed to an existing group's name: %v, want ErrConflict", err)
		}
		if g, _ := h.Identity.Groups.Get(ctx, tid, post.ID); g.Name != "售后" {
			t.Errorf("a refused rename changed the name to %q", g.Name)
		}
		if _, err := h.Identity.Groups.Update(ctx, tid, pre.ID, identity.GroupPatch{OverflowGroupID: ptr(pre.ID)}); !isInvalid(err) {
			t.Errorf("overflow to itself: %v", err)
		}
		g, err := h.Identity.Groups.Update(ctx, tid, pre.ID, identity.GroupPatch{AgentIDs: &[]string{b.ID}, MaxQueue: ptr(3)})
		if err != nil || len(g.AgentIDs) != 1 || g.AgentIDs[0] != b.ID || g.Settings.MaxQueue != 3 {
			t.Fatalf("members replaced: %+v, %v", g, err)
		}
		if ga, _ := h.Identity.Agents.Get(ctx, tid, a.ID); len(ga.Groups) != 0 {
			t.Fatalf("a removed member still lists the group: %v", ga.Groups)
		}
		if _, err := h.Identity.Groups.Update(ctx, other.Admin.TenantID, pre.ID, identity.GroupPatch{Name: ptr("x")}); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant updates the group: %v", err)
		}
		for _, c := range []struct {
			tenant, group string
			want          string
		}{{tid, pre.ID, pre.ID}, {tid, "售后", post.ID}, {tid, "nope", ""}, {tid, "", ""}, {other.Admin.TenantID, "售前", ""}} {
			id, err := identity.Resolve(ctx, h.K, c.tenant, c.group)
			if err != nil || (id == nil) != (c.want == "") || (id != nil && *id != c.want) {
				t.Errorf("Resolve(%q) = %v, %v; want %q", c.group, id, err, c.want)
			}
		}
	})
}

// Seats are claimed only within max_chats, only in the state asked for,
// never twice the same seat under concurrency, and never released below 0.
func TestSeats(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		tid := f.Admin.TenantID
		a := newAgent(t, h, tid, identity.NewAgent{MaxChats: 3})
		claim := func(cond string) error {
			return h.K.Write(ctx, func(tx *store.Tx) error { return identity.ClaimSeat(ctx, tx, tid, a.ID, cond) })
		}
		if err := claim(identity.Present); !errors.Is(err, identity.ErrNoSeat) {
			t.Fatalf("claim of an offline agent: %v", err)
		}
		h.Identity.Agents.SetStatus(ctx, a, hub.StatusBusy)
		if err := claim(identity.Routed); !errors.Is(err, identity.ErrNoSeat) {
			t.Fatalf("routing to a busy agent: %v", err)
		}
		if err := claim(identity.Present); err != nil {
			t.Fatalf("pick-up by a busy agent: %v", err)
		}
		h.Identity.Agents.SetStatus(ctx, a, hub.StatusOnline)
		var won atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := claim(identity.Routed)
				if err == nil {
					won.Add(1)
				} else if !errors.Is(err, identity.ErrNoSeat) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, _ := h.Identity.Agents.Get(ctx, tid, a.ID)
		if won.Load() != 2 || got.CurrentChats != 3 || got.LastAssignedAt == nil {
			t.Fatalf("%d concurrent claims won, current_chats %d: want 2 more seats, 3 of 3", won.Load(), got.CurrentChats)
		}
		for range 5 {
			h.K.Write(ctx, func(tx *store.Tx) error { return identity.ReleaseSeat(ctx, tx, a.ID) })
		}
		if got, _ := h.Identity.Agents.Get(ctx, tid, a.ID); got.CurrentChats != 0 {
			t.Fatalf("current_chats %d after releasing more seats than held, want 0", got.CurrentChats)
		}
		h.Identity.Agents.Update(ctx, tid, a.ID, identity.Patch{Disabled: ptr(true)}, nil)
		if err := claim(identity.Present); !errors.Is(err, identity.ErrNoSeat) {
			t.Fatalf("claim of a disabled agent: %v", err)
		}
	})
}

// Someone can answer a channel when an online agent of its default group is
// within the group's hours, or of the group it overflows to.
func TestAvailable(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		tid := f.Admin.TenantID
		allDay := []routing.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, From: "00:00", To: "24:00"}}
		closed := &routing.Hours{Timezone: "UTC", Weekly: allDay, Holidays: []string{clk.Now().Format("2006-01-02")}}
		a := newAgent(t, h, tid, identity.NewAgent{})
		b := newAgent(t, h, tid, identity.NewAgent{})
		night, err := h.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: ptr("night"), AgentIDs: &[]string{b.ID}})
		if err != nil {
			t.Fatal(err)
		}
		day, err := h.Identity.Groups.Create(ctx, tid, identity.GroupPatch{Name: ptr("day"), AgentIDs: &[]string{a.ID},
			Hours: closed, OverflowGroupID: &night.ID})
		if err != nil {
			t.Fatal(err)
		}
		ch := &hub.Channel{TenantID: tid, Type: "api", Name: "grouped", DefaultGroupID: &day.ID}
		if err := h.Channels.Create(ctx, ch); err != nil {
			t.Fatal(err)
		}
		check := func(what string, c *hub.Channel, want bool) {
			t.Helper()
			if got, err := h.Identity.Groups.Available(ctx, c, "UTC"); err != nil || got != want {
				t.Fatalf("%s: available %v (%v), want %v", what, got, err, want)
			}
		}
		check("nobody online", f.Channel, false)
		check("nobody online, grouped", ch, false)
		h.Identity.Agents.SetStatus(ctx, a, hub.StatusOnline)
		check("an online agent, no default group", f.Channel, true)
		check("the default group is outside its hours", ch, false)
		h.Identity.Agents.SetStatus(ctx, b, hub.StatusBusy)
		check("the overflow group's agent is busy", ch, false)
		h.Identity.Agents.SetStatus(ctx, b, hub.StatusOnline)
		check("the overflow group's agent is online", ch, true)
		h.Identity.Groups.Update(ctx, tid, day.ID, identity.GroupPatch{Hours: &routing.Hours{Timezone: "UTC", Weekly: allDay}})
		h.Identity.Agents.SetStatus(ctx, b, hub.StatusOffline)
		check("the default group is within its hours", ch, true)
	})
}

// Status changes are events admins replay; disabling an agent signs them
// off (offline, no seats) with the same event.
func TestAgentStatusEvents(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{})
		if err := h.Identity.Agents.SetStatus(ctx, a, "away"); !isInvalid(err) {
			t.Fatalf("unknown status: %v", err)
		}
		h.Identity.Agents.SetStatus(ctx, a, hub.StatusOnline)
		h.K.Write(ctx, func(tx *store.Tx) error { return identity.ClaimSeat(ctx, tx, a.TenantID, a.ID, identity.Routed) })
		h.Identity.Agents.SetStatus(ctx, a, hub.StatusBusy)
		got, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, a.ID, identity.Patch{Disabled: ptr(true)}, nil)
		if err != nil || got.Status != hub.StatusOffline || got.CurrentChats != 0 {
			t.Fatalf("disabled agent: %+v, %v; want offline without seats", got, err)
		}
		evs, err := h.K.EventsAfter(ctx, f.Admin, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, e := range evs {
			var p struct {
				AgentID string `json:"agent_id"`
				Status  string `json:"status"`
			}
			if e.Type == hub.EvAgentStatus && json.Unmarshal(e.Payload, &p) == nil && p.AgentID == a.ID {
				seen = append(seen, p.Status)
			}
		}
		if fmt.Sprint(seen) != "[online busy offline]" {
			t.Fatalf("status events %v, want [online busy offline]", seen)
		}
		// Status events are for admins; the disabled agent gets only the one
		// that signs them off (their open sockets end on it).
		evs, _ = h.K.EventsAfter(ctx, a, 0, 100)
		if len(evs) != 1 || evs[0].Type != hub.EvAgentStatus || evs[0].AgentID != a.ID {
			t.Fatalf("a plain agent replays %+v; want only their own sign-off", evs)
		}
	})
}
