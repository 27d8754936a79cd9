-- +goose Up
-- Satisfaction ratings (满意度): a tenant's scale and texts (ratings.Settings,
-- JSON), and the invitations sent on channels without a rating form
-- (WeChat, Weibo, QQ, WeCom …), which the customer answers with a number.
CREATE TABLE rating_settings (
  tenant_id TEXT PRIMARY KEY,
  settings TEXT NOT NULL
);
CREATE TABLE rating_invites (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  answered_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rating_invites_contact ON rating_invites(channel_id, contact_id, created_at);
ALTER TABLE ratings ADD COLUMN updated_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE ratings DROP COLUMN updated_at;
DROP TABLE rating_invites;
DROP TABLE rating_settings;
