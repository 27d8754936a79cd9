-- +goose Up
-- Ticket custom fields and saved ticket views (issue 15). A ticket's
-- values of the tenant's ticket fields (hub/fields, entity 'ticket') are
-- kept as JSON in tickets.custom, and each value (each option of a multi
-- select; values up to 200 characters) once more in ticket_field_values,
-- written with the ticket, so that the list's field filter reads an index
-- instead of every ticket. ticket_views are the named filter sets agents
-- save: an agent's own, or shared with the tenant by a supervisor or admin.
ALTER TABLE tickets ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
CREATE TABLE ticket_field_values (
  ticket_id TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  PRIMARY KEY (ticket_id, field, value)
);
CREATE INDEX ticket_field_values_value ON ticket_field_values(tenant_id, field, value, ticket_id);
CREATE TABLE ticket_views (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  name TEXT NOT NULL,
  shared BOOLEAN NOT NULL DEFAULT FALSE,
  filter TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_views_owner ON ticket_views(tenant_id, owner_id);
CREATE INDEX ticket_views_shared ON ticket_views(tenant_id, shared);

-- +goose Down
DROP TABLE ticket_views;
DROP TABLE ticket_field_values;
ALTER TABLE tickets DROP COLUMN custom;
