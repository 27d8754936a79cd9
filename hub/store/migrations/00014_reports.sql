-- +goose Up
-- Reports (报表). The reports package reads the event log in order, per
-- tenant, from its cursor; every event it reads leaves facts (append-only,
-- one row per event and kind: a re-read adds nothing) and adds them to the
-- hourly rollup, in the transaction that moves the cursor.
CREATE TABLE report_cursors (
  tenant_id TEXT PRIMARY KEY,
  last_event_id BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE report_facts (
  tenant_id TEXT NOT NULL,
  event_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  conversation_id TEXT NOT NULL DEFAULT '',
  at TIMESTAMPTZ NOT NULL,
  channel_id TEXT NOT NULL DEFAULT '',
  group_id TEXT NOT NULL DEFAULT '',
  agent_id TEXT NOT NULL DEFAULT '',
  value BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, event_id, kind)
);
-- What the facts of a conversation's later events need from its earlier
-- ones (when it opened, whether an agent took or answered it).
CREATE TABLE report_conversations (
  conversation_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL DEFAULT '',
  group_id TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  queued INTEGER NOT NULL DEFAULT 0,
  assigned INTEGER NOT NULL DEFAULT 0,
  answered INTEGER NOT NULL DEFAULT 0,
  closed INTEGER NOT NULL DEFAULT 0
);
-- The facts summed per UTC hour (unix seconds of its start) and channel,
-- group and agent: reports read these, never messages.
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

-- +goose Down
DROP TABLE report_hours;
DROP TABLE report_conversations;
DROP TABLE report_facts;
DROP TABLE report_cursors;
