-- +goose Up
-- When the customer's oldest unanswered message to the robot arrived (NULL:
-- none). A robot turn lost with its process (the answer is given after the
-- message is stored) is found by it and handed over to a person.
ALTER TABLE robot_conversations ADD COLUMN pending_since TIMESTAMPTZ;
CREATE INDEX robot_conversations_pending ON robot_conversations(pending_since);

-- +goose Down
DROP INDEX robot_conversations_pending;
ALTER TABLE robot_conversations DROP COLUMN pending_since;
