package ratings

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// A tenant's rating link keys form a ring, newest first. The newest signs
// every new link. Rotating makes a new key; an older key keeps opening the
// links it signed, which expire within the longest reply window after the
// next key was made (so past that it opens nothing, and is dropped at the
// next rotation); a key an admin deletes opens nothing at once — the way
// out after a key leaked. A link carries no key id: the page tries the
// ring's few keys.

// maxReplyMinutes is the longest reply window a tenant may set, and so the
// longest a link lasts.
const maxReplyMinutes = 7 * 24 * 60

// LinkKey is one key of a tenant's ring as admins see it (never its secret).
type LinkKey struct {
	ID        string    `db:"id" json:"id"`
	Secret    string    `db:"secret" json:"-"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// Current: the key new links are signed with.
	Current bool `db:"-" json:"current"`
	// ReplacedAt is when the next key was made, OpensUntil the last moment
	// a link it signed can open (both absent for the current key).
	ReplacedAt *time.Time `db:"-" json:"replaced_at,omitempty"`
	OpensUntil *time.Time `db:"-" json:"opens_until,omitempty"`
}

type ring []LinkKey

// keyTable holds the keys; a key's secret is sealed (hub/secrets) for its
// row, like the channels' secrets, so a copy of the database cannot sign
// links.
const keyTable = "rating_keys"

// ResealSecrets seals the rating link keys stored in clear (made before
// keys were sealed) or under an old key with the current key; the hub runs
// it at start-up, as for the other stored secrets.
func ResealSecrets(ctx context.Context, k *store.Store) (int, error) {
	return k.Reseal(ctx, keyTable, "secret")
}

// keyRing reads a tenant's keys, newest first, their secrets opened.
func (s *Store) keyRing(ctx context.Context, q store.Querier, tenantID string) (ring, error) {
	var ks ring
	const sel = `SELECT id, secret, created_at FROM rating_keys WHERE tenant_id = ? ORDER BY created_at DESC, id DESC`
	if err := q.Select(ctx, &ks, sel, tenantID); err != nil {
		return nil, fmt.Errorf("rating link keys: %w", err)
	}
	for i := range ks {
		plain, err := s.k.Unseal(ks[i].Secret, store.Bind(keyTable, ks[i].ID))
		if err != nil {
			return nil, fmt.Errorf("rating link key: %w", err)
		}
		ks[i].Secret = plain
		ks[i].Current = i == 0
		if i > 0 {
			replaced := ks[i-1].CreatedAt
			until := replaced.Add(maxReplyMinutes * time.Minute)
			ks[i].ReplacedAt, ks[i].OpensUntil = &replaced, &until
		}
	}
	return ks, nil
}

// signed reports whether mac signs the link of conversation convID until
// exp with one of the ring's keys that may still have signed it: the
// current key, or an older one for an expiry it could have given.
func (r ring) signed(convID string, exp int64, mac string) bool {
	ok := false
	for _, k := range r {
		b, err := hex.DecodeString(k.Secret)
		if err != nil || (k.OpensUntil != nil && exp > k.OpensUntil.Unix()) {
			continue
		}
		if hmac.Equal([]byte(sign(b, convID, exp)), []byte(mac)) {
			ok = true
		}
	}
	return ok
}

// newKey stores a new random key for a tenant under id (the tenant's first
// key has a fixed id, so that two first links made at once share it).
func (s *Store) newKey(ctx context.Context, tx *store.Tx, tenantID, id string) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("rating link key: %w", err)
	}
	sealed, err := s.k.Seal(hex.EncodeToString(b[:]), store.Bind(keyTable, id))
	if err != nil {
		return fmt.Errorf("rating link key: %w", err)
	}
	const ins = `INSERT INTO rating_keys (id, tenant_id, secret, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	if _, err := tx.Exec(ctx, ins, id, tenantID, sealed, tx.Now()); err != nil {
		return fmt.Errorf("rating link key: %w", err)
	}
	return nil
}

// signingKey is the tenant's current key, made in tx the first time.
func (s *Store) signingKey(ctx context.Context, tx *store.Tx, tenantID string) ([]byte, error) {
	r, err := s.keyRing(ctx, tx, tenantID)
	if err == nil && len(r) == 0 {
		if err = s.newKey(ctx, tx, tenantID, "rk_"+tenantID); err == nil {
			r, err = s.keyRing(ctx, tx, tenantID)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(r) == 0 {
		return nil, fmt.Errorf("rating link key: none made for %s", tenantID)
	}
	b, err := hex.DecodeString(r[0].Secret)
	if err != nil {
		return nil, fmt.Errorf("rating link key: %w", err)
	}
	return b, nil
}

// LinkKeys lists a tenant's keys that still open links, newest first
// (none before the first link was made).
func (s *Store) LinkKeys(ctx context.Context, tenantID string) ([]LinkKey, error) {
	r, err := s.keyRing(ctx, s.k, tenantID)
	if err != nil {
		return nil, err
	}
	out, now := []LinkKey{}, s.k.Now()
	for _, k := range r {
		if k.OpensUntil == nil || now.Before(*k.OpensUntil) {
			out = append(out, k)
		}
	}
	return out, nil
}

// RotateLinkKey makes a new key that signs the links made from now on; the
// older keys keep opening theirs until they expire. Keys that open nothing
// any more are dropped. It returns the ring.
func (s *Store) RotateLinkKey(ctx context.Context, tenantID string) ([]LinkKey, error) {
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		if err := s.newKey(ctx, tx, tenantID, hub.NewID("rk")); err != nil {
			return err
		}
		r, err := s.keyRing(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		for _, k := range r {
			if k.OpensUntil != nil && !tx.Now().Before(*k.OpensUntil) {
				if _, err := tx.Exec(ctx, `DELETE FROM rating_keys WHERE id = ?`, k.ID); err != nil {
					return fmt.Errorf("drop rating link key: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.LinkKeys(ctx, tenantID)
}

// ErrCurrentKey refuses to delete the key that signs new links.
var ErrCurrentKey = hub.Coded("rating_key_current",
	fmt.Errorf("%w: the current key signs new links; rotate first, then delete the old key", hub.ErrConflict))

// DeleteLinkKey deletes one of a tenant's older keys: the links it signed
// stop opening at once (ErrNotFound for a key the tenant does not have,
// ErrCurrentKey for the current one).
func (s *Store) DeleteLinkKey(ctx context.Context, tenantID, id string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		r, err := s.keyRing(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		for _, k := range r {
			if k.ID != id {
				continue
			}
			if k.Current {
				return ErrCurrentKey
			}
			if _, err := tx.Exec(ctx, `DELETE FROM rating_keys WHERE id = ? AND tenant_id = ?`, id, tenantID); err != nil {
				return fmt.Errorf("delete rating link key: %w", err)
			}
			return nil
		}
		return fmt.Errorf("rating link key: %w", hub.ErrNotFound)
	})
}
