-- +goose Up
-- The rich answer of each article version that saved one (an admin's rich
-- answer, a restore, an import with a 富文本答案 column): a version's rich
-- answer is the newest of these at or before it, when its text is still
-- the version's answer; html '' records a version made plain again. The
-- rich answers saved before this table are recorded at version 0, so the
-- versions whose answer is their text show them.
CREATE TABLE kb_rich_versions (
  article_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (article_id, version)
);
CREATE INDEX kb_rich_versions_tenant ON kb_rich_versions(tenant_id);
INSERT INTO kb_rich_versions (article_id, version, tenant_id, html, text)
  SELECT article_id, 0, tenant_id, html, text FROM kb_rich_answers;

-- +goose Down
DROP INDEX kb_rich_versions_tenant;
DROP TABLE kb_rich_versions;
