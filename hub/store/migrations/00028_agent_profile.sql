-- +goose Up
-- What an agent sets for themselves (个人设置): phone, signature,
-- notification and sound preferences, personal automatic replies — one
-- JSON document (identity.Profile), read with the agent.
ALTER TABLE agents ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE agents DROP COLUMN profile;
