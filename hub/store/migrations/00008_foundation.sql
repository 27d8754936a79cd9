-- +goose Up
-- The kernel owns the event log's counters, so the tenants table keeps only
-- the tenant's own columns. The platform handles agents note on a customer
-- card (WeChat ID, QQ number …) move from one fixed column per platform to
-- one row per platform, so a new channel needs no new column.
CREATE TABLE event_counters (
  tenant_id TEXT PRIMARY KEY,
  last_id BIGINT NOT NULL DEFAULT 0
);
INSERT INTO event_counters (tenant_id, last_id) SELECT id, last_event_id FROM tenants;
ALTER TABLE tenants DROP COLUMN last_event_id;
CREATE TABLE contact_handles (
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  tenant_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  handle TEXT NOT NULL,
  PRIMARY KEY (contact_id, platform)
);
CREATE INDEX contact_handles_lookup ON contact_handles(tenant_id, platform, handle);
INSERT INTO contact_handles (contact_id, tenant_id, platform, handle)
  SELECT id, tenant_id, 'qq', qq FROM contacts WHERE qq <> '';
INSERT INTO contact_handles (contact_id, tenant_id, platform, handle)
  SELECT id, tenant_id, 'wechat', wechat FROM contacts WHERE wechat <> '';
ALTER TABLE contacts DROP COLUMN qq;
ALTER TABLE contacts DROP COLUMN wechat;

-- +goose Down
ALTER TABLE contacts ADD COLUMN qq TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN wechat TEXT NOT NULL DEFAULT '';
UPDATE contacts SET qq = COALESCE((SELECT handle FROM contact_handles h WHERE h.contact_id = contacts.id AND h.platform = 'qq'), '');
UPDATE contacts SET wechat = COALESCE((SELECT handle FROM contact_handles h WHERE h.contact_id = contacts.id AND h.platform = 'wechat'), '');
DROP TABLE contact_handles;
ALTER TABLE tenants ADD COLUMN last_event_id BIGINT NOT NULL DEFAULT 0;
UPDATE tenants SET last_event_id = COALESCE((SELECT last_id FROM event_counters c WHERE c.tenant_id = tenants.id), 0);
DROP TABLE event_counters;
