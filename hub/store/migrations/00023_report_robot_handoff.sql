-- +goose Up
-- Reports: when the robot last spoke before a human took the conversation
-- (its hand-off), where the first response time and the queue wait start
-- (as Chatwoot's bot hand-off). The reports re-read the event log.
ALTER TABLE report_conversations ADD COLUMN robot_at TIMESTAMPTZ;
DELETE FROM report_hours;
DELETE FROM report_days;
DELETE FROM report_cells;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_cursors;

-- +goose Down
ALTER TABLE report_conversations DROP COLUMN robot_at;
