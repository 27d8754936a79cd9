-- +goose Up
-- Admins deactivate a channel instead of deleting it: its conversations,
-- tickets and reports stay, its webhooks stop taking messages, and it can be
-- activated again.
ALTER TABLE channels ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE channels DROP COLUMN disabled;
