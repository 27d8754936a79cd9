-- +goose Up
-- A robot's rich answer (bold, lists, links, images) as sanitized HTML
-- beside the message's plain text: the widget and the app SDK build it
-- with DOM calls, WeChat may send it as a news message; '' is plain.
ALTER TABLE messages ADD COLUMN rich TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN rich;
