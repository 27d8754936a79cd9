-- +goose Up
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
  last_event_id BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  employee_no TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  superadmin BOOLEAN NOT NULL DEFAULT FALSE,
  max_chats INTEGER NOT NULL DEFAULT 5,
  current_chats INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'offline',
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  last_assigned_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX agents_tenant ON agents(tenant_id, status);
CREATE TABLE agent_groups (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES agent_groups(id),
  agent_id TEXT NOT NULL REFERENCES agents(id),
  tenant_id TEXT NOT NULL,
  PRIMARY KEY (group_id, agent_id)
);
CREATE INDEX group_members_agent ON group_members(agent_id);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  tenant_id TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  agent_id TEXT NOT NULL REFERENCES agents(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  last_used_at TIMESTAMPTZ
);
CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  secret TEXT NOT NULL,
  config JSONB NOT NULL DEFAULT '{}',
  default_group_id TEXT REFERENCES agent_groups(id),
  wants_events BOOLEAN NOT NULL DEFAULT FALSE,
  offline_message TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  last_inbound_at TIMESTAMPTZ,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX channels_tenant ON channels(tenant_id);
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL REFERENCES channels(id),
  external_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (channel_id, external_id)
);
CREATE INDEX contacts_tenant ON contacts(tenant_id);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  channel_id TEXT NOT NULL REFERENCES channels(id),
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  group_id TEXT REFERENCES agent_groups(id),
  assignee_id TEXT REFERENCES agents(id),
  status TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  close_reason TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  queued_at TIMESTAMPTZ,
  assigned_at TIMESTAMPTZ,
  closed_at TIMESTAMPTZ,
  last_message_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX conversations_one_active ON conversations(channel_id, contact_id) WHERE status <> 'closed';
CREATE INDEX conversations_queue ON conversations(tenant_id, status, queued_at);
CREATE INDEX conversations_assignee ON conversations(tenant_id, assignee_id, status);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  channel_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  direction TEXT NOT NULL,
  sender_type TEXT NOT NULL,
  sender_id TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  attachments TEXT NOT NULL DEFAULT '[]',
  external_id TEXT,
  client_id TEXT,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (channel_id, external_id),
  UNIQUE (conversation_id, client_id),
  UNIQUE (conversation_id, seq)
);
CREATE TABLE events (
  tenant_id TEXT NOT NULL,
  id BIGINT NOT NULL,
  type TEXT NOT NULL,
  conversation_id TEXT NOT NULL DEFAULT '',
  agent_id TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_agent ON events(tenant_id, agent_id, id);
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  kind TEXT NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_channel ON deliveries(tenant_id, channel_id, created_at);
CREATE TABLE delivery_attempts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL REFERENCES deliveries(id),
  attempt INTEGER NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, attempt);
CREATE TABLE failed_messages (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT '',
  topic TEXT NOT NULL,
  payload TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  retried_at TIMESTAMPTZ
);
CREATE INDEX failed_messages_tenant ON failed_messages(tenant_id, created_at);
CREATE TABLE tickets (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  status TEXT NOT NULL,
  assignee_id TEXT,
  subject TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  solved_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX tickets_one_open ON tickets(channel_id, contact_id) WHERE status <> 'solved';
CREATE INDEX tickets_tenant ON tickets(tenant_id, status, created_at);
CREATE TABLE ticket_messages (
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  message_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (ticket_id, message_id)
);

-- +goose Down
DROP TABLE ticket_messages; DROP TABLE tickets; DROP TABLE failed_messages; DROP TABLE delivery_attempts;
DROP TABLE deliveries; DROP TABLE events; DROP TABLE messages; DROP TABLE conversations; DROP TABLE contacts;
DROP TABLE channels; DROP TABLE api_tokens; DROP TABLE sessions; DROP TABLE group_members; DROP TABLE agent_groups;
DROP TABLE agents; DROP TABLE tenants;
