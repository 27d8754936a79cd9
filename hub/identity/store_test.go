package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
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

// each runs f on fresh stores of every dialect with a hand-moved clock.
func each(t *testing.T, f func(t *testing.T, h *hubtest.Hub, clk *clock)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
			f(t, hubtest.Build(storetest.Open(t, name, store.Options{Now: clk.Now}).Store), clk)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func newAgent(t *testing.T, h *hubtest.Hub, tenantID string, na identity.NewAgent) *hub.Agent {
	t.Helper()
	if na.Email == "" {
		na.Email = hub.NewID("ag") + "@t.test"
	}
	if na.Password == "" {
		na.Password = "password1"
	}
	a, err := h.Identity.Agents.Create(context.Background(), tenantID, na)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// A tenant starts with one admin; emails are unique across the hub, in any
// case, and bad agents are refused with a message.
func TestTenantsAndAgents(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		tn, admin, err := h.Identity.Tenants.Create(ctx, identity.NewTenant{Name: " 客服部 ", AdminEmail: "Boss@T.test",
			AdminPassword: "password1"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if tn.Name != "客服部" || admin.Role != hub.RoleAdmin || admin.Email != "boss@t.test" || admin.TenantID != tn.ID || admin.Superadmin {
			t.Fatalf("tenant %+v admin %+v", tn, admin)
		}
		got, err := h.Identity.Agents.Get(ctx, tn.ID, admin.ID)
		if err != nil || got.Email != admin.Email || got.Status != hub.StatusOffline {
			t.Fatalf("admin reread: %+v, %v", got, err)
		}
		if _, _, err := h.Identity.Tenants.Create(ctx, identity.NewTenant{Name: "other", AdminEmail: "BOSS@t.test",
			AdminPassword: "password1"}, false); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("second tenant with the same admin email: %v, want ErrConflict", err)
		}
		if n, _ := h.Identity.Tenants.Count(ctx); n != 1 {
			t.Fatalf("%d tenants after a refused create, want 1 (rolled back)", n)
		}
		for _, c := range []struct {
			name string
			na   identity.NewAgent
			ok   func(error) bool
		}{
			{"duplicate email", identity.NewAgent{Email: " boss@T.TEST", Password: "password1"}, func(err error) bool { return errors.Is(err, hub.ErrConflict) }},
			{"bad email", identity.NewAgent{Email: "nobody", Password: "password1"}, isInvalid},
			{"short password", identity.NewAgent{Email: "x@t.test", Password: "short"}, isInvalid},
			{"bad role", identity.NewAgent{Email: "x@t.test", Password: "password1", Role: "root"}, isInvalid},
			{"too many chats", identity.NewAgent{Email: "x@t.test", Password: "password1", MaxChats: 1001}, isInvalid},
			{"unknown group", identity.NewAgent{Email: "x@t.test", Password: "password1", Groups: []string{"nope"}}, isInvalid},
		} {
			if _, err := h.Identity.Agents.Create(ctx, tn.ID, c.na); !c.ok(err) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		a := newAgent(t, h, tn.ID, identity.NewAgent{Email: "Li.Si@t.test", EmployeeNo: "007"})
		if a.Role != hub.RoleAgent || a.MaxChats != 5 || a.Name != "li.si" {
			t.Fatalf("defaults: %+v", a)
		}
		for _, who := range []string{a.ID, "li.si@t.test", "007"} {
			if got := h.Identity.Agents.Find(ctx, tn.ID, who); got != a.ID {
				t.Errorf("Find(%q) = %q, want %s", who, got, a.ID)
			}
		}
		other := h.NewTenant(t)
		if got := h.Identity.Agents.Find(ctx, other.Admin.TenantID, "007"); got != "" {
			t.Errorf("another tenant finds the agent: %q", got)
		}
		if _, err := h.Identity.Agents.Get(ctx, other.Admin.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant gets the agent: %v", err)
		}
	})
}

// A session opens with the right password only, for enabled agents, and
// ends with logout, expiry, a disable or a new password.
func TestLoginAndSessions(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "wang@t.test"})
		for _, c := range []struct {
			email, password string
			ok              bool
		}{
			{"wang@t.test", "password1", true},
			{" WANG@t.test ", "password1", true},
			{"wang@t.test", "password2", false},
			{"nobody@t.test", "password1", false},
			{"", "", false},
		} {
			tok, got, err := h.Identity.Auth.Login(ctx, c.email, c.password, "", time.Hour)
			if c.ok != (err == nil) || (!c.ok && !errors.Is(err, hub.ErrUnauthorized)) {
				t.Fatalf("login %q/%q: %v, want ok=%v", c.email, c.password, err, c.ok)
			}
			if c.ok {
				if me, err := h.Identity.Auth.Authenticate(ctx, tok); err != nil || me.ID != a.ID || got.ID != a.ID {
					t.Fatalf("session of %q: %+v, %v", c.email, me, err)
				}
			}
		}
		tok, _, _ := h.Identity.Auth.Login(ctx, "wang@t.test", "password1", "", time.Minute)
		if err := h.Identity.Auth.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("token after logout: %v", err)
		}
		tok, _, _ = h.Identity.Auth.Login(ctx, "wang@t.test", "password1", "", time.Minute)
		clk.Add(2 * time.Minute)
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("expired session: %v", err)
		}
		tok, _, _ = h.Identity.Auth.Login(ctx, "wang@t.test", "password1", "", time.Hour)
		if _, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, a.ID, identity.Patch{Disabled: ptr(true)}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("session of a disabled agent: %v", err)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, "wang@t.test", "password1", "", time.Hour); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("login of a disabled agent: %v", err)
		}
		h.Identity.Agents.Update(ctx, f.Admin.TenantID, a.ID, identity.Patch{Disabled: ptr(false)}, nil)
		tok, _, _ = h.Identity.Auth.Login(ctx, "wang@t.test", "password1", "", time.Hour)
		pw, err := h.Identity.Agents.ResetPassword(ctx, f.Admin.TenantID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("session after a password reset: %v", err)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, "wang@t.test", pw, "", time.Hour); err != nil {
			t.Fatalf("login with the reset password: %v", err)
		}
	})
}

// An API token acts as its agent until revoked; its secret is shown once.
func TestAPITokens(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		if _, err := h.Identity.Auth.CreateAPIToken(ctx, f.Admin, " "); !isInvalid(err) {
			t.Fatalf("nameless token: %v", err)
		}
		tk, err := h.Identity.Auth.CreateAPIToken(ctx, f.Admin, "crm")
		if err != nil {
			t.Fatal(err)
		}
		a, err := h.Identity.Auth.Authenticate(ctx, tk.Token)
		if err != nil || a.ID != f.Admin.ID {
			t.Fatalf("authenticate with the token: %+v, %v", a, err)
		}
		list, err := h.Identity.Auth.APITokens(ctx, f.Admin.TenantID)
		if err != nil || len(list) != 1 || list[0].Token != "" || list[0].LastUsed == nil {
			t.Fatalf("token list %+v (%v): want one, without its secret, with its last use", list, err)
		}
		other := h.NewTenant(t)
		if err := h.Identity.Auth.DeleteAPIToken(ctx, other.Admin.TenantID, tk.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant revokes the token: %v", err)
		}
		if err := h.Identity.Auth.DeleteAPIToken(ctx, f.Admin.TenantID, tk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tk.Token); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := h.Identity.Auth.DeleteAPIToken(ctx, f.Admin.TenantID, tk.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("revoking twice: %v", err)
		}
	})
}

// TOTP turns on with a code from the pending secret; every code is
// accepted once, and a required TOTP marks the agent's login sessions.
func TestTOTP(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "zhao@t.test"})
		code := func(secret string) string {
			c, err := identity.TOTPCode(secret, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if err := h.Identity.Auth.EnableTOTP(ctx, a, "123456"); !isInvalid(err) {
			t.Fatalf("enable before setup: %v", err)
		}
		setup, err := h.Identity.Auth.SetupTOTP(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Identity.Auth.EnableTOTP(ctx, a, "000000"); !errors.Is(err, identity.ErrTOTPInvalid) {
			t.Fatalf("enable with a wrong code: %v", err)
		}
		first := code(setup.Secret)
		if err := h.Identity.Auth.EnableTOTP(ctx, a, first); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.SetupTOTP(ctx, a); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("setup while enabled: %v", err)
		}
		login := func(c string) error {
			_, _, err := h.Identity.Auth.Login(ctx, "zhao@t.test", "password1", c, time.Hour)
			return err
		}
		if err := login(""); !errors.Is(err, identity.ErrTOTPRequired) {
			t.Fatalf("login without a code: %v", err)
		}
		if err := login(first); !errors.Is(err, identity.ErrTOTPInvalid) {
			t.Fatalf("login replaying the enabling code: %v", err)
		}
		clk.Add(30 * time.Second)
		next := code(setup.Secret)
		if err := login(next); err != nil {
			t.Fatalf("login with a fresh code: %v", err)
		}
		if err := login(next); !errors.Is(err, identity.ErrTOTPInvalid) {
			t.Fatalf("login replaying a code: %v", err)
		}

		b := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "qian@t.test"})
		if _, err := h.Identity.Tenants.UpdateSettings(ctx, f.Admin.TenantID, identity.SettingsPatch{RequireTOTP: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		tok, got, err := h.Identity.Auth.Login(ctx, "qian@t.test", "password1", "", time.Hour)
		if err != nil || !got.SetupRequired {
			t.Fatalf("login where the tenant requires TOTP: %+v, %v; want a session marked SetupRequired", got, err)
		}
		if me, err := h.Identity.Auth.Authenticate(ctx, tok); err != nil || !me.SetupRequired {
			t.Fatalf("session where the tenant requires TOTP: %+v, %v", me, err)
		}
		api, _ := h.Identity.Auth.CreateAPIToken(ctx, b, "bot")
		if me, err := h.Identity.Auth.Authenticate(ctx, api.Token); err != nil || me.SetupRequired {
			t.Fatalf("API token where the tenant requires TOTP: %+v, %v; tokens are credentials of their own", me, err)
		}
		clk.Add(30 * time.Second)
		if err := h.Identity.Auth.DisableTOTP(ctx, a, code(setup.Secret)); !errors.Is(err, hub.ErrForbidden) {
			t.Fatalf("disable while required: %v", err)
		}
	})
}

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
		if evs, _ := h.K.EventsAfter(ctx, a, 0, 100); len(evs) != 0 {
			t.Fatalf("a plain agent replays %d status events; they are for admins", len(evs))
		}
	})
}
