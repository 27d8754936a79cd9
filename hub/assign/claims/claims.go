// Package claims writes a routing transaction's assignments together. A
// routing pass on PostgreSQL decides from the agents' loads it has read
// (see package assign) and, instead of three one-row statements per
// conversation (the agent's seat, the conversation, its routing state),
// queues each claim and writes them all before the transaction's next
// statement or its commit (store.Tx.Before): one round trip per kind. The
// seats stay conditional: when one was taken meanwhile (another process
// assigned, the agent went offline) the transaction fails with
// store.ErrConflict and the pass runs again claim by claim.
package claims

import (
	"context"
	"errors"
	"fmt"

	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// Claim is one conversation given to an agent by routing: the conversation
// taken (in memory already) and the plan stage and queue it left.
type Claim struct {
	TenantID string
	Take     conversations.Taking
	Stage    int
	Key      string
	Reason   string
}

// Batch is the claims of one transaction not written yet.
type Batch struct{ list []Claim }

// Add queues a claim; the first of a batch asks tx to write them before
// its next statement or commit.
func (b *Batch) Add(tx *store.Tx, c Claim) {
	if len(b.list) == 0 {
		tx.Before(func(ctx context.Context) error { return b.write(ctx, tx) })
	}
	b.list = append(b.list, c)
}

func (b *Batch) write(ctx context.Context, tx *store.Tx) error {
	cs := b.list
	b.list = nil
	if len(cs) == 0 {
		return nil
	}
	seats := map[string]int{}
	takes := make([]conversations.Taking, len(cs))
	for i, c := range cs {
		seats[c.Take.AgentID]++
		takes[i] = c.Take
	}
	err := identity.ClaimSeats(ctx, tx, cs[0].TenantID, seats, identity.Routed)
	if err == nil {
		err = conversations.TakeAll(ctx, tx, takes)
	}
	if errors.Is(err, identity.ErrNoSeat) || errors.Is(err, conversations.ErrMoved) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	if err != nil {
		return err
	}
	return leftQueues(ctx, tx, cs)
}

// LeftQueue records in the routing state that an assigned conversation no
// longer waits, at once: the FIFO check of the next conversation in the
// same transaction must not see it waiting.
func LeftQueue(ctx context.Context, tx *store.Tx, convID string, stage int, key, reason string) error {
	const up = `UPDATE conversation_routing SET stage = ?, queue_key = ?, announced_position = 0, last_reason = ?,
		waiting = FALSE WHERE conversation_id = ?`
	if _, err := tx.Exec(ctx, up, stage, key, reason, convID); err != nil {
		return fmt.Errorf("update routing state: %w", err)
	}
	return nil
}

// leftQueues is LeftQueue for every claim, in one statement (PostgreSQL).
func leftQueues(ctx context.Context, tx *store.Tx, cs []Claim) error {
	var args []any
	for _, c := range cs {
		args = append(args, c.Take.ID, c.Stage, c.Key, c.Reason)
	}
	q := `UPDATE conversation_routing SET stage = v.stage, queue_key = v.key, announced_position = 0,
		last_reason = v.reason, waiting = FALSE FROM (VALUES ` + store.TypedRows(len(cs), "text", "int", "text", "text") + `)
		AS v(id, stage, key, reason) WHERE conversation_id = v.id`
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("update routing states: %w", err)
	}
	return nil
}
