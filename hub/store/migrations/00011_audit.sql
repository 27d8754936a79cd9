-- +goose Up
-- The audit log (操作日志): who changed what and when, per tenant. Written
-- by hub/audit, mostly inside the transaction of the change it records.
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  actor_name TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target_type TEXT NOT NULL DEFAULT '',
  target_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_tenant_at ON audit_log(tenant_id, at, id);

-- +goose Down
DROP TABLE audit_log;
