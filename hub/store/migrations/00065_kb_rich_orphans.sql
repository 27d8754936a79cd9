-- +goose Up
-- Deleting an article used to leave its rich answers behind: remove the
-- rich answers (and those of versions) of articles that are gone.
DELETE FROM kb_rich_answers WHERE NOT EXISTS (SELECT 1 FROM kb_articles a
  WHERE a.id = kb_rich_answers.article_id AND a.tenant_id = kb_rich_answers.tenant_id);
DELETE FROM kb_rich_versions WHERE NOT EXISTS (SELECT 1 FROM kb_articles a
  WHERE a.id = kb_rich_versions.article_id AND a.tenant_id = kb_rich_versions.tenant_id);

-- +goose Down
-- The removed rows belonged to no article: nothing to bring back.
SELECT 1;
