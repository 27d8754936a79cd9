package channels

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Platform access tokens (WeChat's access_token) live in the database so
// every hub process of a cluster uses the same one: two processes fetching
// their own would invalidate each other. They are sealed like every other
// secret (a token read from a backup works against the platform for up to
// two hours); one stored in clear by an older hub is read as it is and
// replaced when it expires.

const tokenTable = "platform_tokens"

// PlatformToken returns the stored token named name and when to stop using
// it ("" when there is none).
func (s *Store) PlatformToken(ctx context.Context, name string) (string, time.Time, error) {
	var rows []struct {
		Token     string    `db:"token"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	q := `SELECT token, expires_at FROM platform_tokens WHERE name = ?`
	if err := s.k.Select(ctx, &rows, q, name); err != nil {
		return "", time.Time{}, fmt.Errorf("platform token: %w: %w", store.ErrUnavailable, err)
	}
	if len(rows) == 0 {
		return "", time.Time{}, nil
	}
	token, err := s.k.Unseal(rows[0].Token, store.Bind(tokenTable, name))
	if err != nil {
		// Sealed under a key no longer given (rotated away): as if there
		// were none — the caller fetches a new one and replaces it.
		return "", time.Time{}, nil
	}
	return token, rows[0].ExpiresAt, nil
}

// SavePlatformToken stores (or replaces) a token.
func (s *Store) SavePlatformToken(ctx context.Context, name, token string, expires time.Time) error {
	sealed, err := s.k.Seal(token, store.Bind(tokenTable, name))
	if err != nil {
		return fmt.Errorf("save platform token: %w", err)
	}
	q := `INSERT INTO platform_tokens (name, token, expires_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at, updated_at = excluded.updated_at`
	if _, err := s.k.Exec(ctx, q, name, sealed, expires.UTC(), s.k.Now()); err != nil {
		return fmt.Errorf("save platform token: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// DropPlatformToken forgets a token the platform rejected, unless another
// process already replaced it (compare and delete: the stored value is
// opened and compared, then deleted only if it is still that value).
func (s *Store) DropPlatformToken(ctx context.Context, name, token string) error {
	var stored []string
	if err := s.k.Select(ctx, &stored, `SELECT token FROM platform_tokens WHERE name = ?`, name); err != nil {
		return fmt.Errorf("drop platform token: %w: %w", store.ErrUnavailable, err)
	}
	if len(stored) == 0 {
		return nil
	}
	if plain, err := s.k.Unseal(stored[0], store.Bind(tokenTable, name)); err != nil || plain != token {
		return nil // replaced meanwhile (or unreadable: the next fetch replaces it)
	}
	q := `DELETE FROM platform_tokens WHERE name = ? AND token = ?`
	if _, err := s.k.Exec(ctx, q, name, stored[0]); err != nil {
		return fmt.Errorf("drop platform token: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}
