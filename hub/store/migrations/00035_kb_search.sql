-- +goose Up
-- The knowledge base's full-text index, kept in the database so that every
-- hub process of a cluster searches the same index and none holds a large
-- knowledge base in memory. One row per article: terms are its words
-- (segmented, synonyms folded, stop words dropped) and the character
-- bigrams of its Chinese runs, space-separated, for candidate retrieval;
-- seg is the segmented words of its answer (first line) and of each of its
-- questions (one line each), from which the final ranking scores the
-- candidates without segmenting them again.
-- +kefu sqlite
CREATE VIRTUAL TABLE kb_search USING fts5(article_id, tenant_id, terms, seg UNINDEXED);
-- rank (bm25) counts the terms only, not the id columns.
INSERT INTO kb_search (kb_search, rank) VALUES ('rank', 'bm25(0.0, 0.0, 1.0, 0.0)');
-- +kefu postgres
CREATE TABLE kb_search (
  article_id TEXT PRIMARY KEY REFERENCES kb_articles(id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL,
  terms TEXT NOT NULL,
  seg TEXT NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED
);
CREATE INDEX kb_search_tsv ON kb_search USING GIN (tsv);
-- +kefu end
-- The segmenter version (built-in dictionaries + the tenant's lexicon) the
-- tenant's kb_search rows were made with: when it changes, the rows are made
-- again.
ALTER TABLE kb_revisions ADD COLUMN search_version TEXT NOT NULL DEFAULT '';
-- Every version of every article (修改记录): who saved it, when, and the
-- article as it was then (JSON), so an edit can be undone by restoring one.
CREATE TABLE kb_versions (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  article_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  action TEXT NOT NULL,
  edited_by TEXT NOT NULL DEFAULT '',
  article TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (article_id, version)
);
CREATE INDEX kb_versions_tenant ON kb_versions(tenant_id, article_id);

-- +goose Down
DROP TABLE kb_versions;
ALTER TABLE kb_revisions DROP COLUMN search_version;
DROP TABLE kb_search;
