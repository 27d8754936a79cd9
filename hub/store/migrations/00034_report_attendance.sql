-- +goose Up
-- Reports: the robot's conversations (it answered first; of them, those it
-- resolved alone and those it handed to people), counted at the hour the
-- conversation opened, in every rollup grain.
ALTER TABLE report_hours ADD COLUMN robot_conversations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_hours ADD COLUMN robot_resolved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_hours ADD COLUMN robot_handovers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN robot_conversations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN robot_resolved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN robot_handovers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN robot_conversations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN robot_resolved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN robot_handovers BIGINT NOT NULL DEFAULT 0;
-- whether the conversation went to people (queued, taken or a ticket)
ALTER TABLE report_conversations ADD COLUMN handed INTEGER NOT NULL DEFAULT 0;
-- Attendance (考勤): each agent's status as the reports last saw it, since
-- when (unix seconds) ...
CREATE TABLE report_agent_states (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  status TEXT NOT NULL,
  since BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
-- ... and the seconds spent online and busy per UTC hour, with the first
-- instant of the hour the agent was on (online or busy) and the last time
-- they went offline in it (unix seconds, 0 for none).
CREATE TABLE report_attendance (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  hour BIGINT NOT NULL,
  online_seconds BIGINT NOT NULL DEFAULT 0,
  busy_seconds BIGINT NOT NULL DEFAULT 0,
  first_on BIGINT NOT NULL DEFAULT 0,
  last_off BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, agent_id)
);
-- Where conversations came from (the web widget's and the API's visitors):
-- conversations opened per hour by source, keyword, referrer host, landing
-- page, region and device (dim), with their channel and group.
CREATE TABLE report_origins (
  tenant_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  k TEXT NOT NULL,
  hour BIGINT NOT NULL,
  channel_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, dim, hour, k, channel_id, group_id)
);
-- The reports re-read the event log from the start to fill them.
DELETE FROM report_hours;
DELETE FROM report_days;
DELETE FROM report_cells;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_cursors;

-- +goose Down
DROP TABLE report_origins;
DROP TABLE report_attendance;
DROP TABLE report_agent_states;
ALTER TABLE report_conversations DROP COLUMN handed;
ALTER TABLE report_cells DROP COLUMN robot_handovers;
ALTER TABLE report_cells DROP COLUMN robot_resolved;
ALTER TABLE report_cells DROP COLUMN robot_conversations;
ALTER TABLE report_days DROP COLUMN robot_handovers;
ALTER TABLE report_days DROP COLUMN robot_resolved;
ALTER TABLE report_days DROP COLUMN robot_conversations;
ALTER TABLE report_hours DROP COLUMN robot_handovers;
ALTER TABLE report_hours DROP COLUMN robot_resolved;
ALTER TABLE report_hours DROP COLUMN robot_conversations;
