package channels_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

func ptr[T any](v T) *T { return &v }

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// A channel's default group may be named; it is stored as the group's id,
// and only a group of the channel's own tenant will do.
func TestCreateResolvesDefaultGroup(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		g, err := h.Identity.Groups.Create(ctx, f.Admin.TenantID, identity.GroupPatch{Name: ptr("售前")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identity.Groups.Create(ctx, other.Admin.TenantID, identity.GroupPatch{Name: ptr("售后")}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			ch    hub.Channel
			group string // the default group id wanted; "" for none
			ok    bool
		}{
			{"by name", hub.Channel{Name: "web", DefaultGroupID: ptr("售前")}, g.ID, true},
			{"by id", hub.Channel{Name: "web2", DefaultGroupID: &g.ID}, g.ID, true},
			{"none", hub.Channel{Name: "web3"}, "", true},
			{"unknown group", hub.Channel{Name: "web4", DefaultGroupID: ptr("技术")}, "", false},
			{"another tenant's group", hub.Channel{Name: "web5", DefaultGroupID: ptr("售后")}, "", false},
			{"no name", hub.Channel{Name: " "}, "", false},
		} {
			ch := c.ch
			ch.TenantID, ch.Type = f.Admin.TenantID, "web"
			err := h.Channels.Create(ctx, &ch)
			if !c.ok {
				if !isInvalid(err) {
					t.Errorf("%s: %v, want an InvalidError", c.name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got, err := h.Channels.Get(ctx, ch.ID)
			if err != nil {
				t.Fatal(err)
			}
			if channelsDeref(got.DefaultGroupID) != c.group || got.OfflineMessage != channels.DefaultOfflineMessage ||
				string(got.Config) != "{}" || got.TenantID != f.Admin.TenantID {
				t.Errorf("%s: stored %+v, want default group %q, the default offline message and {} config", c.name, got, c.group)
			}
		}
		list, err := h.Channels.List(ctx, f.Admin.TenantID)
		if err != nil || len(list) != 4 { // the API channel and three above
			t.Fatalf("%d channels listed (%v), want 4", len(list), err)
		}
	})
}

func channelsDeref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Get is cached, but an update through the store is seen at once; a
// channel of another tenant does not exist for ForTenant.
func TestGetSeesUpdatesAndTenants(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		ch, err := h.Channels.Get(ctx, f.Channel.ID) // cached from here
		if err != nil {
			t.Fatal(err)
		}
		upd := *ch
		upd.Name, upd.OfflineMessage, upd.WantsEvents = "renamed", "稍后回复", true
		upd.Config = json.RawMessage(`{"callback_url":"https://example.test/cb"}`)
		if err := h.Channels.Update(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		got, err := h.Channels.Get(ctx, f.Channel.ID)
		var cfg map[string]string
		if err == nil {
			err = json.Unmarshal(got.Config, &cfg) // JSONB may respace it
		}
		if err != nil || got.Name != "renamed" || got.OfflineMessage != "稍后回复" || !got.WantsEvents ||
			cfg["callback_url"] != "https://example.test/cb" {
			t.Fatalf("after update: %+v (config %s), %v", got, got.Config, err)
		}
		if _, err := h.Channels.Get(ctx, "ch_nope"); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("unknown channel: %v", err)
		}
		if _, err := h.Channels.ForTenant(ctx, other.Admin.TenantID, f.Channel.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant's channel: %v", err)
		}
		if got, err := h.Channels.ForTenant(ctx, f.Admin.TenantID, f.Channel.ID); err != nil || got.ID != f.Channel.ID {
			t.Fatalf("own channel: %+v, %v", got, err)
		}
		if list, _ := h.Channels.List(ctx, other.Admin.TenantID); len(list) != 1 || list[0].ID != other.Channel.ID {
			t.Fatalf("another tenant lists %+v", list)
		}
	})
}

// WantsEvents answers inside a transaction, false for an unknown channel.
func TestWantsEvents(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		cb := &hub.Channel{TenantID: f.Admin.TenantID, Type: "api", Name: "callback", WantsEvents: true}
		if err := h.Channels.Create(ctx, cb); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{cb.ID: true, f.Channel.ID: false, "ch_nope": false} {
			err := h.K.Write(ctx, func(tx *store.Tx) error {
				got, err := channels.WantsEvents(ctx, tx, id)
				if err == nil && got != want {
					t.Errorf("WantsEvents(%s) = %v, want %v", id, got, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Platform tokens are shared: saved (sealed, never in clear), replaced, and
// dropped only while still the one the caller saw rejected.
func TestPlatformTokens(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s2 := channels.New(h.K) // another process
		exp := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
		check := func(what, want string) {
			t.Helper()
			tok, at, err := s2.PlatformToken(ctx, "wechat:wx1")
			if err != nil || tok != want || (want != "" && !at.Equal(exp)) {
				t.Fatalf("%s: token %q expiring %v (%v), want %q expiring %v", what, tok, at, err, want, exp)
			}
		}
		check("none yet", "")
		if err := h.Channels.SavePlatformToken(ctx, "wechat:wx1", "token-one-in-clear", exp); err != nil {
			t.Fatal(err)
		}
		check("saved", "token-one-in-clear")
		var stored string
		if err := h.K.Get(ctx, &stored, `SELECT token FROM platform_tokens WHERE name = ?`, "wechat:wx1"); err != nil ||
			strings.Contains(stored, "token-one-in-clear") {
			t.Fatalf("stored token %q (%v), want it sealed", stored, err)
		}
		h.Channels.SavePlatformToken(ctx, "wechat:wx1", "token-two-in-clear", exp)
		check("replaced", "token-two-in-clear")
		if err := h.Channels.DropPlatformToken(ctx, "wechat:wx1", "token-one-in-clear"); err != nil {
			t.Fatal(err)
		}
		check("dropping a stale token keeps the new one", "token-two-in-clear")
		h.Channels.DropPlatformToken(ctx, "wechat:wx1", "token-two-in-clear")
		check("dropped", "")
	})
}
