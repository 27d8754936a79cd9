-- +goose Up
-- Reports: who holds each conversation now and since when (the held time
-- of an agent is the sum of those spans: 平均并发会话数 = held ÷ time on),
-- and where it came from, so that the agent who takes it counts it in
-- the origins breakdowns (JSON of the origin keys; '' without a visitor).
ALTER TABLE report_conversations ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE report_conversations ADD COLUMN held_since TIMESTAMPTZ;
ALTER TABLE report_conversations ADD COLUMN origin TEXT NOT NULL DEFAULT '';
CREATE INDEX report_conversations_holder ON report_conversations (tenant_id, holder) WHERE holder <> '';
-- the seconds an agent held conversations, per UTC hour (summed over the
-- conversations held at once)
ALTER TABLE report_attendance ADD COLUMN held_seconds BIGINT NOT NULL DEFAULT 0;
-- conversations taken per hour (of the take) by agent and origin key
CREATE TABLE report_agent_origins (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  k TEXT NOT NULL,
  hour BIGINT NOT NULL,
  channel_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, agent_id, dim, hour, k, channel_id, group_id)
);
-- The daily report e-mail (客服日报) of a tenant as its admin set it: on or
-- off, the local minute of the day it goes out from, and to whom (a JSON
-- array of addresses; empty: the e-mail notification list). A tenant
-- without a row gets it at 08:00 from its notification list.
CREATE TABLE report_schedules (
  tenant_id TEXT PRIMARY KEY,
  enabled INTEGER NOT NULL DEFAULT 1,
  minute INTEGER NOT NULL DEFAULT 480,
  recipients TEXT NOT NULL DEFAULT '[]',
  updated_at TIMESTAMPTZ NOT NULL
);
-- A ticket's earlier solves that were reopened (the solve time, the
-- reopening): the tickets report still counts a solve in its period after
-- the ticket came back (the ticket's own solved_at/closed_at is its current
-- solve).
CREATE TABLE ticket_solves (
  tenant_id TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  solved_at TIMESTAMPTZ NOT NULL,
  reopened_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (ticket_id, solved_at)
);
CREATE INDEX ticket_solves_reopened ON ticket_solves (tenant_id, reopened_at);
-- The reports re-read the event log from the start to fill them.
DELETE FROM report_hours;
DELETE FROM report_days;
DELETE FROM report_cells;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_origins;
DELETE FROM report_agent_states;
DELETE FROM report_attendance;
DELETE FROM report_cursors;

-- +goose Down
DROP INDEX ticket_solves_reopened;
DROP TABLE ticket_solves;
DROP TABLE report_schedules;
DROP TABLE report_agent_origins;
ALTER TABLE report_attendance DROP COLUMN held_seconds;
DROP INDEX report_conversations_holder;
ALTER TABLE report_conversations DROP COLUMN origin;
ALTER TABLE report_conversations DROP COLUMN held_since;
ALTER TABLE report_conversations DROP COLUMN holder;
