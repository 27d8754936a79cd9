-- +goose Up
-- The robot (智能机器人) of a channel: off, or answering first and handing
-- over to a person; its greeting, after how many unanswered turns it hands
-- over, and the words that ask for a person (JSON array of strings).
CREATE TABLE robot_settings (
  channel_id TEXT PRIMARY KEY REFERENCES channels(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  mode TEXT NOT NULL DEFAULT 'off',
  greeting TEXT NOT NULL DEFAULT '',
  max_misses INTEGER NOT NULL DEFAULT 2,
  handoff_words TEXT NOT NULL DEFAULT '[]',
  updated_at TIMESTAMPTZ NOT NULL
);
-- A conversation the robot works: held out of the routing queue while
-- state is 'robot', queued for a person once 'handed_over'.
CREATE TABLE robot_conversations (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  state TEXT NOT NULL,
  turns INTEGER NOT NULL DEFAULT 0,
  answered INTEGER NOT NULL DEFAULT 0,
  misses INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX robot_conversations_tenant ON robot_conversations(tenant_id, state);

-- +goose Down
DROP INDEX robot_conversations_tenant;
DROP TABLE robot_conversations;
DROP TABLE robot_settings;
