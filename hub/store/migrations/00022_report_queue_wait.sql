-- +goose Up
-- Reports: the queue wait (opened → first taken by an agent), summed per
-- slot with how many waited. The reports re-read the event log from the
-- start to fill it for the conversations before.
ALTER TABLE report_hours ADD COLUMN waited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_hours ADD COLUMN wait_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN waited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN wait_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN waited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_cells ADD COLUMN wait_seconds BIGINT NOT NULL DEFAULT 0;
DELETE FROM report_hours;
DELETE FROM report_days;
DELETE FROM report_cells;
DELETE FROM report_facts;
DELETE FROM report_conversations;
DELETE FROM report_cursors;

-- +goose Down
ALTER TABLE report_cells DROP COLUMN wait_seconds;
ALTER TABLE report_cells DROP COLUMN waited;
ALTER TABLE report_days DROP COLUMN wait_seconds;
ALTER TABLE report_days DROP COLUMN waited;
ALTER TABLE report_hours DROP COLUMN wait_seconds;
ALTER TABLE report_hours DROP COLUMN waited;
