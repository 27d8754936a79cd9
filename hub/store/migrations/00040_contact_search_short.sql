-- +goose Up
-- The customer list's custom field filter (field=…&field_value=…) at a
-- million contacts (issue 15): each contact's custom field values, one row
-- per value (a multi select's values are its comma-separated parts, as the
-- filter always split them), kept by triggers in the writing transaction
-- whichever statement writes contacts.custom. The filter finds a rare
-- value's contacts through the (tenant, field, value) index and, for a
-- common one, walks the list in order probing the primary key, instead of
-- reading the JSON of every contact.
CREATE TABLE contact_field_values (
  contact_id TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  PRIMARY KEY (contact_id, field, value)
);
CREATE INDEX contact_field_values_value ON contact_field_values(tenant_id, field, value);
-- +kefu postgres
-- A search text of one or two characters has no trigram for the trigram
-- indexes (00037): PostgreSQL finds its candidates through the characters
-- each contact's searched expression (and each handle) holds, an array
-- indexed by GIN; the query's own LIKE decides. (SQLite looks such texts
-- up by the trigrams they start in its FTS5 vocabulary.)
CREATE INDEX contacts_search_chars ON contacts USING GIN (string_to_array(LOWER(name || '\x01' || email || '\x01' ||
  phone || '\x01' || company || '\x01' || external_id || '\x01' || tags || '\x01' || custom), NULL));
CREATE INDEX contact_handles_search_chars ON contact_handles USING GIN (string_to_array(LOWER(handle), NULL));
INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
  SELECT DISTINCT c.id, e.key, v, c.tenant_id FROM contacts c, jsonb_each_text(c.custom::jsonb) e,
  regexp_split_to_table(e.value, ',') v;
-- +goose StatementBegin
CREATE FUNCTION contact_field_values_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM contact_field_values WHERE contact_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
      SELECT DISTINCT NEW.id, e.key, v, NEW.tenant_id FROM jsonb_each_text(NEW.custom::jsonb) e,
      regexp_split_to_table(e.value, ',') v;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contacts_field_values AFTER INSERT OR DELETE OR UPDATE OF custom ON contacts
  FOR EACH ROW EXECUTE FUNCTION contact_field_values_sync();
-- +kefu sqlite
INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
  SELECT DISTINCT c.id, j.key, p.value, c.tenant_id FROM contacts c, json_each(c.custom) j,
  json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p;
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
    SELECT DISTINCT new.id, j.key, p.value, new.tenant_id FROM json_each(new.custom) j,
    json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_update AFTER UPDATE OF custom ON contacts BEGIN
  DELETE FROM contact_field_values WHERE contact_id = old.id;
  INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
    SELECT DISTINCT new.id, j.key, p.value, new.tenant_id FROM json_each(new.custom) j,
    json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_delete AFTER DELETE ON contacts BEGIN
  DELETE FROM contact_field_values WHERE contact_id = old.id;
END;
-- +goose StatementEnd
-- +kefu end

-- +goose Down
-- +kefu postgres
DROP INDEX contact_handles_search_chars;
DROP INDEX contacts_search_chars;
DROP TRIGGER contacts_field_values ON contacts;
DROP FUNCTION contact_field_values_sync();
-- +kefu sqlite
DROP TRIGGER contacts_field_values_delete;
DROP TRIGGER contacts_field_values_update;
DROP TRIGGER contacts_field_values_insert;
-- +kefu end
DROP TABLE contact_field_values;
