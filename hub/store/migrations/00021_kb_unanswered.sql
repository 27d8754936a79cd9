-- +goose Up
-- Questions the robot could not answer (未解决问题), counted per tenant, so
-- admins add the articles customers are missing (learning from chats).
-- The text is the stored, masked message.
CREATE TABLE kb_unanswered (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  question TEXT NOT NULL,
  hits INTEGER NOT NULL,
  last_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, question)
);
CREATE INDEX kb_unanswered_hits ON kb_unanswered(tenant_id, hits);

-- +goose Down
DROP INDEX kb_unanswered_hits;
DROP TABLE kb_unanswered;
