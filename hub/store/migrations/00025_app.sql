-- +goose Up
-- The app channel (connectors/app): each identified app user with the
-- traits and device its SDK reported and the last push result; the push
-- tokens of their devices; the app sockets open on every hub process (so
-- one process can tell whether a user is reachable without a push); and
-- how far each conversation has been read in the app.
CREATE TABLE app_users (
  channel_id TEXT NOT NULL REFERENCES channels(id),
  contact_external_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  traits TEXT NOT NULL DEFAULT '{}',
  platform TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  app_version TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  identified_at TIMESTAMPTZ NOT NULL,
  push_result TEXT NOT NULL DEFAULT '',
  push_at TIMESTAMPTZ,
  PRIMARY KEY (channel_id, contact_external_id)
);
CREATE INDEX app_users_contact ON app_users(tenant_id, contact_id);
CREATE TABLE app_push_tokens (
  channel_id TEXT NOT NULL REFERENCES channels(id),
  token TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  contact_external_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel_id, token)
);
CREATE INDEX app_push_tokens_user ON app_push_tokens(channel_id, contact_external_id);
CREATE TABLE app_sockets (
  id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  contact_external_id TEXT NOT NULL,
  until_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX app_sockets_user ON app_sockets(channel_id, contact_external_id);
CREATE TABLE app_reads (
  conversation_id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  seq BIGINT NOT NULL
);

-- +goose Down
DROP TABLE app_reads;
DROP TABLE app_sockets;
DROP TABLE app_push_tokens;
DROP TABLE app_users;
