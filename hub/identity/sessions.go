package identity

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Session is one login of an agent, as admins see it (never its token).
type Session struct {
	ID        string    `db:"id" json:"id"`
	AgentID   string    `db:"agent_id" json:"agent_id"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	LastSeen  time.Time `db:"-" json:"last_seen_at"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
	Addr      string    `db:"addr" json:"addr"`
	UserAgent string    `db:"user_agent" json:"user_agent"`
}

// touchEvery is how often a session's last use is written at most: often
// enough for an idle timeout of minutes, rare enough that requests stay
// reads.
const touchEvery = time.Minute

// touchEvery is touchEvery, or a tenth of a shorter idle timeout.
func (s *Auth) touchEvery() time.Duration {
	if s.idle > 0 {
		return min(touchEvery, s.idle/10)
	}
	return touchEvery
}

// openSession stores a new login session and returns its token. The
// agent's sessions past their TTL are dropped on the way.
func (s *Auth) openSession(ctx context.Context, a *hub.Agent, at Attempt, ttl time.Duration) (string, error) {
	token, hash := hub.NewToken("ks")
	now := s.k.Now()
	ua := []rune(hub.Clean(at.UserAgent))
	ua = ua[:min(len(ua), 255)]
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE agent_id = ? AND expires_at <= ?`, a.ID, now); err != nil {
			return fmt.Errorf("drop expired sessions: %w", err)
		}
		const q = `INSERT INTO sessions (token_hash, id, agent_id, tenant_id, expires_at, created_at, last_seen_at, addr, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
		_, err := tx.Exec(ctx, q, hash, hub.NewID("se"), a.ID, a.TenantID, now.Add(ttl), now, now, hub.Clean(at.Addr), string(ua))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("open session: %w", err)
	}
	return token, nil
}

// Logout ends a session.
func (s *Auth) Logout(ctx context.Context, token string) error {
	_, err := s.k.Exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hub.HashToken(token))
	return err
}

// Authenticate resolves a bearer token (a login session or an API token)
// to its agent. A login session unused for longer than the idle timeout
// has ended; a use is recorded at most once a minute.
func (s *Auth) Authenticate(ctx context.Context, token string) (*hub.Agent, error) {
	h := hub.HashToken(token)
	var sess struct {
		AgentID  string     `db:"agent_id"`
		LastSeen *time.Time `db:"last_seen_at"`
	}
	now := s.k.Now()
	err := s.k.Get(ctx, &sess, `SELECT agent_id, last_seen_at FROM sessions WHERE token_hash = ? AND expires_at > ?`, h, now)
	session := err == nil
	if session && s.idle > 0 && sess.LastSeen != nil && now.Sub(*sess.LastSeen) > s.idle {
		s.Logout(ctx, token)
		return nil, fmt.Errorf("%w: the session ended after %s without use; sign in again", hub.ErrUnauthorized, s.idle)
	}
	if session && (sess.LastSeen == nil || now.Sub(*sess.LastSeen) > s.touchEvery()) {
		const q = `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`
		if _, err := s.k.Exec(ctx, q, now, h); err != nil {
			s.log.Warn("record session use", "err", err)
		}
	}
	if store.NoRows(err) {
		err = s.k.Get(ctx, &sess.AgentID, `SELECT agent_id FROM api_tokens WHERE token_hash = ?`, h)
		if err == nil {
			s.touchToken(ctx, h)
		}
	}
	if store.NoRows(err) {
		return nil, fmt.Errorf("%w: invalid or expired token", hub.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	var a hub.Agent
	if err := s.k.Get(ctx, &a, `SELECT `+agentCols+` FROM agents WHERE id = ?`, sess.AgentID); err != nil {
		return nil, fmt.Errorf("authenticate agent: %w", err)
	}
	if a.Disabled {
		return nil, fmt.Errorf("%w: agent disabled", hub.ErrUnauthorized)
	}
	if session && !a.TOTPEnabled {
		// API tokens are credentials of their own; a login session of an
		// agent who must set up TOTP may only do that.
		if a.SetupRequired, err = s.totpRequired(ctx, &a); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// Sessions lists an agent's open login sessions, the last used first; a
// foreign agent is ErrNotFound.
func (s *Auth) Sessions(ctx context.Context, tenantID, agentID string) ([]Session, error) {
	if err := s.ownAgent(ctx, tenantID, agentID); err != nil {
		return nil, err
	}
	var rows []struct {
		Session
		Seen *time.Time `db:"seen"`
	}
	const q = `SELECT id, agent_id, created_at, last_seen_at AS seen, expires_at, addr, user_agent
		FROM sessions WHERE tenant_id = ? AND agent_id = ? AND expires_at > ? ORDER BY created_at DESC, id`
	if err := s.k.Select(ctx, &rows, q, tenantID, agentID, s.k.Now()); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := []Session{}
	for _, r := range rows {
		r.LastSeen = r.CreatedAt
		if r.Seen != nil {
			r.LastSeen = *r.Seen
		}
		if s.idle == 0 || s.k.Now().Sub(r.LastSeen) <= s.idle {
			out = append(out, r.Session)
		}
	}
	slices.SortStableFunc(out, func(a, b Session) int { return b.LastSeen.Compare(a.LastSeen) })
	return out, nil
}

// EndSession signs one of an agent's sessions out (its sockets close within
// the session recheck); an unknown or foreign one is ErrNotFound.
func (s *Auth) EndSession(ctx context.Context, tenantID, agentID, id string) error {
	n, err := s.k.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND agent_id = ? AND id = ?`, tenantID, agentID, id)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("session %s: %w", id, hub.ErrNotFound)
	}
	return nil
}

// EndSessions signs all of an agent's sessions out; it returns how many.
func (s *Auth) EndSessions(ctx context.Context, tenantID, agentID string) (int64, error) {
	if err := s.ownAgent(ctx, tenantID, agentID); err != nil {
		return 0, err
	}
	n, err := s.k.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND agent_id = ?`, tenantID, agentID)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return n, nil
}

func (s *Auth) ownAgent(ctx context.Context, tenantID, agentID string) error {
	var n int
	if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM agents WHERE tenant_id = ? AND id = ?`, tenantID, agentID); err != nil {
		return fmt.Errorf("find agent: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("agent %s: %w", agentID, hub.ErrNotFound)
	}
	return nil
}
