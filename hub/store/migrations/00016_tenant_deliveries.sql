-- +goose Up
-- Tenant-wide events (an agent's account locked after failed sign-ins) go
-- to the tenant's webhook subscriptions although no channel sent them: a
-- delivery's channel becomes optional. Neither dialect can drop NOT NULL
-- in a way the other speaks, so the two tables are rebuilt (copied aside,
-- recreated, copied back).
CREATE TABLE deliveries_copy AS SELECT * FROM deliveries;
CREATE TABLE delivery_attempts_copy AS SELECT * FROM delivery_attempts;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT REFERENCES channels(id),
  kind TEXT NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  subscription_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE delivery_attempts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL REFERENCES deliveries(id),
  attempt INTEGER NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO deliveries (id, tenant_id, channel_id, kind, message_id, event_type, payload, status, attempts,
  next_attempt_at, last_error, created_at, updated_at, subscription_id)
  SELECT id, tenant_id, channel_id, kind, message_id, event_type, payload, status, attempts,
  next_attempt_at, last_error, created_at, updated_at, subscription_id FROM deliveries_copy;
INSERT INTO delivery_attempts (id, tenant_id, delivery_id, attempt, status_code, error, duration_ms, created_at)
  SELECT id, tenant_id, delivery_id, attempt, status_code, error, duration_ms, created_at FROM delivery_attempts_copy;
DROP TABLE delivery_attempts_copy;
DROP TABLE deliveries_copy;
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_channel ON deliveries(tenant_id, channel_id, created_at);
CREATE INDEX deliveries_subscription ON deliveries(tenant_id, subscription_id, created_at);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, attempt);

-- +goose Down
DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE channel_id IS NULL);
DELETE FROM deliveries WHERE channel_id IS NULL;
CREATE TABLE deliveries_copy AS SELECT * FROM deliveries;
CREATE TABLE delivery_attempts_copy AS SELECT * FROM delivery_attempts;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  kind TEXT NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  subscription_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE delivery_attempts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL REFERENCES deliveries(id),
  attempt INTEGER NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO deliveries SELECT * FROM deliveries_copy;
INSERT INTO delivery_attempts SELECT * FROM delivery_attempts_copy;
DROP TABLE delivery_attempts_copy;
DROP TABLE deliveries_copy;
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_channel ON deliveries(tenant_id, channel_id, created_at);
CREATE INDEX deliveries_subscription ON deliveries(tenant_id, subscription_id, created_at);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, attempt);
