-- +goose Up
-- The reasons a customer ticks with a rating (of the level's list in the
-- tenant's scale), one a line between newlines: "\nA\nB\n", '' for none.
ALTER TABLE ratings ADD COLUMN reasons TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE ratings DROP COLUMN reasons;
