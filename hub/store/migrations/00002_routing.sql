-- +goose Up
-- Routing policies, rules, queue state, explanations, durable timers and
-- automations (issue 3).
ALTER TABLE agent_groups ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE agent_groups ADD COLUMN rr_counter BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN rr_turn BIGINT NOT NULL DEFAULT 0;
CREATE TABLE routing_rules (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  conditions TEXT NOT NULL DEFAULT '{}',
  targets TEXT NOT NULL DEFAULT '[]',
  overflow_after_seconds INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX routing_rules_tenant ON routing_rules(tenant_id, position);
CREATE TABLE conversation_routing (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
  tenant_id TEXT NOT NULL,
  visit TEXT NOT NULL DEFAULT '{}',
  plan TEXT NOT NULL DEFAULT '',
  stage INTEGER NOT NULL DEFAULT 0,
  stage_at TIMESTAMPTZ,
  queue_key TEXT NOT NULL DEFAULT '',
  announced_position INTEGER NOT NULL DEFAULT 0,
  announced_at TIMESTAMPTZ,
  last_reason TEXT NOT NULL DEFAULT '',
  unanswered_at TIMESTAMPTZ
);
CREATE INDEX conversation_routing_queue ON conversation_routing(tenant_id, queue_key);
CREATE TABLE assignments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  group_id TEXT NOT NULL DEFAULT '',
  how TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX assignments_agent_day ON assignments(tenant_id, created_at, agent_id);
CREATE INDEX assignments_contact ON assignments(contact_id, created_at);
CREATE TABLE routing_log (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  agent_id TEXT NOT NULL DEFAULT '',
  group_id TEXT NOT NULL DEFAULT '',
  rule_id TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX routing_log_conversation ON routing_log(conversation_id, created_at);
CREATE TABLE timers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL DEFAULT '',
  due_at TIMESTAMPTZ NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  fired_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (conversation_id, kind)
);
CREATE INDEX timers_due ON timers(status, due_at);
CREATE TABLE automation_settings (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL DEFAULT '',
  settings TEXT NOT NULL DEFAULT '{}',
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, channel_id)
);

-- +goose Down
DROP TABLE automation_settings; DROP TABLE timers; DROP TABLE routing_log; DROP TABLE assignments;
DROP TABLE conversation_routing; DROP TABLE routing_rules;
ALTER TABLE group_members DROP COLUMN rr_turn;
ALTER TABLE agent_groups DROP COLUMN rr_counter;
ALTER TABLE agent_groups DROP COLUMN settings;
