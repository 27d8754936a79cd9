-- +goose Up
-- The web channel counts the active conversations of the visitors last
-- seen from one client address (its per-address cap): their contacts by
-- channel and address, the most recent first.
CREATE INDEX visitors_channel_ip ON visitors(channel_id, ip, last_seen_at);

-- +goose Down
DROP INDEX visitors_channel_ip;
