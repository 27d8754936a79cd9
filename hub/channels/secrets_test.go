package channels_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/secrets"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

func rawSecret(t *testing.T, k *store.Store, id string) string {
	t.Helper()
	var s string
	if err := k.Get(context.Background(), &s, `SELECT secret FROM channels WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

func keyring(t *testing.T, cur []byte, old ...[]byte) *secrets.Keyring {
	t.Helper()
	k, err := secrets.New(cur, old...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A channel's secret is sealed in its row and read back in clear; rows
// written in clear (before the upgrade) are sealed by ResealSecrets, and a
// new key re-seals everything while the old one is still given.
func TestChannelSecretsSealed(t *testing.T) {
	a, b := secrets.NewKey(), secrets.NewKey()
	storetest.Each(t, store.Options{Keys: keyring(t, a)}, func(t *testing.T, d storetest.Dialect) {
		ctx := context.Background()
		h := hubtest.Build(d.Store)
		f := h.NewTenant(t)
		const secret = "whsec_dG9wLXNlY3JldC12YWx1ZQ"
		ch := &hub.Channel{TenantID: f.Admin.TenantID, Type: "api", Name: "shop", Secret: secret}
		if err := h.Channels.Create(ctx, ch); err != nil {
			t.Fatal(err)
		}
		if raw := rawSecret(t, d.Store, ch.ID); strings.Contains(raw, "dG9wLXNlY3JldC12YWx1ZQ") || !secrets.Sealed(raw) {
			t.Fatalf("stored secret %q, want it sealed", raw)
		}
		if got, err := channels.New(d.Store).Get(ctx, ch.ID); err != nil || got.Secret != secret {
			t.Fatalf("Get: %v, %v; want the secret in clear", got, err)
		}

		// A row from before the upgrade: in clear, still read, then sealed.
		if _, err := d.Store.Exec(ctx, `UPDATE channels SET secret = ? WHERE id = ?`, secret, ch.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := channels.New(d.Store).Get(ctx, ch.ID); err != nil || got.Secret != secret {
			t.Fatalf("Get of a clear row: %v, %v", got, err)
		}
		if n, err := channels.ResealSecrets(ctx, d.Store); err != nil || n != 1 {
			t.Fatalf("ResealSecrets = %d, %v; want 1 row", n, err)
		}
		if raw := rawSecret(t, d.Store, ch.ID); !secrets.Sealed(raw) {
			t.Fatalf("after ResealSecrets the row holds %q", raw)
		}
		if n, _ := channels.ResealSecrets(ctx, d.Store); n != 0 {
			t.Errorf("a second ResealSecrets changed %d rows, want 0", n)
		}

		// Rotation: key b with a as an old key re-seals; b alone then reads it.
		rotated := reopen(t, d, keyring(t, b, a))
		if n, err := channels.ResealSecrets(ctx, rotated); err != nil || n < 1 {
			t.Fatalf("rotation: ResealSecrets = %d, %v", n, err)
		}
		if raw := rawSecret(t, d.Store, ch.ID); !strings.HasPrefix(raw, keyring(t, b).CurrentPrefix()) {
			t.Fatalf("after rotation the row holds %q, want it sealed with key %s", raw, secrets.KeyID(b))
		}
		if got, err := channels.New(reopen(t, d, keyring(t, b))).Get(ctx, ch.ID); err != nil || got.Secret != secret {
			t.Fatalf("Get with the new key alone: %v, %v", got, err)
		}
		// The old key alone no longer reads it, and says why.
		if _, err := channels.ResealSecrets(ctx, reopen(t, d, keyring(t, a))); !errors.Is(err, secrets.ErrUnknownKey) {
			t.Errorf("ResealSecrets with the old key only: %v, want ErrUnknownKey", err)
		}
		if _, err := channels.New(reopen(t, d, keyring(t, a))).Get(ctx, ch.ID); !errors.Is(err, secrets.ErrUnknownKey) {
			t.Errorf("Get with the old key only: %v, want ErrUnknownKey", err)
		}
	})
}

// reopen opens another store on the same database with other keys (as a
// restarted hub would).
func reopen(t *testing.T, d storetest.Dialect, keys *secrets.Keyring) *store.Store {
	t.Helper()
	k, err := store.Open(context.Background(), d.URL, d.Dir, store.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}
