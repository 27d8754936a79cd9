-- +goose Up
-- Keyword auto-replies (关键词自动回复): a tenant's rules, for every channel
-- or one (channel_id ''), matched exactly, by containment or by an RE2
-- pattern, highest priority first. The reply is text, or a link card (JSON
-- {title,description,url,picture}; '' none). always: the rule answers even
-- when the channel's robot is off or a person has the conversation (like a
-- WeChat official account's keyword replies).
CREATE TABLE robot_keywords (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL DEFAULT '',
  match_type TEXT NOT NULL,
  pattern TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  always BOOLEAN NOT NULL DEFAULT FALSE,
  reply_text TEXT NOT NULL DEFAULT '',
  card TEXT NOT NULL DEFAULT '',
  hits BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX robot_keywords_tenant ON robot_keywords(tenant_id, priority);
-- The robot's answers a customer may rate (有帮助/没帮助): which article,
-- keyword rule or provider answered which question; helpful is NULL until
-- the customer rates it, once.
CREATE TABLE robot_answers (
  message_id TEXT PRIMARY KEY REFERENCES messages(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  source TEXT NOT NULL,
  article_id TEXT NOT NULL DEFAULT '',
  question TEXT NOT NULL,
  helpful BOOLEAN,
  rated_at TIMESTAMPTZ
);
CREATE INDEX robot_answers_article ON robot_answers(tenant_id, article_id);
-- A channel's robot brain: the knowledge base, or an external bot's HTTPS
-- webhook (Standard Webhooks signed with webhook_secret, sealed).
ALTER TABLE robot_settings ADD COLUMN provider TEXT NOT NULL DEFAULT 'kb';
ALTER TABLE robot_settings ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE robot_settings ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE robot_settings ADD COLUMN webhook_timeout_ms INTEGER NOT NULL DEFAULT 3000;

-- +goose Down
ALTER TABLE robot_settings DROP COLUMN webhook_timeout_ms;
ALTER TABLE robot_settings DROP COLUMN webhook_secret;
ALTER TABLE robot_settings DROP COLUMN webhook_url;
ALTER TABLE robot_settings DROP COLUMN provider;
DROP INDEX robot_answers_article;
DROP TABLE robot_answers;
DROP INDEX robot_keywords_tenant;
DROP TABLE robot_keywords;
