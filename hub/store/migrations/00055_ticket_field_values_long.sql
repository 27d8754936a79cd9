-- +goose Up
-- Ticket custom-field values longer than 200 characters (a text field holds
-- up to 1,000) become findable by the list's field filter (issue 15):
-- ticket_field_values keeps such a value as its first 200 characters and
-- "…" (a term no shorter value can equal), the filter looks that term up
-- and compares the whole value in the ticket's JSON. The tickets written
-- before kept no row for their long values: they get theirs here.
-- +kefu postgres
INSERT INTO ticket_field_values (ticket_id, field, value, tenant_id)
  SELECT t.id, e.key, substr(e.value, 1, 200) || '…', t.tenant_id FROM tickets t, jsonb_each_text(t.custom::jsonb) e
  WHERE length(e.value) > 200 ON CONFLICT DO NOTHING;
-- +kefu sqlite
INSERT INTO ticket_field_values (ticket_id, field, value, tenant_id)
  SELECT t.id, e.key, substr(e.value, 1, 200) || '…', t.tenant_id FROM tickets t, json_each(t.custom) e
  WHERE length(e.value) > 200 ON CONFLICT DO NOTHING;
-- +kefu end

-- +goose Down
DELETE FROM ticket_field_values WHERE length(value) > 200;
