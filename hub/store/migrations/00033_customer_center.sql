-- +goose Up
-- Customer center, second part (issue 15): admin-defined custom fields
-- (hub/fields; entity 'contact' now, tickets later), the follow-up log
-- (跟进记录) with the next follow-up date kept on the contact for the "due"
-- filter, and merges. A merged contact keeps its channel identity (replies
-- and new messages still reach the person on that channel) and points to
-- the survivor (merged_into); the merge record keeps what moved so an
-- unmerge can move exactly that back.
CREATE TABLE custom_fields (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL,
  required BOOLEAN NOT NULL DEFAULT FALSE,
  options TEXT NOT NULL DEFAULT '[]',
  position INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields(tenant_id, entity, key);
CREATE TABLE contact_followups (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  agent_id TEXT NOT NULL,
  note TEXT NOT NULL,
  next_at TIMESTAMPTZ,
  reminded_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_followups_contact ON contact_followups(contact_id, created_at);
CREATE INDEX contact_followups_due ON contact_followups(next_at) WHERE reminded_at IS NULL;
ALTER TABLE contacts ADD COLUMN next_followup_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN merged_into TEXT;
CREATE INDEX contacts_followup ON contacts(tenant_id, next_followup_at);
CREATE INDEX contacts_merged ON contacts(merged_into);
CREATE TABLE contact_merges (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  survivor_id TEXT NOT NULL REFERENCES contacts(id),
  merged_id TEXT NOT NULL REFERENCES contacts(id),
  agent_id TEXT NOT NULL,
  moved TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  undone_at TIMESTAMPTZ,
  undone_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contact_merges_survivor ON contact_merges(survivor_id, created_at);

-- +goose Down
DROP TABLE contact_merges;
DROP INDEX contacts_merged;
DROP INDEX contacts_followup;
ALTER TABLE contacts DROP COLUMN merged_into;
ALTER TABLE contacts DROP COLUMN next_followup_at;
DROP TABLE contact_followups;
DROP TABLE custom_fields;
