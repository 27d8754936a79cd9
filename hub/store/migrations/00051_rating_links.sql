-- +goose Up
-- Rating links (issue 15): the invitation on WeChat, Weibo, QQ and WeCom
-- carries a link to the hub's rating page, a token naming one
-- conversation, with its expiry, signed with its tenant's key (one
-- random key per tenant, made when the first link is).
CREATE TABLE rating_link_keys (
  tenant_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
-- The invitation on close is a setting of each channel ("rating" in its
-- config, as web and app channels have): every WeChat, Weibo, QQ and
-- WeCom channel takes the tenant-wide switch it followed until now (on
-- when the tenant never saved one), and the switch goes.
-- +kefu postgres
UPDATE channels SET config = config::jsonb || jsonb_build_object('rating', COALESCE((SELECT (rs.settings::jsonb ->> 'auto_invite')::boolean
  FROM rating_settings rs WHERE rs.tenant_id = channels.tenant_id), TRUE))
  WHERE type IN ('wechat', 'weibo', 'qq', 'wecom_kf');
UPDATE rating_settings SET settings = (settings::jsonb - 'auto_invite')::text;
-- +kefu end
-- +kefu sqlite
UPDATE channels SET config = json_set(config, '$.rating', json(CASE WHEN COALESCE((SELECT json_extract(rs.settings, '$.auto_invite')
  FROM rating_settings rs WHERE rs.tenant_id = channels.tenant_id), 1) THEN 'true' ELSE 'false' END))
  WHERE type IN ('wechat', 'weibo', 'qq', 'wecom_kf');
UPDATE rating_settings SET settings = json_remove(settings, '$.auto_invite');
-- +kefu end

-- +goose Down
DROP TABLE rating_link_keys;
