package reports

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// clocks are the working-time clocks of a tenant's groups, read the first
// time a fact needs one (one query a batch): the hours as they are when
// the facts are written.
type clocks struct {
	ctx      context.Context
	tx       *store.Tx
	tenantID string
	byGroup  map[string]hub.Clock
	err      error
}

func groupClocks(ctx context.Context, tx *store.Tx, tenantID string) *clocks {
	return &clocks{ctx: ctx, tx: tx, tenantID: tenantID}
}

// of is the clock of a group's business hours in the tenant's time zone;
// calendar time without a group, without hours, or when they cannot be
// read (the error is kept for the batch to fail on).
func (c *clocks) of(group string) hub.Clock {
	if group == "" {
		return hub.Clock{}
	}
	if c.byGroup == nil {
		c.byGroup = map[string]hub.Clock{}
		var rows []struct {
			ID       string `db:"id"`
			Settings string `db:"settings"`
			Timezone string `db:"timezone"`
		}
		const q = `SELECT g.id, g.settings, t.timezone FROM agent_groups g JOIN tenants t ON t.id = g.tenant_id
			WHERE g.tenant_id = ?`
		if err := c.tx.Select(c.ctx, &rows, q, c.tenantID); err != nil {
			c.err = fmt.Errorf("report group hours: %w", err)
			return hub.Clock{}
		}
		for _, r := range rows {
			var gs struct {
				Hours *hub.Hours `json:"business_hours"`
			}
			_ = json.Unmarshal([]byte(r.Settings), &gs) // damaged settings: calendar time
			c.byGroup[r.ID] = gs.Hours.Clock(r.Timezone)
		}
	}
	return c.byGroup[group]
}
