-- +goose Up
-- Reports: the origins of conversations (source, keyword, referrer,
-- landing page, region, device) summed per UTC day as well as per hour, as
-- report_days sums report_hours: a report over whole days reads the days
-- and only its edge hours, not every hour. The consumer adds to both in the
-- transaction that writes the facts; existing hours are summed into days
-- here.
CREATE TABLE report_origin_days (
  tenant_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  k TEXT NOT NULL,
  day BIGINT NOT NULL,
  channel_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, dim, day, k, channel_id, group_id)
);
CREATE TABLE report_agent_origin_days (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  k TEXT NOT NULL,
  day BIGINT NOT NULL,
  channel_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  conversations BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, agent_id, dim, day, k, channel_id, group_id)
);
INSERT INTO report_origin_days (tenant_id, dim, k, day, channel_id, group_id, conversations)
  SELECT tenant_id, dim, k, hour - hour % 86400, channel_id, group_id, SUM(conversations) FROM report_origins
  GROUP BY tenant_id, dim, k, hour - hour % 86400, channel_id, group_id;
INSERT INTO report_agent_origin_days (tenant_id, agent_id, dim, k, day, channel_id, group_id, conversations)
  SELECT tenant_id, agent_id, dim, k, hour - hour % 86400, channel_id, group_id, SUM(conversations)
  FROM report_agent_origins GROUP BY tenant_id, agent_id, dim, k, hour - hour % 86400, channel_id, group_id;

-- +goose Down
DROP TABLE report_agent_origin_days;
DROP TABLE report_origin_days;
