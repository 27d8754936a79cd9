package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"golang.org/x/crypto/argon2"
)

// Auth is signing in: login sessions, API tokens and TOTP two-factor,
// behind the sign-in guard (failed attempts counted per account, address
// and TOTP in the database, with growing locks).
type Auth struct {
	k       *store.Store
	tenants *Tenants
	log     *slog.Logger
	guard   *guard
	idle    time.Duration // a session unused this long ends (0: never)
}

// Attempt is one sign-in: what was typed, and where it came from.
type Attempt struct {
	Email, Password, TOTP string
	// Addr is the client's address (counted apart from the account);
	// UserAgent its browser, shown in the agent's session list.
	Addr, UserAgent string
}

// Login checks an email and password (and the TOTP code of an agent who
// enabled two-factor) and opens a session. An agent who must set up TOTP
// but has not yet gets a session marked SetupRequired. While the account,
// the address or the agent's TOTP codes are locked, it answers a
// *LockedError without checking anything; a failure that starts an
// account's lock tells its tenant's admins (an agent.locked event, which
// the console shows).
func (s *Auth) Login(ctx context.Context, at Attempt, ttl time.Duration) (string, *hub.Agent, error) {
	email := strings.ToLower(strings.TrimSpace(at.Email))
	acct, addr := guardKey{ScopeAccount, email}, guardKey{ScopeAddress, at.Addr}
	if err := s.guard.check(ctx, acct, addr); err != nil {
		return "", nil, err
	}
	a, err := s.verify(ctx, email, at.Password)
	if errors.Is(err, hub.ErrUnauthorized) {
		return "", nil, s.failed(ctx, a, at.Addr, err, acct, addr)
	}
	if err != nil {
		return "", nil, err
	}
	if err := s.guard.clear(ctx, s.k, acct); err != nil {
		return "", nil, err
	}
	if err := s.checkTOTP(ctx, a, at.TOTP, at.Addr); err != nil {
		return "", nil, err
	}
	if !a.TOTPEnabled {
		if a.SetupRequired, err = s.totpRequired(ctx, a); err != nil {
			return "", nil, err
		}
	}
	token, err := s.openSession(ctx, a, at, ttl)
	if err != nil {
		return "", nil, err
	}
	a.Groups, err = groupsOf(ctx, s.k, a.ID)
	return token, a, err
}

// verify finds the agent of email and checks the password: ErrUnauthorized
// (with the agent, when the email is one) or ErrBusy when no hasher came
// free in time.
func (s *Auth) verify(ctx context.Context, email, password string) (*hub.Agent, error) {
	var a hub.Agent
	err := s.k.Get(ctx, &a, `SELECT `+agentCols+` FROM agents WHERE email = ?`, email)
	if err != nil && !store.NoRows(err) {
		return nil, fmt.Errorf("login: %w", err)
	}
	hash := a.PasswordHash
	if err != nil {
		hash = dummyHash // same work whether or not the email exists
	}
	ok, herr := checkPassword(ctx, HashWait, hash, password)
	if herr != nil {
		return nil, herr
	}
	if err != nil {
		return nil, errWrongCredentials()
	}
	if !ok || a.Disabled {
		return &a, errWrongCredentials()
	}
	return &a, nil
}

// failed counts a failed sign-in for each key; it returns the lock that
// failure started, else cause. A new lock of an agent's account or TOTP
// codes is told to the tenant's admins in the same transaction.
func (s *Auth) failed(ctx context.Context, a *hub.Agent, addr string, cause error, keys ...guardKey) error {
	var first *LockedError
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		first = nil
		for _, key := range keys {
			l, err := s.guard.fail(ctx, tx, key)
			if err != nil || l == nil {
				if err != nil {
					return err
				}
				continue
			}
			if first == nil {
				first = l
			}
			if l.Scope == ScopeAddress {
				s.log.Warn("sign-ins locked for an address", "addr", addr, "until", l.Until)
			} else if a != nil {
				tx.Emit(hub.Event{TenantID: a.TenantID, Type: hub.EvAgentLocked}, map[string]any{"agent_id": a.ID,
					"email": a.Email, "name": a.Name, "reason": l.Scope, "locked_until": l.Until, "addr": addr})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if first != nil {
		return first
	}
	return cause
}

// dummyHash is what a sign-in with an unknown email is checked against, so
// it costs the same argon2id work as a real one: a well-formed hash with
// the current parameters whose key no password produces. Built from the
// parameters, not by hashing at start-up (which took 0.3 s and 19 MiB).
var dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonLanes,
	base64.RawStdEncoding.EncodeToString([]byte("kefu-unknown-usr")), base64.RawStdEncoding.EncodeToString(make([]byte, argonKeyLen)))

func errWrongCredentials() error {
	return hub.Coded("wrong_credentials", fmt.Errorf("%w: wrong email or password", hub.ErrUnauthorized))
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
