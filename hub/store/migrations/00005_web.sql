-- +goose Up
-- Website visitors (the web channel): one row per permanent visitor id, kept
-- across visits. last_seen_at is refreshed by the visitor's socket while the
-- page is open; a visitor is online while it is recent and left_at is unset.
CREATE TABLE visitors (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL REFERENCES channels(id),
  contact_external_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  visits INTEGER NOT NULL DEFAULT 1,
  first_seen_at TIMESTAMPTZ NOT NULL,
  entered_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  left_at TIMESTAMPTZ,
  ip TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  browser TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  referrer TEXT NOT NULL DEFAULT '',
  engine TEXT NOT NULL DEFAULT '',
  keyword TEXT NOT NULL DEFAULT '',
  page_url TEXT NOT NULL DEFAULT '',
  page_title TEXT NOT NULL DEFAULT '',
  lang TEXT NOT NULL DEFAULT '',
  invites INTEGER NOT NULL DEFAULT 0,
  invite_id TEXT NOT NULL DEFAULT '',
  invited_at TIMESTAMPTZ,
  declined_at TIMESTAMPTZ
);
CREATE INDEX visitors_live ON visitors(tenant_id, last_seen_at);
CREATE INDEX visitors_channel ON visitors(channel_id, last_seen_at);
-- The pages a visitor opened (the page trail), newest kept.
CREATE TABLE visitor_pages (
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  tenant_id TEXT NOT NULL,
  seen_at TIMESTAMPTZ NOT NULL,
  url TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visitor_pages_visitor ON visitor_pages(visitor_id, seen_at);
-- A customer's rating of a conversation (1–5 and a comment), once.
CREATE TABLE ratings (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
  tenant_id TEXT NOT NULL,
  score INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ratings_tenant ON ratings(tenant_id, created_at);

-- +goose Down
DROP TABLE ratings;
DROP TABLE visitor_pages;
DROP TABLE visitors;
