-- +goose Up
-- Customer search at a million contacts (issue 15). The customer list
-- matches a text as a substring of one expression (the contact's fields
-- joined, lower-cased) or of a platform handle; these indexes find the
-- candidates, the query's own LIKE decides, so results are the same with or
-- without them. PostgreSQL: trigram GIN indexes on that very expression
-- and on the handles (pg_trgm ships with PostgreSQL and is a trusted
-- extension); a text of one or two characters has no trigram and is
-- matched reading the list in order. SQLite: an FTS5 trigram table keyed by the contact's rowid
-- (VACUUM keeps rowids), one document per contact (the same expression and
-- the handles, each followed by a separator so every character starts a
-- trigram, which lets one- and two-character texts be looked up by the
-- trigrams they start), kept by triggers in the writing transaction,
-- whichever statement changes a contact or a handle; its vocabulary table
-- tells how many contacts hold a trigram.
-- +kefu postgres
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_search ON contacts USING GIN (LOWER(name || '\x01' || email || '\x01' || phone || '\x01' ||
  company || '\x01' || external_id || '\x01' || tags || '\x01' || custom) gin_trgm_ops);
CREATE INDEX contact_handles_search ON contact_handles USING GIN (LOWER(handle) gin_trgm_ops);
-- +kefu sqlite
CREATE VIRTUAL TABLE contacts_search USING fts5(body, tokenize = 'trigram case_sensitive 0', content = '',
  contentless_delete = 1, detail = 'none');
CREATE VIRTUAL TABLE contacts_search_terms USING fts5vocab(contacts_search, 'row');
INSERT INTO contacts_search (rowid, body) SELECT c.rowid, LOWER(c.name || '\x01' || c.email || '\x01' || c.phone || '\x01' ||
  c.company || '\x01' || c.external_id || '\x01' || c.tags || '\x01' || c.custom) || '\x01' ||
  COALESCE((SELECT group_concat(LOWER(h.handle) || '\x01', '') FROM contact_handles h WHERE h.contact_id = c.id), '')
  FROM contacts c;
-- +goose StatementBegin
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contacts_search (rowid, body) VALUES (new.rowid, LOWER(new.name || '\x01' || new.email || '\x01' ||
    new.phone || '\x01' || new.company || '\x01' || new.external_id || '\x01' || new.tags || '\x01' || new.custom) || '\x01' ||
    COALESCE((SELECT group_concat(LOWER(h.handle) || '\x01', '') FROM contact_handles h WHERE h.contact_id = new.id), ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email, phone, company, external_id, tags, custom ON contacts BEGIN
  DELETE FROM contacts_search WHERE rowid = old.rowid;
  INSERT INTO contacts_search (rowid, body) VALUES (new.rowid, LOWER(new.name || '\x01' || new.email || '\x01' ||
    new.phone || '\x01' || new.company || '\x01' || new.external_id || '\x01' || new.tags || '\x01' || new.custom) || '\x01' ||
    COALESCE((SELECT group_concat(LOWER(h.handle) || '\x01', '') FROM contact_handles h WHERE h.contact_id = new.id), ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
  DELETE FROM contacts_search WHERE rowid = old.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contact_handles_search_insert AFTER INSERT ON contact_handles BEGIN
  UPDATE contacts SET tags = tags WHERE id = new.contact_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contact_handles_search_update AFTER UPDATE ON contact_handles BEGIN
  UPDATE contacts SET tags = tags WHERE id IN (old.contact_id, new.contact_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contact_handles_search_delete AFTER DELETE ON contact_handles BEGIN
  UPDATE contacts SET tags = tags WHERE id = old.contact_id;
END;
-- +goose StatementEnd
-- +kefu end
-- The ticket views' counts (我的/未分配/本组/我关注的/已超时 badges) read the
-- unresolved tickets only, from this index alone.
CREATE INDEX tickets_unresolved ON tickets(tenant_id, assignee_id, group_id, next_due_at, first_response_sla,
  resolution_sla, status, id) WHERE status <> 'solved' AND status <> 'closed';

-- +goose Down
DROP INDEX tickets_unresolved;
-- +kefu postgres
DROP INDEX contact_handles_search;
DROP INDEX contacts_search;
-- +kefu sqlite
DROP TRIGGER contact_handles_search_delete;
DROP TRIGGER contact_handles_search_update;
DROP TRIGGER contact_handles_search_insert;
DROP TRIGGER contacts_search_delete;
DROP TRIGGER contacts_search_update;
DROP TRIGGER contacts_search_insert;
DROP TABLE contacts_search_terms;
DROP TABLE contacts_search;
-- +kefu end
