package channels

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Platform access tokens (WeChat's access_token) live in the database so
// every hub process of a cluster uses the same one: two processes fetching
// their own would invalidate each other.

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
	return rows[0].Token, rows[0].ExpiresAt, nil
}

// SavePlatformToken stores (or replaces) a token.
func (s *Store) SavePlatformToken(ctx context.Context, name, token string, expires time.Time) error {
	q := `INSERT INTO platform_tokens (name, token, expires_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at, updated_at = excluded.updated_at`
	if _, err := s.k.Exec(ctx, q, name, token, expires.UTC(), s.k.Now()); err != nil {
		return fmt.Errorf("save platform token: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// DropPlatformToken forgets a token the platform rejected, unless another
// process already replaced it (compare and delete).
func (s *Store) DropPlatformToken(ctx context.Context, name, token string) error {
	q := `DELETE FROM platform_tokens WHERE name = ? AND token = ?`
	if _, err := s.k.Exec(ctx, q, name, token); err != nil {
		return fmt.Errorf("drop platform token: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}
