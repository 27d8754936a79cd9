-- +goose Up
-- The e-mail channel (connectors/email): each mailbox's polling state (the
-- IMAP folder's UIDVALIDITY and the last UID taken, and the lease one hub
-- process holds while it polls), the Message-IDs of the mails in and out
-- (threading a customer's answer onto its ticket; each stored once), and
-- the staff a tenant notifies by e-mail of new tickets.
CREATE TABLE email_mailboxes (
  channel_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  uid_validity BIGINT NOT NULL DEFAULT 0,
  last_uid BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until TIMESTAMPTZ,
  next_poll_at TIMESTAMPTZ,
  last_polled_at TIMESTAMPTZ,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE email_messages (
  channel_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  direction TEXT NOT NULL,
  address TEXT NOT NULL,
  ticket_id TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel_id, message_id)
);
CREATE INDEX email_messages_address ON email_messages(channel_id, address, created_at);
CREATE TABLE email_recipients (
  tenant_id TEXT NOT NULL,
  address TEXT NOT NULL,
  agent_id TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, address)
);

-- +goose Down
DROP TABLE email_recipients;
DROP TABLE email_messages;
DROP TABLE email_mailboxes;
