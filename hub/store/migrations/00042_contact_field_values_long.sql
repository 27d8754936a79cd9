-- +goose Up
-- contact_field_values (00040) holds values of up to 200 characters of
-- fields named in up to 100, so that a row always fits an index entry (a
-- text field holds up to 1,000 characters); the custom field filter matches
-- a longer value in the contact's JSON.
DELETE FROM contact_field_values WHERE length(value) > 200 OR length(field) > 100;
-- +kefu postgres
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contact_field_values_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM contact_field_values WHERE contact_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
      SELECT DISTINCT NEW.id, e.key, v, NEW.tenant_id FROM jsonb_each_text(NEW.custom::jsonb) e,
      regexp_split_to_table(e.value, ',') v WHERE length(v) <= 200 AND length(e.key) <= 100;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +kefu sqlite
DROP TRIGGER contacts_field_values_insert;
DROP TRIGGER contacts_field_values_update;
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
    SELECT DISTINCT new.id, j.key, p.value, new.tenant_id FROM json_each(new.custom) j,
    json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p
    WHERE length(p.value) <= 200 AND length(j.key) <= 100;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_update AFTER UPDATE OF custom ON contacts BEGIN
  DELETE FROM contact_field_values WHERE contact_id = old.id;
  INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
    SELECT DISTINCT new.id, j.key, p.value, new.tenant_id FROM json_each(new.custom) j,
    json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p
    WHERE length(p.value) <= 200 AND length(j.key) <= 100;
END;
-- +goose StatementEnd
-- +kefu end

-- +goose Down
-- (the rows of long values are not restored: 00040's triggers write them
-- again as contacts change)
SELECT 1;
