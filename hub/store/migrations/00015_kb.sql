-- +goose Up
-- The knowledge base (知识库): FAQ articles the robot answers from and agents
-- search. similar, tags and channels are JSON arrays of strings (相似问法,
-- 标签, the channel ids an article applies to: empty = every channel).
CREATE TABLE kb_articles (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  question TEXT NOT NULL,
  similar_questions TEXT NOT NULL DEFAULT '[]',
  answer TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  channels TEXT NOT NULL DEFAULT '[]',
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  valid_from TIMESTAMPTZ,
  valid_to TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX kb_articles_tenant ON kb_articles(tenant_id, category, updated_at);
-- The words admins teach the search, per tenant: kind 'synonym' (a group,
-- words separated by '='; the first is the one kept), 'stop' (a stop
-- word), 'word' (a domain word the segmenter must keep whole).
CREATE TABLE kb_lexicon (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, value)
);
-- One counter per tenant, bumped in the transaction of every change to its
-- articles or lexicon: each hub process rebuilds its in-memory search index
-- when the counter moved, so a cluster needs no extra service.
CREATE TABLE kb_revisions (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  revision BIGINT NOT NULL
);

-- +goose Down
DROP TABLE kb_revisions;
DROP TABLE kb_lexicon;
DROP TABLE kb_articles;
