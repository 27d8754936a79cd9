-- +goose Up
-- The plain agent's search table (00057) is kept by a trigger on
-- conversations that ran its plpgsql on every insert, also of the
-- conversations that wait in the queue without an agent, and on every
-- update naming assignee_id or contact_id even when neither changed. Split
-- in three with WHEN conditions, PostgreSQL skips the function for those
-- rows without entering it; the function is the same.
-- +kefu postgres
DROP TRIGGER contact_agent_search_conversation ON conversations;
CREATE TRIGGER contact_agent_search_conversation_insert AFTER INSERT ON conversations
  FOR EACH ROW WHEN (NEW.assignee_id IS NOT NULL) EXECUTE FUNCTION contact_agent_search_conversation();
CREATE TRIGGER contact_agent_search_conversation_update AFTER UPDATE OF assignee_id, contact_id ON conversations
  FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
    OR (OLD.contact_id IS DISTINCT FROM NEW.contact_id AND (OLD.assignee_id IS NOT NULL OR NEW.assignee_id IS NOT NULL)))
  EXECUTE FUNCTION contact_agent_search_conversation();
CREATE TRIGGER contact_agent_search_conversation_delete AFTER DELETE ON conversations
  FOR EACH ROW WHEN (OLD.assignee_id IS NOT NULL) EXECUTE FUNCTION contact_agent_search_conversation();
-- +kefu end

-- +goose Down
-- +kefu postgres
DROP TRIGGER contact_agent_search_conversation_delete ON conversations;
DROP TRIGGER contact_agent_search_conversation_update ON conversations;
DROP TRIGGER contact_agent_search_conversation_insert ON conversations;
CREATE TRIGGER contact_agent_search_conversation AFTER INSERT OR DELETE OR UPDATE OF assignee_id, contact_id ON conversations
  FOR EACH ROW EXECUTE FUNCTION contact_agent_search_conversation();
-- +kefu end
