-- +goose Up
-- The sweeper asks every second which tenants have waiting conversations,
-- and routing reads a group's queue oldest first: index only the waiting
-- ones so that neither scan grows with the conversation history.
CREATE INDEX conversations_waiting ON conversations(tenant_id, queued_at, id) WHERE status = 'queued';

-- +goose Down
DROP INDEX conversations_waiting;
