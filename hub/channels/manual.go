package channels

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub/store"
)

// TypeManual is the channel of the customers agents enter by hand (手动录入):
// one per tenant, created on first use, holding no connector and never
// listed among the channels admins bind. It keeps a hand-entered contact
// under the same (channel, external id) key as every other contact.
const TypeManual = "manual"

// ManualID is the id of a tenant's manual channel.
func ManualID(tenantID string) string { return "chm_" + tenantID }

// EnsureManual creates the tenant's manual channel when it does not exist
// yet, in the caller's transaction, and returns its id.
func EnsureManual(ctx context.Context, tx *store.Tx, tenantID string) (string, error) {
	id := ManualID(tenantID)
	const q = `INSERT INTO channels (id, tenant_id, type, name, secret, config, created_at)
		VALUES (?, ?, ?, ?, '', '{}', ?) ON CONFLICT (id) DO NOTHING`
	if _, err := tx.Exec(ctx, q, id, tenantID, TypeManual, "手动录入", tx.Now()); err != nil {
		return "", fmt.Errorf("manual channel: %w", err)
	}
	return id, nil
}
