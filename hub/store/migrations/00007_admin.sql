-- +goose Up
-- Admin console (issue 5, part B): TOTP two-factor per agent, tenant
-- settings, internal ticket comments, and tenant-level webhook
-- subscriptions whose deliveries share the deliveries table (a delivery with
-- a subscription_id goes to that subscription; its channel_id names the
-- channel the event came from).
ALTER TABLE agents ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agents ADD COLUMN require_totp BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agents ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
CREATE TABLE ticket_comments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  agent_id TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments(ticket_id, created_at);
CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '[]',
  description TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions(tenant_id, created_at);
ALTER TABLE deliveries ADD COLUMN subscription_id TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_subscription ON deliveries(tenant_id, subscription_id, created_at);

-- +goose Down
DROP INDEX deliveries_subscription;
ALTER TABLE deliveries DROP COLUMN subscription_id;
DROP TABLE webhook_subscriptions; DROP TABLE ticket_comments;
ALTER TABLE tenants DROP COLUMN settings;
ALTER TABLE agents DROP COLUMN totp_last_step;
ALTER TABLE agents DROP COLUMN totp_pending;
ALTER TABLE agents DROP COLUMN totp_secret;
ALTER TABLE agents DROP COLUMN require_totp;
ALTER TABLE agents DROP COLUMN totp_enabled;
