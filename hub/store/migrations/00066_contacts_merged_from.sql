-- +goose Up
-- A plain agent's customer list (issue 15) sees the survivors of the
-- contacts of their conversations merged away: the merged ones among those
-- contacts are found in this index of merged contacts alone, without
-- reading each contact's row (SQLite read the 10,000 rows of an agent's
-- conversations for it on every page: 0.3 s of a page at a million
-- contacts).
CREATE INDEX contacts_merged_from ON contacts(tenant_id, id, merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX contacts_merged_from;
