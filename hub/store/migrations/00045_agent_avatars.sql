-- +goose Up
-- Which stored attachment is an agent's own avatar (头像): a PNG the hub
-- re-encoded from the upload (hub/avatars).
CREATE TABLE agent_avatars (
  agent_id TEXT PRIMARY KEY REFERENCES agents(id),
  tenant_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE agent_avatars;
