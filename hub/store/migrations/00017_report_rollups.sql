-- +goose Up
-- The reports' rollup in two grains per dimension. One row per hour and
-- channel × group × agent (00014) made a 90-day report sum hundreds of
-- thousands of rows at volume; now the figures are also kept per hour and
-- per UTC day for the whole tenant (dim '') and for each channel, group
-- and agent alone (dim 'channel', 'group', 'agent', key k), so a report
-- reads its full days from report_days and only the hours at its edges
-- (the tenant's midnight is not UTC's) from report_hours. report_cells
-- keeps the old grain for reports filtered by two dimensions at once.
-- The reports re-read the event log from the start to fill them.
DROP TABLE report_hours;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_cursors;
CREATE TABLE report_hours (
  tenant_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  k TEXT NOT NULL,
  hour BIGINT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  taken BIGINT NOT NULL DEFAULT 0,
  answered BIGINT NOT NULL DEFAULT 0,
  first_response_seconds BIGINT NOT NULL DEFAULT 0,
  resolved BIGINT NOT NULL DEFAULT 0,
  resolution_seconds BIGINT NOT NULL DEFAULT 0,
  messages_in BIGINT NOT NULL DEFAULT 0,
  messages_out BIGINT NOT NULL DEFAULT 0,
  rated BIGINT NOT NULL DEFAULT 0,
  satisfied BIGINT NOT NULL DEFAULT 0,
  abandoned BIGINT NOT NULL DEFAULT 0,
  transfers BIGINT NOT NULL DEFAULT 0,
  tickets BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, dim, k, hour)
);
-- a breakdown's edge hours: every key of a dimension in a few hours
CREATE INDEX report_hours_by_hour ON report_hours(tenant_id, dim, hour);
CREATE TABLE report_days (
  tenant_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  k TEXT NOT NULL,
  day BIGINT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  taken BIGINT NOT NULL DEFAULT 0,
  answered BIGINT NOT NULL DEFAULT 0,
  first_response_seconds BIGINT NOT NULL DEFAULT 0,
  resolved BIGINT NOT NULL DEFAULT 0,
  resolution_seconds BIGINT NOT NULL DEFAULT 0,
  messages_in BIGINT NOT NULL DEFAULT 0,
  messages_out BIGINT NOT NULL DEFAULT 0,
  rated BIGINT NOT NULL DEFAULT 0,
  satisfied BIGINT NOT NULL DEFAULT 0,
  abandoned BIGINT NOT NULL DEFAULT 0,
  transfers BIGINT NOT NULL DEFAULT 0,
  tickets BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, dim, k, day)
);
CREATE TABLE report_cells (
  tenant_id TEXT NOT NULL,
  hour BIGINT NOT NULL,
  channel_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  taken BIGINT NOT NULL DEFAULT 0,
  answered BIGINT NOT NULL DEFAULT 0,
  first_response_seconds BIGINT NOT NULL DEFAULT 0,
  resolved BIGINT NOT NULL DEFAULT 0,
  resolution_seconds BIGINT NOT NULL DEFAULT 0,
  messages_in BIGINT NOT NULL DEFAULT 0,
  messages_out BIGINT NOT NULL DEFAULT 0,
  rated BIGINT NOT NULL DEFAULT 0,
  satisfied BIGINT NOT NULL DEFAULT 0,
  abandoned BIGINT NOT NULL DEFAULT 0,
  transfers BIGINT NOT NULL DEFAULT 0,
  tickets BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, channel_id, group_id, agent_id)
);

-- +goose Down
DROP TABLE report_cells;
DROP TABLE report_days;
DROP INDEX report_hours_by_hour;
DROP TABLE report_hours;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_cursors;
CREATE TABLE report_hours (
  tenant_id TEXT NOT NULL,
  hour BIGINT NOT NULL,
  channel_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  taken BIGINT NOT NULL DEFAULT 0,
  answered BIGINT NOT NULL DEFAULT 0,
  first_response_seconds BIGINT NOT NULL DEFAULT 0,
  resolved BIGINT NOT NULL DEFAULT 0,
  resolution_seconds BIGINT NOT NULL DEFAULT 0,
  messages_in BIGINT NOT NULL DEFAULT 0,
  messages_out BIGINT NOT NULL DEFAULT 0,
  rated BIGINT NOT NULL DEFAULT 0,
  satisfied BIGINT NOT NULL DEFAULT 0,
  abandoned BIGINT NOT NULL DEFAULT 0,
  transfers BIGINT NOT NULL DEFAULT 0,
  tickets BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, channel_id, group_id, agent_id)
);
