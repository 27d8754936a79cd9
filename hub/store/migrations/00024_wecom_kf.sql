-- +goose Up
-- WeCom 微信客服 (kf): per channel, where the pull of its messages (sync_msg)
-- stands — the cursor, advanced only after the messages before it are on
-- the bus — and who pulls now. A callback adds one to wanted; the process
-- holding the lease (lease_owner until lease_until) pulls until done has
-- caught up with wanted, so overlapping callbacks and several hub
-- processes never pull the same channel at once; a lease whose holder died
-- expires and another process takes over from the stored cursor. token is
-- the last callback's sync token (valid 10 minutes, raises the rate limit).
CREATE TABLE wecom_kf_sync (
  channel_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  sync_cursor TEXT NOT NULL DEFAULT '',
  wanted BIGINT NOT NULL DEFAULT 0,
  done BIGINT NOT NULL DEFAULT 0,
  token TEXT NOT NULL DEFAULT '',
  token_until TIMESTAMPTZ,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX wecom_kf_sync_wanted ON wecom_kf_sync(lease_until);

-- +goose Down
DROP TABLE wecom_kf_sync;
