-- +goose Up
-- The routing store keeps its own index of who waits: waiting is true
-- exactly while the conversation's status is queued (set in the same
-- transactions), so queue order, positions and the FIFO check read only
-- this table, through a partial index, however long the history grows.
ALTER TABLE conversation_routing ADD COLUMN waiting BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE conversation_routing ADD COLUMN queued_at TIMESTAMPTZ;
INSERT INTO conversation_routing (conversation_id, tenant_id)
  SELECT c.id, c.tenant_id FROM conversations c WHERE c.status = 'queued'
  AND NOT EXISTS (SELECT 1 FROM conversation_routing r WHERE r.conversation_id = c.id);
UPDATE conversation_routing SET waiting = TRUE,
  queued_at = (SELECT c.queued_at FROM conversations c WHERE c.id = conversation_routing.conversation_id)
  WHERE conversation_id IN (SELECT id FROM conversations WHERE status = 'queued');
CREATE INDEX conversation_routing_waiting ON conversation_routing(tenant_id, queue_key, queued_at, conversation_id) WHERE waiting;
CREATE INDEX conversation_routing_line ON conversation_routing(tenant_id, queued_at, conversation_id) WHERE waiting;

-- +goose Down
DROP INDEX conversation_routing_line;
DROP INDEX conversation_routing_waiting;
ALTER TABLE conversation_routing DROP COLUMN queued_at;
ALTER TABLE conversation_routing DROP COLUMN waiting;
