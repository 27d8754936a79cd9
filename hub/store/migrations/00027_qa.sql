-- +goose Up
-- Quality inspection (质检, issue 16): scoring templates, sampled review
-- batches, the reviews themselves (score, comment, the agent's
-- acknowledgement or appeal and its resolution), the tenant's sensitive
-- words and the alerts raised when an agent sent one. Items of templates
-- and reviews are JSON lists: they are read and written whole.
CREATE TABLE qa_templates (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  items TEXT NOT NULL DEFAULT '[]',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX qa_templates_tenant ON qa_templates(tenant_id, name);
CREATE TABLE qa_batches (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  template_id TEXT NOT NULL REFERENCES qa_templates(id),
  name TEXT NOT NULL,
  rule TEXT NOT NULL DEFAULT '{}',
  size INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX qa_batches_tenant ON qa_batches(tenant_id, created_at);
CREATE TABLE qa_reviews (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  batch_id TEXT NOT NULL REFERENCES qa_batches(id),
  template_id TEXT NOT NULL REFERENCES qa_templates(id),
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  agent_id TEXT NOT NULL REFERENCES agents(id),
  reviewer_id TEXT,
  status TEXT NOT NULL,
  score INTEGER,
  max_score INTEGER NOT NULL,
  fatal BOOLEAN NOT NULL DEFAULT FALSE,
  items TEXT NOT NULL DEFAULT '[]',
  comment TEXT NOT NULL DEFAULT '',
  appeal_reason TEXT NOT NULL DEFAULT '',
  resolution TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  scored_at TIMESTAMPTZ,
  acknowledged_at TIMESTAMPTZ,
  appealed_at TIMESTAMPTZ,
  resolved_at TIMESTAMPTZ,
  UNIQUE (tenant_id, conversation_id)
);
CREATE INDEX qa_reviews_status ON qa_reviews(tenant_id, status, created_at);
CREATE INDEX qa_reviews_agent ON qa_reviews(tenant_id, agent_id, scored_at);
CREATE TABLE qa_words (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  word TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, word)
);
CREATE TABLE qa_alerts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  conversation_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  words TEXT NOT NULL DEFAULT '[]',
  text TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX qa_alerts_tenant ON qa_alerts(tenant_id, created_at);
-- sampling reads closed conversations by closing time
CREATE INDEX conversations_closed ON conversations(tenant_id, closed_at);

-- +goose Down
DROP INDEX conversations_closed;
DROP INDEX qa_alerts_tenant;
DROP TABLE qa_alerts;
DROP TABLE qa_words;
DROP INDEX qa_reviews_agent;
DROP INDEX qa_reviews_status;
DROP TABLE qa_reviews;
DROP INDEX qa_batches_tenant;
DROP TABLE qa_batches;
DROP INDEX qa_templates_tenant;
DROP TABLE qa_templates;
