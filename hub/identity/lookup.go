package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Account is who an email signs in as: enough to file a failed sign-in in
// the right tenant's audit log.
type Account struct {
	TenantID string `db:"tenant_id"`
	AgentID  string `db:"id"`
	Email    string `db:"email"`
}

// AccountOf returns the account an email names; ok is false when no agent
// has that email.
func (s *Agents) AccountOf(ctx context.Context, email string) (acc Account, ok bool, err error) {
	var rows []Account
	const q = `SELECT tenant_id, id, email FROM agents WHERE email = ?`
	if err := s.k.Select(ctx, &rows, q, strings.ToLower(strings.TrimSpace(email))); err != nil {
		return Account{}, false, fmt.Errorf("account of email: %w", err)
	}
	if len(rows) == 0 {
		return Account{}, false, nil
	}
	return rows[0], true, nil
}

// EmailOf is the sign-in address of one of the tenant's agents
// (hub.ErrNotFound for an agent of another tenant), where the hub writes
// to them (an e-mail notification).
func EmailOf(ctx context.Context, q store.Querier, tenantID, agentID string) (string, error) {
	var rows []string
	if err := q.Select(ctx, &rows, `SELECT email FROM agents WHERE tenant_id = ? AND id = ?`, tenantID, agentID); err != nil {
		return "", fmt.Errorf("agent email: %w", err)
	}
	if len(rows) == 0 {
		return "", fmt.Errorf("agent %s: %w", agentID, hub.ErrNotFound)
	}
	return rows[0], nil
}
