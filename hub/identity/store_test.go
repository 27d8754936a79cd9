package identity_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
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
			tok, got, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: c.email, Password: c.password}, time.Hour)
			if c.ok != (err == nil) || (!c.ok && !errors.Is(err, hub.ErrUnauthorized)) {
				t.Fatalf("login %q/%q: %v, want ok=%v", c.email, c.password, err, c.ok)
			}
			if c.ok {
				if me, err := h.Identity.Auth.Authenticate(ctx, tok); err != nil || me.ID != a.ID || got.ID != a.ID {
					t.Fatalf("session of %q: %+v, %v", c.email, me, err)
				}
			}
		}
		tok, _, _ := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "wang@t.test", Password: "password1"}, time.Minute)
		if err := h.Identity.Auth.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("token after logout: %v", err)
		}
		tok, _, _ = h.Identity.Auth.Login(ctx, identity.Attempt{Email: "wang@t.test", Password: "password1"}, time.Minute)
		clk.Add(2 * time.Minute)
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("expired session: %v", err)
		}
		tok, _, _ = h.Identity.Auth.Login(ctx, identity.Attempt{Email: "wang@t.test", Password: "password1"}, time.Hour)
		if _, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, a.ID, identity.Patch{Disabled: ptr(true)}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("session of a disabled agent: %v", err)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "wang@t.test", Password: "password1"}, time.Hour); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("login of a disabled agent: %v", err)
		}
		h.Identity.Agents.Update(ctx, f.Admin.TenantID, a.ID, identity.Patch{Disabled: ptr(false)}, nil)
		tok, _, _ = h.Identity.Auth.Login(ctx, identity.Attempt{Email: "wang@t.test", Password: "password1"}, time.Hour)
		pw, err := h.Identity.Agents.ResetPassword(ctx, f.Admin.TenantID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Auth.Authenticate(ctx, tok); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("session after a password reset: %v", err)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "wang@t.test", Password: pw}, time.Hour); err != nil {
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
			_, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "zhao@t.test", Password: "password1", TOTP: c}, time.Hour)
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
		tok, got, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "qian@t.test", Password: "password1"}, time.Hour)
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

// A tenant always keeps one active admin: the last one can be neither
// deactivated nor demoted; with a second admin, either can.
func TestLastAdminStays(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		yes, agentRole := true, hub.RoleAgent
		for _, p := range []identity.Patch{{Disabled: &yes}, {Role: &agentRole}} {
			if _, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, f.Admin.ID, p, nil); !errors.Is(err, identity.ErrLastAdmin) {
				t.Fatalf("patch %+v of the last admin: %v, want ErrLastAdmin", p, err)
			}
		}
		second := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "second@t.test", Password: "password1", Role: hub.RoleAdmin})
		a, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, f.Admin.ID, identity.Patch{Disabled: &yes}, nil)
		if err != nil || !a.Disabled {
			t.Fatalf("deactivating one of two admins: %+v, %v", a, err)
		}
		if _, err := h.Identity.Agents.Update(ctx, f.Admin.TenantID, second.ID, identity.Patch{Disabled: &yes}, nil); !errors.Is(err, identity.ErrLastAdmin) {
			t.Fatalf("deactivating the other, now the last active admin: %v", err)
		}
	})
}
