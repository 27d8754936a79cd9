package hub

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// NewAgent is what creating an agent takes.
type NewAgent struct {
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	Name       string   `json:"name"`
	EmployeeNo string   `json:"employee_no"`
	Role       string   `json:"role"`
	MaxChats   int      `json:"max_chats"`
	Groups     []string `json:"groups"`
}

func (na *NewAgent) validate() error {
	na.Email = strings.ToLower(strings.TrimSpace(na.Email))
	if _, err := mail.ParseAddress(na.Email); err != nil || na.Email == "" {
		return Invalid("email %q is not a valid address", na.Email)
	}
	if len(na.Password) < 8 {
		return Invalid("password must be at least 8 characters")
	}
	if na.Role == "" {
		na.Role = RoleAgent
	}
	if na.Role != RoleAgent && na.Role != RoleAdmin && na.Role != RoleSupervisor {
		return Invalid("role must be agent, supervisor or admin")
	}
	if na.MaxChats == 0 {
		na.MaxChats = 5
	}
	if na.MaxChats < 0 || na.MaxChats > 1000 {
		return Invalid("max_chats must be between 1 and 1000")
	}
	if strings.TrimSpace(na.Name) == "" {
		na.Name = strings.Split(na.Email, "@")[0]
	}
	return nil
}

const agentCols = `id, tenant_id, email, password_hash, name, employee_no, role, superadmin, max_chats,
	current_chats, status, disabled, last_assigned_at, created_at, totp_enabled, require_totp`

func (s *Store) insertAgent(ctx context.Context, tx *sqlx.Tx, tenantID string, na NewAgent, super bool) (*Agent, error) {
	if err := na.validate(); err != nil {
		return nil, err
	}
	a := &Agent{ID: NewID("ag"), TenantID: tenantID, Email: na.Email, PasswordHash: HashPassword(na.Password),
		Name: na.Name, EmployeeNo: na.EmployeeNo, Role: na.Role, Superadmin: super, MaxChats: na.MaxChats,
		Status: StatusOffline, CreatedAt: s.now(), Groups: []string{}}
	const q = `INSERT INTO agents (` + agentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, FALSE, NULL, ?, FALSE, FALSE)`
	_, err := tx.ExecContext(ctx, tx.Rebind(q), a.ID, a.TenantID, a.Email, a.PasswordHash, a.Name, a.EmployeeNo,
		a.Role, a.Superadmin, a.MaxChats, a.Status, a.CreatedAt)
	if db.IsUnique(err) {
		return nil, fmt.Errorf("%w: an agent with email %s already exists", ErrConflict, a.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("insert agent: %w", err)
	}
	for _, g := range na.Groups {
		id, err := s.addMemberID(ctx, tx, tenantID, g, a.ID)
		if err != nil {
			return nil, err
		}
		a.Groups = append(a.Groups, id)
	}
	return a, nil
}

// CreateAgent adds an agent to a tenant.
func (s *Store) CreateAgent(ctx context.Context, tenantID string, na NewAgent) (*Agent, error) {
	var a *Agent
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		a, err = s.insertAgent(ctx, tx, tenantID, na, false)
		return err
	})
	return a, err
}

// Agent returns one agent of a tenant; a foreign id is ErrNotFound.
func (s *Store) Agent(ctx context.Context, tenantID, id string) (*Agent, error) {
	var a Agent
	q := `SELECT ` + agentCols + ` FROM agents WHERE tenant_id = ? AND id = ?`
	if err := s.db.R.GetContext(ctx, &a, s.db.R.Rebind(q), tenantID, id); err != nil {
		if db.NoRows(err) {
			return nil, fmt.Errorf("agent %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("get agent: %w", err)
	}
	groups, err := s.agentGroups(ctx, a.ID)
	a.Groups = groups
	return &a, err
}

func (s *Store) agentGroups(ctx context.Context, agentID string) ([]string, error) {
	groups := []string{}
	err := s.db.R.SelectContext(ctx, &groups, s.db.R.Rebind(`SELECT group_id FROM group_members WHERE agent_id = ? ORDER BY group_id`), agentID)
	if err != nil {
		return nil, fmt.Errorf("agent groups: %w", err)
	}
	return groups, nil
}

// Agents lists a tenant's agents.
func (s *Store) Agents(ctx context.Context, tenantID string) ([]Agent, error) {
	agents := []Agent{}
	q := `SELECT ` + agentCols + ` FROM agents WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.db.R.SelectContext(ctx, &agents, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	for i := range agents {
		g, err := s.agentGroups(ctx, agents[i].ID)
		if err != nil {
			return nil, err
		}
		agents[i].Groups = g
	}
	return agents, nil
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// SetStatus changes an agent's status (online / busy / offline) and tells
// admins. Going online frees capacity, so the caller drains queues.
func (s *Store) SetStatus(ctx context.Context, a *Agent, status string) error {
	if status != StatusOnline && status != StatusBusy && status != StatusOffline {
		return Invalid("status must be online, busy or offline")
	}
	return s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		const q = `UPDATE agents SET status = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), status, a.TenantID, a.ID); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		a.Status = status
		fx.emit(&Channel{TenantID: a.TenantID}, EvAgentStatus, "", "", map[string]any{"agent_id": a.ID, "status": status})
		return nil
	})
}

// Login checks an email and password (and the TOTP code of an agent who
// enabled two-factor) and opens a session. An agent who must set up TOTP
// but has not yet gets a session marked SetupRequired (totp.go).
func (s *Store) Login(ctx context.Context, email, password, code string, ttl time.Duration) (string, *Agent, error) {
	var a Agent
	q := `SELECT ` + agentCols + ` FROM agents WHERE email = ?`
	err := s.db.R.GetContext(ctx, &a, s.db.R.Rebind(q), strings.ToLower(strings.TrimSpace(email)))
	if err != nil && !db.NoRows(err) {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if err != nil || a.Disabled || !CheckPassword(a.PasswordHash, password) {
		if err != nil {
			CheckPassword(dummyHash, password) // same work whether or not the email exists
		}
		return "", nil, fmt.Errorf("%w: wrong email or password", ErrUnauthorized)
	}
	if err := s.checkTOTP(ctx, &a, code); err != nil {
		return "", nil, err
	}
	if !a.TOTPEnabled {
		if a.SetupRequired, err = s.totpRequired(ctx, &a); err != nil {
			return "", nil, err
		}
	}
	token, hash := NewToken("ks")
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO sessions (token_hash, agent_id, tenant_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), hash, a.ID, a.TenantID, s.now().Add(ttl), s.now())
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("open session: %w", err)
	}
	a.Groups, err = s.agentGroups(ctx, a.ID)
	return token, &a, err
}

var dummyHash = HashPassword("not-a-real-password")

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE token_hash = ?`), HashToken(token))
		return err
	})
}

// Authenticate resolves a bearer token (a login session or an API token)
// to its agent.
func (s *Store) Authenticate(ctx context.Context, token string) (*Agent, error) {
	h := HashToken(token)
	var agentID string
	q := `SELECT agent_id FROM sessions WHERE token_hash = ? AND expires_at > ?`
	err := s.db.R.GetContext(ctx, &agentID, s.db.R.Rebind(q), h, s.now())
	session := err == nil
	if db.NoRows(err) {
		err = s.db.R.GetContext(ctx, &agentID, s.db.R.Rebind(`SELECT agent_id FROM api_tokens WHERE token_hash = ?`), h)
		if err == nil {
			s.touchToken(ctx, h)
		}
	}
	if db.NoRows(err) {
		return nil, fmt.Errorf("%w: invalid or expired token", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	var a Agent
	if err := s.db.R.GetContext(ctx, &a, s.db.R.Rebind(`SELECT `+agentCols+` FROM agents WHERE id = ?`), agentID); err != nil {
		return nil, fmt.Errorf("authenticate agent: %w", err)
	}
	if a.Disabled {
		return nil, fmt.Errorf("%w: agent disabled", ErrUnauthorized)
	}
	if session && !a.TOTPEnabled {
		// API tokens are credentials of their own; a login session of an
		// agent who must set up TOTP may only do that (workbench/auth.go).
		if a.SetupRequired, err = s.totpRequired(ctx, &a); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// touchToken records when an API token was last used, at most once a minute
// per token so that integrations do not turn every request into a write.
func (s *Store) touchToken(ctx context.Context, hash string) {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), now, hash, now.Add(-time.Minute))
		return err
	})
	if err != nil {
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
func (s *Store) CreateAPIToken(ctx context.Context, a *Agent, name string) (*APIToken, error) {
	if strings.TrimSpace(name) == "" {
		return nil, Invalid("name is required")
	}
	tok, hash := NewToken("kt")
	t := &APIToken{ID: NewID("tk"), TenantID: a.TenantID, AgentID: a.ID, Name: name, TokenHash: hash, CreatedAt: s.now(), Token: tok}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO api_tokens (id, tenant_id, agent_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), t.ID, t.TenantID, t.AgentID, t.Name, t.TokenHash, t.CreatedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create api token: %w", err)
	}
	return t, nil
}

// APITokens lists a tenant's tokens (without the secrets).
func (s *Store) APITokens(ctx context.Context, tenantID string) ([]APIToken, error) {
	out := []APIToken{}
	q := `SELECT id, tenant_id, agent_id, name, token_hash, created_at, last_used_at FROM api_tokens WHERE tenant_id = ? ORDER BY created_at`
	if err := s.db.R.SelectContext(ctx, &out, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken revokes a token.
func (s *Store) DeleteAPIToken(ctx context.Context, tenantID, id string) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM api_tokens WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return fmt.Errorf("delete api token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("api token %s: %w", id, ErrNotFound)
		}
		return nil
	})
}
