-- +goose Up
-- Attachments: media customers send (downloaded from the platform, e.g.
-- WeChat's temporary media, which expires after 3 days) and files agents
-- upload. Stored in the database so every hub process of a cluster serves
-- them; status 'pending' means the platform download has not succeeded yet
-- (source holds the platform's media reference to fetch it on demand).
CREATE TABLE attachments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  content_type TEXT NOT NULL DEFAULT '',
  size BIGINT NOT NULL DEFAULT 0,
  data BYTEA,
  source TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_tenant ON attachments(tenant_id, created_at);
-- Contact events: what a customer did that is not a message (followed or
-- unfollowed a WeChat account, scanned a code, clicked a menu), recorded
-- once per platform event id.
CREATE TABLE contact_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  external_id TEXT NOT NULL,
  event TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (channel_id, external_id)
);
CREATE INDEX contact_events_contact ON contact_events(contact_id, created_at);
-- Platform access tokens (WeChat's access_token per AppID), shared by every
-- hub process: two processes fetching their own would invalidate each other.
CREATE TABLE platform_tokens (
  name TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE contacts ADD COLUMN unsubscribed_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contacts DROP COLUMN source;
ALTER TABLE contacts DROP COLUMN unsubscribed_at;
DROP TABLE platform_tokens; DROP TABLE contact_events; DROP TABLE attachments;
