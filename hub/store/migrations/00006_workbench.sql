-- +goose Up
-- Agent tools of the workbench (issue 5, part A): canned replies (personal
-- when owner_agent_id is set, shared by the tenant when NULL), conversation
-- categories chosen at close, the blacklist of contacts whose messages are
-- dropped at ingest, and the customer card's extra fields.
CREATE TABLE canned_replies (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  owner_agent_id TEXT REFERENCES agents(id),
  category TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX canned_replies_tenant ON canned_replies(tenant_id, owner_agent_id);
CREATE TABLE categories (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (tenant_id, name)
);
ALTER TABLE conversations ADD COLUMN category_id TEXT;
CREATE TABLE blacklist (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL REFERENCES channels(id),
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  reason TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (contact_id)
);
CREATE INDEX blacklist_tenant ON blacklist(tenant_id, created_at);
ALTER TABLE contacts ADD COLUMN company TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN qq TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN wechat TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
CREATE INDEX conversations_contact ON conversations(contact_id, created_at);
CREATE INDEX conversations_history ON conversations(tenant_id, created_at);

-- +goose Down
DROP INDEX conversations_history;
DROP INDEX conversations_contact;
ALTER TABLE contacts DROP COLUMN tags;
ALTER TABLE contacts DROP COLUMN custom;
ALTER TABLE contacts DROP COLUMN notes;
ALTER TABLE contacts DROP COLUMN wechat;
ALTER TABLE contacts DROP COLUMN qq;
ALTER TABLE contacts DROP COLUMN company;
DROP TABLE blacklist;
ALTER TABLE conversations DROP COLUMN category_id;
DROP TABLE categories;
DROP TABLE canned_replies;
