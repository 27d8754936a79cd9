-- +goose Up
-- Rating link keys rotate (issue 15): a tenant keeps several keys, the
-- newest signs the new links; an older one still opens the links it signed
-- until they expire (the longest reply window after the next key was made),
-- and one an admin deletes opens none at once. The one key per tenant that
-- 00051 made becomes the first of its ring.
CREATE TABLE rating_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rating_keys_tenant ON rating_keys(tenant_id, created_at);
INSERT INTO rating_keys (id, tenant_id, secret, created_at)
  SELECT 'rk_' || tenant_id, tenant_id, secret, created_at FROM rating_link_keys;
DROP TABLE rating_link_keys;

-- A plain agent's customer search at a million contacts (issue 15): the
-- customers of the agent's conversations that hold a text come from one
-- GIN index of agent and searched text, instead of testing the text on
-- each of those customers (10,000 rows read one by one: ~100 ms). One row
-- per agent and customer of a conversation assigned to them (n: how many),
-- with the customer's searched text (the expression contacts_search
-- indexes), kept by PostgreSQL's triggers as conversations are assigned,
-- moved or deleted and as customers change. SQLite's list walks the
-- contacts instead (hub/contacts, visible.go): the table stays empty there.
CREATE TABLE contact_agent_search (
  agent_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (agent_id, contact_id)
);
CREATE INDEX contact_agent_search_contact ON contact_agent_search(contact_id);
-- +kefu postgres
INSERT INTO contact_agent_search (agent_id, contact_id, tenant_id, n, body)
  SELECT v.assignee_id, c.id, c.tenant_id, COUNT(*), LOWER(c.name || '\x01' || c.email || '\x01' || c.phone || '\x01' || c.company || '\x01' ||
    c.external_id || '\x01' || c.tags || '\x01' || c.custom)
  FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE v.assignee_id IS NOT NULL GROUP BY v.assignee_id, c.id;
CREATE INDEX contact_agent_search_text ON contact_agent_search USING GIN (tenant_id, agent_id, body gin_trgm_ops);
-- +goose StatementBegin
CREATE FUNCTION contact_agent_search_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.assignee_id IS NOT DISTINCT FROM NEW.assignee_id AND OLD.contact_id = NEW.contact_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.assignee_id IS NOT NULL THEN
    UPDATE contact_agent_search SET n = n - 1 WHERE agent_id = OLD.assignee_id AND contact_id = OLD.contact_id;
    DELETE FROM contact_agent_search WHERE agent_id = OLD.assignee_id AND contact_id = OLD.contact_id AND n <= 0;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.assignee_id IS NOT NULL THEN
    INSERT INTO contact_agent_search (agent_id, contact_id, tenant_id, n, body)
      SELECT NEW.assignee_id, c.id, c.tenant_id, 1, LOWER(c.name || '\x01' || c.email || '\x01' || c.phone || '\x01' || c.company || '\x01' ||
    c.external_id || '\x01' || c.tags || '\x01' || c.custom)
      FROM contacts c WHERE c.id = NEW.contact_id
      ON CONFLICT (agent_id, contact_id) DO UPDATE SET n = contact_agent_search.n + 1;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contact_agent_search_conversation AFTER INSERT OR DELETE OR UPDATE OF assignee_id, contact_id ON conversations
  FOR EACH ROW EXECUTE FUNCTION contact_agent_search_conversation();
-- +goose StatementBegin
CREATE FUNCTION contact_agent_search_contact() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  body_ TEXT := LOWER(NEW.name || '\x01' || NEW.email || '\x01' || NEW.phone || '\x01' || NEW.company || '\x01' ||
    NEW.external_id || '\x01' || NEW.tags || '\x01' || NEW.custom);
BEGIN
  IF body_ IS DISTINCT FROM LOWER(OLD.name || '\x01' || OLD.email || '\x01' || OLD.phone || '\x01' || OLD.company || '\x01' ||
    OLD.external_id || '\x01' || OLD.tags || '\x01' || OLD.custom) THEN
    UPDATE contact_agent_search SET body = body_ WHERE contact_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contact_agent_search_contact AFTER UPDATE OF name, email, phone, company, external_id, tags, custom ON contacts
  FOR EACH ROW EXECUTE FUNCTION contact_agent_search_contact();
-- +kefu end

-- +goose Down
-- +kefu postgres
DROP TRIGGER contact_agent_search_contact ON contacts;
DROP TRIGGER contact_agent_search_conversation ON conversations;
DROP FUNCTION contact_agent_search_contact();
DROP FUNCTION contact_agent_search_conversation();
-- +kefu end
DROP TABLE contact_agent_search;
CREATE TABLE rating_link_keys (
  tenant_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO rating_link_keys (tenant_id, secret, created_at)
  SELECT k.tenant_id, k.secret, k.created_at FROM rating_keys k WHERE NOT EXISTS (SELECT 1 FROM rating_keys n
  WHERE n.tenant_id = k.tenant_id AND (n.created_at > k.created_at OR (n.created_at = k.created_at AND n.id > k.id)));
DROP TABLE rating_keys;
