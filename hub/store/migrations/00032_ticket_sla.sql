-- +goose Up
-- Ticket SLA (issue 15): a tenant's policies (tickets.Policy list, JSON),
-- each ticket's first-response and resolution clocks, and followers.
-- *_warn_at is when 80 % of a target has passed; *_sla is how far the
-- sweeper got (0 running, 1 warned, 2 breached) — a conditional UPDATE on it
-- lets one hub process alone flag a ticket. sla_paused_at is set while the
-- resolution clock stands (pending, solved, closed), sla_paused_seconds
-- the working time it stood so far; next_due_at is the
-- earliest running due time (the list sorts and the overdue view filters
-- on it).
CREATE TABLE sla_policies (
  tenant_id TEXT PRIMARY KEY,
  policies TEXT NOT NULL
);
ALTER TABLE tickets ADD COLUMN first_response_due_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN first_response_warn_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN first_responded_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN first_response_sla INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN resolution_warn_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN resolution_sla INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_paused_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN sla_paused_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN next_due_at TIMESTAMPTZ;
CREATE INDEX tickets_next_due ON tickets(tenant_id, next_due_at, id);
CREATE INDEX tickets_updated ON tickets(tenant_id, updated_at);
CREATE INDEX tickets_sla_response ON tickets(first_response_warn_at) WHERE first_response_sla < 2;
CREATE INDEX tickets_sla_resolution ON tickets(resolution_warn_at) WHERE resolution_sla < 2;
CREATE TABLE ticket_followers (
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  agent_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (ticket_id, agent_id)
);
CREATE INDEX ticket_followers_agent ON ticket_followers(agent_id, ticket_id);

-- +goose Down
DROP TABLE ticket_followers;
DROP INDEX tickets_sla_resolution;
DROP INDEX tickets_sla_response;
DROP INDEX tickets_updated;
DROP INDEX tickets_next_due;
ALTER TABLE tickets DROP COLUMN next_due_at;
ALTER TABLE tickets DROP COLUMN sla_paused_seconds;
ALTER TABLE tickets DROP COLUMN sla_paused_at;
ALTER TABLE tickets DROP COLUMN resolution_sla;
ALTER TABLE tickets DROP COLUMN resolution_warn_at;
ALTER TABLE tickets DROP COLUMN first_response_sla;
ALTER TABLE tickets DROP COLUMN first_responded_at;
ALTER TABLE tickets DROP COLUMN first_response_warn_at;
ALTER TABLE tickets DROP COLUMN first_response_due_at;
DROP TABLE sla_policies;
