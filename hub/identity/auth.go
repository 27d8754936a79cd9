package identity

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Auth is signing in: login sessions, API tokens and TOTP two-factor.
type Auth struct {
	k       *store.Store
	tenants *Tenants
	log     *slog.Logger
	guesses totpGuard // wrong TOTP codes per agent (totp.go)
}

// Login checks an email and password (and the TOTP code of an agent who
// enabled two-factor) and opens a session. An agent who must set up TOTP
// but has not yet gets a session marked SetupRequired.
func (s *Auth) Login(ctx context.Context, email, password, code string, ttl time.Duration) (string, *hub.Agent, error) {
	var a hub.Agent
	err := s.k.Get(ctx, &a, `SELECT `+agentCols+` FROM agents WHERE email = ?`, strings.ToLower(strings.TrimSpace(email)))
	if err != nil && !store.NoRows(err) {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if err != nil || a.Disabled || !CheckPassword(a.PasswordHash, password) {
		if err != nil {
			CheckPassword(dummyHash, password) // same work whether or not the email exists
		}
		return "", nil, hub.Coded("wrong_credentials", fmt.Errorf("%w: wrong email or password", hub.ErrUnauthorized))
	}
	if err := s.checkTOTP(ctx, &a, code); err != nil {
		return "", nil, err
	}
	if !a.TOTPEnabled {
		if a.SetupRequired, err = s.totpRequired(ctx, &a); err != nil {
			return "", nil, err
		}
	}
	token, hash := hub.NewToken("ks")
	now := s.k.Now()
	const q = `INSERT INTO sessions (token_hash, agent_id, tenant_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`
	if _, err := s.k.Exec(ctx, q, hash, a.ID, a.TenantID, now.Add(ttl), now); err != nil {
		return "", nil, fmt.Errorf("open session: %w", err)
	}
	a.Groups, err = groupsOf(ctx, s.k, a.ID)
	return token, &a, err
}

var dummyHash = HashPassword("not-a-real-password")

// Logout ends a session.
func (s *Auth) Logout(ctx context.Context, token string) error {
	_, err := s.k.Exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hub.HashToken(token))
	return err
}

// Authenticate resolves a bearer token (a login session or an API token)
// to its agent.
func (s *Auth) Authenticate(ctx context.Context, token string) (*hub.Agent, error) {
	h := hub.HashToken(token)
	var agentID string
	err := s.k.Get(ctx, &agentID, `SELECT agent_id FROM sessions WHERE token_hash = ? AND expires_at > ?`, h, s.k.Now())
	session := err == nil
	if store.NoRows(err) {
		err = s.k.Get(ctx, &agentID, `SELECT agent_id FROM api_tokens WHERE token_hash = ?`, h)
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
	if err := s.k.Get(ctx, &a, `SELECT `+agentCols+` FROM agents WHERE id = ?`, agentID); err != nil {
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

// touchToken records when an API token was last used, at most once a minute
// per token so that integrations do not turn every request into a write.
func (s *Auth) touchToken(ctx context.Context, hash string) {
	now := s.k.Now()
	const q = `UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`
	if _, err := s.k.Exec(ctx, q, now, hash, now.Add(-time.Minute)); err != nil {
		s.log.Warn("record api token use", "err", err)
	}
}

// APIToken is a long-lived integration token (stored hashed).
type APIToken struct {
	ID        string     `db:"id" json:"id"`
	TenantID  string     `db:"tenant_id" json:"-"`
	AgentID   string     `db:"agent_id" json:"agent_id"`
	Name      string     `db:"name" json:"name"`
	TokenHash string     `db:"token_hash" json:"-"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	LastUsed  *time.Time `db:"last_used_at" json:"last_used_at"`
	Token     string     `db:"-" json:"token,omitempty"`
}

// CreateAPIToken issues a token acting as the given agent; the plain token
// is returned once.
func (s *Auth) CreateAPIToken(ctx context.Context, a *hub.Agent, name string) (*APIToken, error) {
	if strings.TrimSpace(name) == "" {
		return nil, hub.Invalid("name is required")
	}
	tok, hash := hub.NewToken("kt")
	t := &APIToken{ID: hub.NewID("tk"), TenantID: a.TenantID, AgentID: a.ID, Name: name, TokenHash: hash, CreatedAt: s.k.Now(), Token: tok}
	const q = `INSERT INTO api_tokens (id, tenant_id, agent_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := s.k.Exec(ctx, q, t.ID, t.TenantID, t.AgentID, t.Name, t.TokenHash, t.CreatedAt); err != nil {
		return nil, fmt.Errorf("create api token: %w", err)
	}
	return t, nil
}

// APITokens lists a tenant's tokens (without the secrets).
func (s *Auth) APITokens(ctx context.Context, tenantID string) ([]APIToken, error) {
	out := []APIToken{}
	q := `SELECT id, tenant_id, agent_id, name, token_hash, created_at, last_used_at FROM api_tokens WHERE tenant_id = ? ORDER BY created_at`
	if err := s.k.Select(ctx, &out, q, tenantID); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken revokes a token.
func (s *Auth) DeleteAPIToken(ctx context.Context, tenantID, id string) error {
	n, err := s.k.Exec(ctx, `DELETE FROM api_tokens WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete api token: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("api token %s: %w", id, hub.ErrNotFound)
	}
	return nil
}
