package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// AgentPatch is a partial update by an admin; nil fields stay as they are.
type AgentPatch struct {
	Name       *string   `json:"name"`
	EmployeeNo *string   `json:"employee_no"`
	Role       *string   `json:"role"`
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

func (p *AgentPatch) validate() error {
	if p.Role != nil && *p.Role != RoleAgent && *p.Role != RoleAdmin && *p.Role != RoleSupervisor {
		return Invalid("role must be agent, supervisor or admin")
	}
	if p.MaxChats != nil && (*p.MaxChats < 1 || *p.MaxChats > 1000) {
		return Invalid("max_chats must be between 1 and 1000")
	}
	if p.Password != nil && len(*p.Password) < 8 {
		return Invalid("password must be at least 8 characters")
	}
	return nil
}

// UpdateAgent applies a patch. Disabling an agent logs them out (sessions
// revoked, status offline) and puts their open conversations back in the
// queue; a new password or a TOTP reset also ends their sessions. Raising
// max chats, enabling or requeueing frees capacity, so the caller drains
// queues afterwards.
func (s *Store) UpdateAgent(ctx context.Context, tenantID, id string, p AgentPatch) (*Agent, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	a, err := s.Agent(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	disabling := p.Disabled != nil && *p.Disabled && !a.Disabled
	set(&a.Name, p.Name)
	set(&a.EmployeeNo, p.EmployeeNo)
	set(&a.Role, p.Role)
	set(&a.MaxChats, p.MaxChats)
	set(&a.Disabled, p.Disabled)
	set(&a.RequireTOTP, p.RequireTOTP)
	if p.Password != nil {
		a.PasswordHash = HashPassword(*p.Password)
	}
	err = s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		const q = `UPDATE agents SET name = ?, employee_no = ?, role = ?, max_chats = ?, disabled = ?, password_hash = ?,
			require_totp = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), a.Name, a.EmployeeNo, a.Role, a.MaxChats, a.Disabled,
			a.PasswordHash, a.RequireTOTP, tenantID, id); err != nil {
			return fmt.Errorf("update agent: %w", err)
		}
		if p.ResetTOTP {
			const r = `UPDATE agents SET totp_enabled = FALSE, totp_secret = '', totp_pending = '' WHERE id = ?`
			if _, err := tx.ExecContext(ctx, tx.Rebind(r), id); err != nil {
				return fmt.Errorf("reset totp: %w", err)
			}
		}
		if p.Password != nil || p.ResetTOTP || disabling {
			if err := endSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		if disabling {
			if err := s.signOff(ctx, tx, fx, a, "the agent was disabled"); err != nil {
				return err
			}
		}
		if p.Groups == nil {
			return nil
		}
		return s.setGroups(ctx, tx, tenantID, id, *p.Groups)
	})
	if err != nil {
		return nil, err
	}
	return s.Agent(ctx, tenantID, id)
}

func endSessions(ctx context.Context, tx *sqlx.Tx, agentID string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE agent_id = ?`), agentID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

func (s *Store) setGroups(ctx context.Context, tx *sqlx.Tx, tenantID, agentID string, groups []string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM group_members WHERE agent_id = ?`), agentID); err != nil {
		return fmt.Errorf("clear groups: %w", err)
	}
	for _, g := range groups {
		if err := s.addMember(ctx, tx, tenantID, g, agentID); err != nil {
			return err
		}
	}
	return nil
}

// signOff sets an agent offline and puts their open conversations back in
// the queue with a fresh routing plan (the agent's old plan may name them).
// Their seats are freed; the caller drains the queue.
func (s *Store) signOff(ctx context.Context, tx *sqlx.Tx, fx *effects, a *Agent, why string) error {
	const st = `UPDATE agents SET status = 'offline', current_chats = 0 WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(st), a.ID); err != nil {
		return fmt.Errorf("sign off agent: %w", err)
	}
	a.Status, a.CurrentChats = StatusOffline, 0
	fx.emit(&Channel{TenantID: a.TenantID}, EvAgentStatus, "", "", map[string]any{"agent_id": a.ID, "status": StatusOffline})
	var convs []Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND assignee_id = ? AND status = 'open'` + s.db.ForUpdate()
	if err := tx.SelectContext(ctx, &convs, tx.Rebind(q), a.TenantID, a.ID); err != nil {
		return fmt.Errorf("agent's open conversations: %w", err)
	}
	now := s.now()
	for i := range convs {
		c := &convs[i]
		const up = `UPDATE conversations SET status = 'queued', assignee_id = NULL, queued_at = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(up), now, now, c.ID); err != nil {
			return fmt.Errorf("requeue conversation: %w", err)
		}
		const rp = `UPDATE conversation_routing SET plan = '', stage = 0 WHERE conversation_id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(rp), c.ID); err != nil {
			return fmt.Errorf("reset routing plan: %w", err)
		}
		c.Status, c.AssigneeID, c.QueuedAt, c.UpdatedAt = ConvQueued, nil, &now, now
		if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "queued", AgentID: a.ID, Reason: why}); err != nil {
			return err
		}
		ch := &Channel{ID: c.ChannelID, TenantID: c.TenantID}
		payload := map[string]any{"conversation": c, "from_agent_id": a.ID, "reason": why}
		fx.emit(ch, EvConversationTransferred, c.ID, a.ID, payload)
		fx.emit(ch, EvConversationQueued, c.ID, "", payload)
	}
	return nil
}

// ResetPassword gives the agent a generated password, returned once, and
// ends their sessions.
func (s *Store) ResetPassword(ctx context.Context, tenantID, id string) (string, error) {
	if _, err := s.Agent(ctx, tenantID, id); err != nil {
		return "", err
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	pw := base64.RawURLEncoding.EncodeToString(b)
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `UPDATE agents SET password_hash = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), HashPassword(pw), tenantID, id); err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		return endSessions(ctx, tx, id)
	})
	if err != nil {
		return "", err
	}
	return pw, nil
}
