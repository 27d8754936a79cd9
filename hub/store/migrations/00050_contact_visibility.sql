-- +goose Up
-- The customer list's visibility rules, configurable per tenant (issue 15):
-- by default an agent sees the customers they own and those of their
-- conversations, a supervisor also their groups' members' and groups'
-- conversations', an admin all. An admin may let agents also see customers
-- without an owner, agents also see those of their groups' members, and
-- supervisors see all. No row: the defaults.
CREATE TABLE contact_visibility (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  agents_unowned BOOLEAN NOT NULL DEFAULT FALSE,
  agents_group BOOLEAN NOT NULL DEFAULT FALSE,
  supervisors_all BOOLEAN NOT NULL DEFAULT FALSE,
  updated_at TIMESTAMPTZ NOT NULL
);
-- +kefu postgres
-- A plain agent's search with a common text, at a million contacts: the
-- contacts they own that hold the text come from one GIN index of owner and
-- searched expression (the trigram index 00037 uses, btree_gin for the
-- owner; both ship with PostgreSQL and are trusted extensions), instead of
-- testing the text on every contact the agent owns, or walking the list.
-- Partial: contacts without an owner are never looked up by owner.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX contacts_owner_search ON contacts USING GIN (tenant_id, owner_id, LOWER(name || '\x01' || email || '\x01' ||
  phone || '\x01' || company || '\x01' || external_id || '\x01' || tags || '\x01' || custom) gin_trgm_ops)
  WHERE owner_id IS NOT NULL;
-- +kefu end

-- +goose Down
-- +kefu postgres
DROP INDEX contacts_owner_search;
-- +kefu end
DROP TABLE contact_visibility;
