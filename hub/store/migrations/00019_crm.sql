-- +goose Up
-- Customer center and ticket workflow (issue 15). A contact may now be
-- entered by hand: it belongs to the tenant's "manual" channel (one per
-- tenant, created on first use, never listed) with its own id as the
-- external id, so the (channel, external id) key and every foreign key to
-- contacts stay as they are. Contacts get an owner agent (负责人) and the
-- indexes the customer list pages and filters on. Tickets get priority,
-- type, group, a due time, a close time and their origin: only tickets made
-- from offline messages keep the one-open-ticket-per-customer rule, an
-- agent may open as many as needed by hand.
ALTER TABLE contacts ADD COLUMN owner_id TEXT REFERENCES agents(id);
CREATE INDEX contacts_tenant_created ON contacts(tenant_id, created_at, id);
CREATE INDEX contacts_owner ON contacts(tenant_id, owner_id, created_at);
CREATE INDEX contacts_phone ON contacts(tenant_id, phone);
CREATE INDEX contacts_email ON contacts(tenant_id, email);
CREATE INDEX conversations_contact_last ON conversations(contact_id, last_message_at);
ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE tickets ADD COLUMN type TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN group_id TEXT REFERENCES agent_groups(id);
ALTER TABLE tickets ADD COLUMN origin TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE tickets ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN due_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN closed_at TIMESTAMPTZ;
DROP INDEX tickets_one_open;
CREATE UNIQUE INDEX tickets_one_open ON tickets(channel_id, contact_id)
  WHERE status <> 'solved' AND status <> 'closed' AND origin = 'offline';
CREATE INDEX tickets_assignee ON tickets(tenant_id, assignee_id, status);
CREATE INDEX tickets_due ON tickets(tenant_id, due_at);

-- +goose Down
DROP INDEX tickets_due;
DROP INDEX tickets_assignee;
DROP INDEX tickets_one_open;
CREATE UNIQUE INDEX tickets_one_open ON tickets(channel_id, contact_id) WHERE status <> 'solved';
ALTER TABLE tickets DROP COLUMN closed_at;
ALTER TABLE tickets DROP COLUMN due_at;
ALTER TABLE tickets DROP COLUMN created_by;
ALTER TABLE tickets DROP COLUMN origin;
ALTER TABLE tickets DROP COLUMN group_id;
ALTER TABLE tickets DROP COLUMN type;
ALTER TABLE tickets DROP COLUMN priority;
DROP INDEX conversations_contact_last;
DROP INDEX contacts_email;
DROP INDEX contacts_phone;
DROP INDEX contacts_owner;
DROP INDEX contacts_tenant_created;
ALTER TABLE contacts DROP COLUMN owner_id;
