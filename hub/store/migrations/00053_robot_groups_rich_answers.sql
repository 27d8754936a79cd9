-- +goose Up
-- A channel's robot answers when an article scores at or above threshold
-- (0: the knowledge base's default).
ALTER TABLE robot_settings ADD COLUMN threshold DOUBLE PRECISION NOT NULL DEFAULT 0;
-- A group's robot: for conversations routed to the group it overrides the
-- channel's mode, greeting and threshold; a NULL column keeps the channel's.
CREATE TABLE robot_group_settings (
  group_id TEXT PRIMARY KEY REFERENCES agent_groups(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  mode TEXT,
  greeting TEXT,
  threshold DOUBLE PRECISION,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX robot_group_settings_tenant ON robot_group_settings(tenant_id);
-- An article's rich answer (bold, lists, links, images) as sanitized HTML,
-- with the plain text it renders to: the article's answer is that text
-- while the two agree (an edit of the plain answer elsewhere, a restored
-- version, leaves the rich one unused until an admin saves it again).
CREATE TABLE kb_rich_answers (
  article_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX kb_rich_answers_tenant ON kb_rich_answers(tenant_id);

-- +goose Down
DROP INDEX kb_rich_answers_tenant;
DROP TABLE kb_rich_answers;
DROP INDEX robot_group_settings_tenant;
DROP TABLE robot_group_settings;
ALTER TABLE robot_settings DROP COLUMN threshold;
