package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Agents are the people working conversations (and the admins), with their
// status and seats: current_chats counts the open conversations an agent
// holds, against max_chats.
type Agents struct {
	k      *store.Store
	groups *Groups
	guard  *guard
}

// NewAgent is what creating an agent takes.
type NewAgent struct {
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	Name       string   `json:"name"`
	EmployeeNo string   `json:"employee_no"`
	Role       hub.Role `json:"role"`
	MaxChats   int      `json:"max_chats"`
	Groups     []string `json:"groups"`
	hash       string   // the password hashed, before any transaction (see hashed)
}

// hashed validates the new agent and hashes the password — outside any
// transaction: argon2id takes tens of milliseconds, and on SQLite every
// other write would wait for them.
func (na NewAgent) hashed() (NewAgent, error) {
	if err := na.validate(); err != nil {
		return na, err
	}
	na.hash = HashPassword(na.Password)
	return na, nil
}

func validRole(r hub.Role) bool {
	return r == hub.RoleAgent || r == hub.RoleAdmin || r == hub.RoleSupervisor
}

func (na *NewAgent) validate() error {
	na.Email = strings.ToLower(strings.TrimSpace(na.Email))
	if _, err := mail.ParseAddress(na.Email); err != nil || na.Email == "" {
		return hub.BadField("input_format", "email", fmt.Sprintf("email %q is not a valid address", na.Email))
	}
	if len(na.Password) < 8 {
		return hub.BadField("input_too_short", "password", "password must be at least 8 characters", "min", "8")
	}
	if na.Role == "" {
		na.Role = hub.RoleAgent
	}
	if !validRole(na.Role) {
		return hub.BadField("input_choice", "role", "role must be agent, supervisor or admin")
	}
	if na.MaxChats == 0 {
		na.MaxChats = 5
	}
	if na.MaxChats < 0 || na.MaxChats > 1000 {
		return hub.BadField("input_range", "max_chats", "max_chats must be between 1 and 1000", "min", "1", "max", "1000")
	}
	if strings.TrimSpace(na.Name) == "" {
		na.Name = strings.Split(na.Email, "@")[0]
	}
	return nil
}

const agentCols = `id, tenant_id, email, password_hash, name, employee_no, role, superadmin, max_chats,
	current_chats, status, disabled, last_assigned_at, created_at, totp_enabled, require_totp`

func insertAgent(ctx context.Context, tx *store.Tx, tenantID string, na NewAgent, super bool) (*hub.Agent, error) {
	if err := na.validate(); err != nil {
		return nil, err
	}
	if na.hash == "" {
		na.hash = HashPassword(na.Password)
	}
	a := &hub.Agent{ID: hub.NewID("ag"), TenantID: tenantID, Email: na.Email, PasswordHash: na.hash,
		Name: na.Name, EmployeeNo: na.EmployeeNo, Role: na.Role, Superadmin: super, MaxChats: na.MaxChats,
		Status: hub.StatusOffline, CreatedAt: tx.Now(), Groups: []string{}}
	const q = `INSERT INTO agents (` + agentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, FALSE, NULL, ?, FALSE, FALSE)`
	_, err := tx.Exec(ctx, q, a.ID, a.TenantID, a.Email, a.PasswordHash, a.Name, a.EmployeeNo,
		a.Role, a.Superadmin, a.MaxChats, a.Status, a.CreatedAt)
	if store.IsUnique(err) {
		return nil, hub.Coded("email_taken", fmt.Errorf("%w: an agent with email %s already exists", hub.ErrConflict, a.Email), "email", a.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("insert agent: %w", err)
	}
	for _, g := range na.Groups {
		id, err := addMember(ctx, tx, tenantID, g, a.ID)
		if err != nil {
			return nil, err
		}
		a.Groups = append(a.Groups, id)
	}
	return a, nil
}

// Create adds an agent to a tenant.
func (s *Agents) Create(ctx context.Context, tenantID string, na NewAgent) (*hub.Agent, error) {
	na, err := na.hashed()
	if err != nil {
		return nil, err
	}
	var a *hub.Agent
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		a, err = insertAgent(ctx, tx, tenantID, na, false)
		return err
	})
	return a, err
}

// Get returns one agent of a tenant; a foreign id is ErrNotFound.
func (s *Agents) Get(ctx context.Context, tenantID, id string) (*hub.Agent, error) {
	var a hub.Agent
	if err := s.k.Get(ctx, &a, `SELECT `+agentCols+` FROM agents WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("agent %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get agent: %w", err)
	}
	groups, err := s.groups.Of(ctx, a.ID)
	a.Groups = groups
	return &a, err
}

// List returns a tenant's agents.
func (s *Agents) List(ctx context.Context, tenantID string) ([]hub.Agent, error) {
	agents := []hub.Agent{}
	q := `SELECT ` + agentCols + ` FROM agents WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.k.Select(ctx, &agents, q, tenantID); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	for i := range agents {
		g, err := s.groups.Of(ctx, agents[i].ID)
		if err != nil {
			return nil, err
		}
		agents[i].Groups = g
	}
	return agents, nil
}

// Find resolves an agent named by id, employee number or email ("" when
// none of the tenant matches: a direct link to an unknown agent is ignored,
// not an error).
func (s *Agents) Find(ctx context.Context, tenantID, who string) string {
	var ids []string
	q := `SELECT id FROM agents WHERE tenant_id = ? AND (id = ? OR email = ? OR (employee_no <> '' AND employee_no = ?))`
	if err := s.k.Select(ctx, &ids, q, tenantID, who, who, who); err != nil || len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// SetStatus changes an agent's status (online / busy / offline) and tells
// admins. Going online frees capacity, so the caller drains queues.
func (s *Agents) SetStatus(ctx context.Context, a *hub.Agent, status hub.AgentStatus) error {
	if status != hub.StatusOnline && status != hub.StatusBusy && status != hub.StatusOffline {
		return hub.BadField("input_choice", "status", "status must be online, busy or offline")
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agents SET status = ? WHERE tenant_id = ? AND id = ?`, status, a.TenantID, a.ID); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		a.Status = status
		tx.Emit(hub.Event{TenantID: a.TenantID, Type: hub.EvAgentStatus}, map[string]any{"agent_id": a.ID, "status": status})
		return nil
	})
}

// Patch is a partial update by an admin; nil fields stay as they are.
type Patch struct {
	Name       *string   `json:"name"`
	EmployeeNo *string   `json:"employee_no"`
	Role       *hub.Role `json:"role"`
	MaxChats   *int      `json:"max_chats"`
	Disabled   *bool     `json:"disabled"`
	Password   *string   `json:"password"`
	Groups     *[]string `json:"groups"`
	// RequireTOTP makes the agent set up two-factor at their next login.
	RequireTOTP *bool `json:"require_totp"`
	// ResetTOTP removes the agent's authenticator (a lost phone); they set
	// up a new one at their next login when TOTP is required.
	ResetTOTP bool `json:"reset_totp"`
}

func (p *Patch) validate() error {
	if p.Role != nil && !validRole(*p.Role) {
		return hub.BadField("input_choice", "role", "role must be agent, supervisor or admin")
	}
	if p.MaxChats != nil && (*p.MaxChats < 1 || *p.MaxChats > 1000) {
		return hub.BadField("input_range", "max_chats", "max_chats must be between 1 and 1000", "min", "1", "max", "1000")
	}
	if p.Password != nil && len(*p.Password) < 8 {
		return hub.BadField("input_too_short", "password", "password must be at least 8 characters", "min", "8")
	}
	return nil
}

// SignOff is what disabling an agent also does, in the same transaction:
// their open conversations go back to the queue (the routing store's).
type SignOff func(ctx context.Context, tx *store.Tx, a *hub.Agent, why string) error

// Update applies a patch. Disabling an agent logs them out (sessions
// revoked, status offline, seats freed) and signOff puts their open
// conversations back in the queue; a new password or a TOTP reset also ends
// their sessions. Raising max chats, enabling or requeueing frees capacity,
// so the caller drains queues afterwards.
func (s *Agents) Update(ctx context.Context, tenantID, id string, p Patch, signOff SignOff) (*hub.Agent, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	a, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	disabling := p.Disabled != nil && *p.Disabled && !a.Disabled
	wasAdmin := a.Role == hub.RoleAdmin && !a.Disabled
	set(&a.Name, p.Name)
	set(&a.EmployeeNo, p.EmployeeNo)
	set(&a.Role, p.Role)
	set(&a.MaxChats, p.MaxChats)
	set(&a.Disabled, p.Disabled)
	set(&a.RequireTOTP, p.RequireTOTP)
	if p.Password != nil {
		a.PasswordHash = HashPassword(*p.Password)
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		if wasAdmin && (a.Disabled || a.Role != hub.RoleAdmin) {
			if err := otherAdmin(ctx, tx, a, s.k.ForUpdate()); err != nil {
				return err
			}
		}
		const q = `UPDATE agents SET name = ?, employee_no = ?, role = ?, max_chats = ?, disabled = ?, password_hash = ?,
			require_totp = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.Exec(ctx, q, a.Name, a.EmployeeNo, a.Role, a.MaxChats, a.Disabled,
			a.PasswordHash, a.RequireTOTP, tenantID, id); err != nil {
			return fmt.Errorf("update agent: %w", err)
		}
		if p.ResetTOTP {
			const r = `UPDATE agents SET totp_enabled = FALSE, totp_secret = '', totp_pending = '' WHERE id = ?`
			if _, err := tx.Exec(ctx, r, id); err != nil {
				return fmt.Errorf("reset totp: %w", err)
			}
		}
		if p.Password != nil || p.ResetTOTP || disabling {
			if err := endSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		if p.Password != nil || p.ResetTOTP {
			if err := s.unlock(ctx, tx, a); err != nil {
				return err
			}
		}
		if disabling {
			if err := s.signOff(ctx, tx, a); err != nil {
				return err
			}
			if signOff != nil {
				if err := signOff(ctx, tx, a, "the agent was disabled"); err != nil {
					return err
				}
			}
		}
		if p.Groups == nil {
			return nil
		}
		return setGroups(ctx, tx, tenantID, id, *p.Groups)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, tenantID, id)
}

// ErrLastAdmin refuses to deactivate or demote a tenant's last active admin:
// nobody would be left to run the console.
var ErrLastAdmin = fmt.Errorf("%w: the last active admin cannot be deactivated or demoted", hub.ErrConflict)

// otherAdmin checks, with the tenant's active admins locked, that one
// besides a remains (two admins deactivating each other at once cannot
// both succeed).
func otherAdmin(ctx context.Context, tx *store.Tx, a *hub.Agent, lock string) error {
	var ids []string
	q := `SELECT id FROM agents WHERE tenant_id = ? AND role = 'admin' AND NOT disabled` + lock
	if err := tx.Select(ctx, &ids, q, a.TenantID); err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	for _, id := range ids {
		if id != a.ID {
			return nil
		}
	}
	return ErrLastAdmin
}

// signOff sets an agent offline with no seats taken and tells admins.
func (s *Agents) signOff(ctx context.Context, tx *store.Tx, a *hub.Agent) error {
	if _, err := tx.Exec(ctx, `UPDATE agents SET status = 'offline', current_chats = 0 WHERE id = ?`, a.ID); err != nil {
		return fmt.Errorf("sign off agent: %w", err)
	}
	a.Status, a.CurrentChats = hub.StatusOffline, 0
	// addressed to the agent too: their open sockets end on it at once
	tx.Emit(hub.Event{TenantID: a.TenantID, Type: hub.EvAgentStatus, AgentID: a.ID}, map[string]any{"agent_id": a.ID, "status": hub.StatusOffline})
	return nil
}

func endSessions(ctx context.Context, tx *store.Tx, agentID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE agent_id = ?`, agentID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// unlock lifts the locks of an agent's sign-ins and TOTP codes: an admin
// who set a new password or TOTP answered the lock notice.
func (s *Agents) unlock(ctx context.Context, tx *store.Tx, a *hub.Agent) error {
	for _, key := range []guardKey{{ScopeAccount, a.Email}, {ScopeTOTP, a.ID}} {
		if err := s.guard.clear(ctx, tx, key); err != nil {
			return err
		}
	}
	return nil
}

// ResetPassword gives the agent a generated password, returned once, ends
// their sessions and lifts the locks of their sign-ins.
func (s *Agents) ResetPassword(ctx context.Context, tenantID, id string) (string, error) {
	a, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	pw := base64.RawURLEncoding.EncodeToString(b)
	hash := HashPassword(pw) // before the transaction (see NewAgent.hashed)
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agents SET password_hash = ? WHERE tenant_id = ? AND id = ?`,
			hash, tenantID, id); err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		if err := s.unlock(ctx, tx, a); err != nil {
			return err
		}
		return endSessions(ctx, tx, id)
	})
	if err != nil {
		return "", err
	}
	return pw, nil
}

// Candidates loads the agents of one routing plan step: a group's members
// (with their round-robin turns), one agent, or every agent of the tenant.
func (s *Agents) Candidates(ctx context.Context, tenantID string, step routing.Step) ([]routing.Candidate, error) {
	type row struct {
		ID       string          `db:"id"`
		Name     string          `db:"name"`
		Status   hub.AgentStatus `db:"status"`
		Disabled bool            `db:"disabled"`
		Current  int             `db:"current_chats"`
		Max      int             `db:"max_chats"`
		Last     *time.Time      `db:"last_assigned_at"`
		Turn     int64           `db:"rr_turn"`
	}
	q := `SELECT a.id, a.name, a.status, a.disabled, a.current_chats, a.max_chats, a.last_assigned_at, 0 AS rr_turn
		FROM agents a WHERE a.tenant_id = ?`
	args := []any{tenantID}
	switch step.Kind {
	case routing.KindGroup:
		q = `SELECT a.id, a.name, a.status, a.disabled, a.current_chats, a.max_chats, a.last_assigned_at, m.rr_turn
			FROM agents a JOIN group_members m ON m.agent_id = a.id WHERE a.tenant_id = ? AND m.group_id = ?`
		args = append(args, step.ID)
	case routing.KindAgent:
		q += ` AND a.id = ?`
		args = append(args, step.ID)
	}
	var rows []row
	if err := s.k.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("load candidates: %w", err)
	}
	out := make([]routing.Candidate, len(rows))
	for i, r := range rows {
		out[i] = routing.Candidate{ID: r.ID, Name: r.Name, Status: string(r.Status), Disabled: r.Disabled, Current: r.Current,
			Max: r.Max, Turn: r.Turn}
		if r.Last != nil {
			out[i].LastAssignedAt = *r.Last
		}
	}
	return out, nil
}

// ErrNoSeat is a claim that found the agent offline, disabled or at their
// maximum of concurrent chats.
var ErrNoSeat = errors.New("the agent is offline or at their maximum of concurrent chats")

// Seat conditions: what an agent must be to take a conversation.
const (
	// Routed: routing gives conversations only to online agents.
	Routed = `status = 'online'`
	// Present: an agent picks up or is transferred to while online or busy.
	Present = `status <> 'offline'`
)

// ClaimSeat takes one of the agent's seats in the caller's transaction, if
// the agent is enabled, in the state cond says (Routed or Present) and
// under their maximum; else ErrNoSeat. The conditional update makes two
// processes unable to over-assign an agent.
func ClaimSeat(ctx context.Context, tx *store.Tx, tenantID, agentID, cond string) error {
	q := `UPDATE agents SET current_chats = current_chats + 1, last_assigned_at = ?
		WHERE tenant_id = ? AND id = ? AND ` + cond + ` AND NOT disabled AND current_chats < max_chats`
	n, err := tx.Exec(ctx, q, tx.Now(), tenantID, agentID)
	if err != nil {
		return fmt.Errorf("claim agent: %w", err)
	}
	if n == 0 {
		return ErrNoSeat
	}
	return nil
}

// ClaimSeats is ClaimSeat for several agents' seats at once (agent →
// seats) in one PostgreSQL statement: every claim or none (ErrNoSeat).
// (SQLite, one writer without round trips, claims one at a time.)
func ClaimSeats(ctx context.Context, tx *store.Tx, tenantID string, seats map[string]int, cond string) error {
	args := []any{tx.Now()}
	for id, n := range seats {
		args = append(args, id, n)
	}
	q := `UPDATE agents SET current_chats = current_chats + v.n, last_assigned_at = ?
		FROM (VALUES ` + store.TypedRows(len(seats), "text", "int") + `) AS v(id, n)
		WHERE tenant_id = ? AND agents.id = v.id AND ` + cond + ` AND NOT disabled AND current_chats + v.n <= max_chats`
	n, err := tx.Exec(ctx, q, append(args, tenantID)...)
	if err != nil {
		return fmt.Errorf("claim agents: %w", err)
	}
	if n != int64(len(seats)) {
		return ErrNoSeat
	}
	return nil
}

// ReleaseSeat gives back a seat an open conversation held.
func ReleaseSeat(ctx context.Context, tx *store.Tx, agentID string) error {
	const q = `UPDATE agents SET current_chats = current_chats - 1 WHERE id = ? AND current_chats > 0`
	if _, err := tx.Exec(ctx, q, agentID); err != nil {
		return fmt.Errorf("release capacity: %w", err)
	}
	return nil
}
