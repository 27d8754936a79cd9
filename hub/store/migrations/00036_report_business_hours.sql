-- +goose Up
-- Reports: first responses and queue waits counted only within the business
-- hours of the conversation's group (calendar time for a group without
-- hours), summed beside their calendar sums in every rollup grain.
ALTER TABLE report_hours ADD COLUMN first_response_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_hours ADD COLUMN wait_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN first_response_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN wait_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN first_response_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN wait_business_seconds BIGINT NOT NULL DEFAULT 0;
-- The reports re-read the event log from the start to fill them.
DELETE FROM report_hours;
DELETE FROM report_days;
DELETE FROM report_cells;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_origins;
DELETE FROM report_agent_states;
DELETE FROM report_attendance;
DELETE FROM report_cursors;

-- +goose Down
ALTER TABLE report_cells DROP COLUMN wait_business_seconds;
ALTER TABLE report_cells DROP COLUMN first_response_business_seconds;
ALTER TABLE report_days DROP COLUMN wait_business_seconds;
ALTER TABLE report_days DROP COLUMN first_response_business_seconds;
ALTER TABLE report_hours DROP COLUMN wait_business_seconds;
ALTER TABLE report_hours DROP COLUMN first_response_business_seconds;
