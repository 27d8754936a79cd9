package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

func lockOf(err error) *identity.LockedError {
	var l *identity.LockedError
	if errors.As(err, &l) {
		return l
	}
	return nil
}

// lockEvents are the agent.locked events the tenant's admins replay.
func lockEvents(t *testing.T, h *hubtest.Hub, admin *hub.Agent) []map[string]any {
	t.Helper()
	evs, err := h.K.EventsAfter(context.Background(), admin, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range evs {
		if e.Type == hub.EvAgentLocked {
			var p map[string]any
			json.Unmarshal(e.Payload, &p)
			out = append(out, p)
		}
	}
	return out
}

// Thirty wrong passwords lock the account: the right one is refused while
// the lock lasts (without telling whether it was right), the admins get
// one agent.locked notice, and after the lock the right password works and
// clears the count.
func TestLockout(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "lock@t.test"})
		login := func(pw, addr string) error {
			_, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "Lock@T.test", Password: pw, Addr: addr}, time.Hour)
			return err
		}
		for i := range 30 {
			err := login("wrong-password", "10.0.0.1")
			if i < 4 && !errors.Is(err, hub.ErrUnauthorized) {
				t.Fatalf("wrong password %d: %v, want ErrUnauthorized", i+1, err)
			}
			if i >= 4 && lockOf(err) == nil {
				t.Fatalf("wrong password %d: %v, want the account locked", i+1, err)
			}
		}
		l := lockOf(login("password1", "10.0.0.2"))
		if l == nil || l.Scope != identity.ScopeAccount || l.RetryAfter != time.Minute {
			t.Fatalf("the right password while locked: %+v, want the account locked for a minute", l)
		}
		notes := lockEvents(t, h, f.Admin)
		if len(notes) != 1 || notes[0]["agent_id"] != a.ID || notes[0]["reason"] != "account" || notes[0]["addr"] != "10.0.0.1" {
			t.Fatalf("admin notices %v, want one agent.locked for %s", notes, a.ID)
		}
		if evs, _ := h.K.EventsAfter(ctx, a, 0, 100); len(evs) != 0 {
			t.Fatalf("the locked agent sees %d events; the notice is for admins", len(evs))
		}
		clk.Add(time.Minute + time.Second)
		if err := login("wrong-again", "10.0.0.2"); lockOf(err) == nil || lockOf(err).RetryAfter != 2*time.Minute {
			t.Fatalf("a wrong password after the lock: %v, want a lock twice as long", err)
		}
		clk.Add(2*time.Minute + time.Second)
		if err := login("password1", "10.0.0.2"); err != nil {
			t.Fatalf("the right password after the lock: %v", err)
		}
		for i := range 4 {
			if err := login("wrong-password", "10.0.0.3"); !errors.Is(err, hub.ErrUnauthorized) || lockOf(err) != nil {
				t.Fatalf("wrong password %d after a success: %v, want the count started over", i+1, err)
			}
		}
		if err := login("password1", "10.0.0.3"); err != nil {
			t.Fatal(err)
		}
		// An unknown email locks the same way (a lock says nothing about
		// which emails exist), with no notice to anyone.
		for range 5 {
			h.Identity.Auth.Login(ctx, identity.Attempt{Email: "ghost@t.test", Password: "x", Addr: "10.0.0.4"}, time.Hour)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "ghost@t.test", Password: "x", Addr: "10.0.0.5"}, time.Hour); lockOf(err) == nil {
			t.Fatalf("an unknown email after 5 failures: %v, want locked", err)
		}
		if n := len(lockEvents(t, h, f.Admin)); n != 2 {
			t.Fatalf("%d notices, want still 2 (one per lock of the agent)", n)
		}
	})
}

// An address that fails against many accounts is locked for every account,
// and not other addresses; an admin's password reset lifts an account lock.
func TestAddressLockAndReset(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "spray@t.test"})
		for i := range 20 {
			h.Identity.Auth.Login(ctx, identity.Attempt{Email: hub.NewID("x") + "@t.test", Password: "guess", Addr: "203.0.113.9"}, time.Hour)
			_ = i
		}
		_, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "spray@t.test", Password: "password1", Addr: "203.0.113.9"}, time.Hour)
		if l := lockOf(err); l == nil || l.Scope != identity.ScopeAddress {
			t.Fatalf("the right password from a spraying address: %v, want the address locked", err)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "spray@t.test", Password: "password1", Addr: "203.0.113.10"}, time.Hour); err != nil {
			t.Fatalf("from another address: %v", err)
		}
		for range 5 {
			h.Identity.Auth.Login(ctx, identity.Attempt{Email: "spray@t.test", Password: "guess", Addr: "198.51.100.1"}, time.Hour)
		}
		pw, err := h.Identity.Agents.ResetPassword(ctx, f.Admin.TenantID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "spray@t.test", Password: pw, Addr: "198.51.100.1"}, time.Hour); err != nil {
			t.Fatalf("the new password after an admin's reset: %v, want the lock lifted", err)
		}
		_ = clk
	})
}

// Wrong TOTP codes lock the agent's codes (the right code is refused), the
// admins are told (the password was right), and the lock ends in time.
func TestTOTPLockout(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "otp@t.test"})
		setup, _ := h.Identity.Auth.SetupTOTP(ctx, a)
		code := func() string { c, _ := identity.TOTPCode(setup.Secret, clk.Now()); return c }
		if err := h.Identity.Auth.EnableTOTP(ctx, a, code()); err != nil {
			t.Fatal(err)
		}
		login := func(c string) error {
			_, _, err := h.Identity.Auth.Login(ctx, identity.Attempt{Email: "otp@t.test", Password: "password1", TOTP: c}, time.Hour)
			return err
		}
		for i := range 5 {
			if err := login("000000"); !errors.Is(err, identity.ErrTOTPInvalid) && !errors.Is(err, identity.ErrTOTPLocked) {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		clk.Add(30 * time.Second)
		if err := login(code()); !errors.Is(err, identity.ErrTOTPLocked) {
			t.Fatalf("the right code after 5 wrong ones: %v, want ErrTOTPLocked", err)
		}
		if n := lockEvents(t, h, f.Admin); len(n) != 1 || n[0]["reason"] != "totp" {
			t.Fatalf("notices %v, want one for the TOTP lock", n)
		}
		clk.Add(5 * time.Minute)
		if err := login(code()); err != nil {
			t.Fatalf("the right code after the lock: %v", err)
		}
	})
}

// Two hub processes on one database share the counts: failures through one
// lock the account for the other.
func TestLockoutShared(t *testing.T) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
			d := storetest.Open(t, name, store.Options{Now: clk.Now})
			k2, err := store.Open(ctx, d.URL, d.Dir, store.Options{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer k2.Close()
			one, two := hubtest.Build(d.Store), identity.New(k2, slog.New(slog.DiscardHandler), identity.Options{})
			f := one.NewTenant(t)
			newAgent(t, one, f.Admin.TenantID, identity.NewAgent{Email: "both@t.test"})
			for i := range 5 {
				auth := one.Identity.Auth
				if i%2 == 1 {
					auth = two.Auth
				}
				auth.Login(ctx, identity.Attempt{Email: "both@t.test", Password: "wrong", Addr: "10.1.1.1"}, time.Hour)
			}
			for _, auth := range []*identity.Auth{one.Identity.Auth, two.Auth} {
				if _, _, err := auth.Login(ctx, identity.Attempt{Email: "both@t.test", Password: "password1"}, time.Hour); lockOf(err) == nil {
					t.Fatalf("after 5 failures spread over two processes: %v, want locked on both", err)
				}
			}
		})
	}
}

// A session unused for longer than the idle timeout has ended; one in use
// lives on. Admins list an agent's sessions and end one or all of them.
func TestSessionIdleAndAdminEnd(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		auth := identity.New(h.K, slog.New(slog.DiscardHandler), identity.Options{SessionIdle: time.Hour}).Auth
		f := h.NewTenant(t)
		a := newAgent(t, h, f.Admin.TenantID, identity.NewAgent{Email: "idle@t.test"})
		login := func(ua string) string {
			tok, _, err := auth.Login(ctx, identity.Attempt{Email: "idle@t.test", Password: "password1", Addr: "10.2.2.2", UserAgent: ua}, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		used, unused := login("Firefox"), login("Chrome")
		for range 3 {
			clk.Add(50 * time.Minute)
			if _, err := auth.Authenticate(ctx, used); err != nil {
				t.Fatalf("a session in use: %v", err)
			}
		}
		if _, err := auth.Authenticate(ctx, unused); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("a session unused for 150 minutes: %v, want ended", err)
		}
		third := login("Safari")
		list, err := auth.Sessions(ctx, f.Admin.TenantID, a.ID)
		if err != nil || len(list) != 2 || list[0].Addr != "10.2.2.2" {
			t.Fatalf("sessions %+v, %v; want the two live ones", list, err)
		}
		other := h.NewTenant(t)
		if _, err := auth.Sessions(ctx, other.Admin.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant lists the sessions: %v", err)
		}
		if err := auth.EndSession(ctx, other.Admin.TenantID, a.ID, list[0].ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant ends a session: %v", err)
		}
		var safari string
		for _, s := range list {
			if s.UserAgent == "Safari" {
				safari = s.ID
			}
		}
		if err := auth.EndSession(ctx, f.Admin.TenantID, a.ID, safari); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Authenticate(ctx, third); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("an ended session: %v", err)
		}
		if _, err := auth.Authenticate(ctx, used); err != nil {
			t.Fatalf("ending one session ended another: %v", err)
		}
		if n, err := auth.EndSessions(ctx, f.Admin.TenantID, a.ID); err != nil || n != 1 {
			t.Fatalf("end all: %d, %v", n, err)
		}
		if _, err := auth.Authenticate(ctx, used); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("after ending all sessions: %v", err)
		}
	})
}
