-- +goose Up
-- Which articles each knowledge-base revision changed, so a process whose
-- search index is a few revisions behind updates just those articles
-- instead of rebuilding it; article_id '*' stands for every article (a
-- lexicon change, a large import). Only the last revisions are kept: a
-- process further behind rebuilds.
CREATE TABLE kb_changes (
  tenant_id TEXT NOT NULL,
  revision BIGINT NOT NULL,
  article_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, revision, article_id)
);

-- +goose Down
DROP TABLE kb_changes;
