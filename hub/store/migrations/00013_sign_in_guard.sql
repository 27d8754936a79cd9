-- +goose Up
-- Failed sign-ins, counted in the database so that every hub process of a
-- cluster sees the same counts and locks: one row per (scope, key) — an
-- account's email, a client address, an agent's TOTP codes.
CREATE TABLE auth_throttle (
  scope TEXT NOT NULL,
  k TEXT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  last_failure TIMESTAMPTZ NOT NULL,
  locked_until TIMESTAMPTZ,
  PRIMARY KEY (scope, k)
);
-- Sessions get a public id (admins list and end them by it), the time of
-- their last use (the idle timeout), and where they were opened from.
ALTER TABLE sessions ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN addr TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET id = 'se_' || substr(token_hash, 1, 24), last_seen_at = created_at;
CREATE INDEX sessions_agent ON sessions(agent_id);

-- +goose Down
DROP INDEX sessions_agent;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN addr;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN id;
DROP TABLE auth_throttle;
