-- +goose Up
-- contact_field_values (00040, 00042) is kept by triggers on contacts, which
-- ran for every new contact even when it has no custom fields — most new
-- customers — and for every update naming custom, changed or not. On
-- PostgreSQL the trigger function was ~40 % of inserting a contact (about
-- 0.1 ms a row): the triggers now fire only when there is something to keep.
-- +kefu postgres
DROP TRIGGER contacts_field_values ON contacts;
CREATE TRIGGER contacts_field_values_insert AFTER INSERT ON contacts
  FOR EACH ROW WHEN (NEW.custom <> '{}') EXECUTE FUNCTION contact_field_values_sync();
CREATE TRIGGER contacts_field_values_update AFTER UPDATE OF custom ON contacts
  FOR EACH ROW WHEN (OLD.custom IS DISTINCT FROM NEW.custom) EXECUTE FUNCTION contact_field_values_sync();
CREATE TRIGGER contacts_field_values_delete AFTER DELETE ON contacts
  FOR EACH ROW EXECUTE FUNCTION contact_field_values_sync();
-- +kefu sqlite
DROP TRIGGER contacts_field_values_insert;
DROP TRIGGER contacts_field_values_update;
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_insert AFTER INSERT ON contacts WHEN new.custom <> '{}' BEGIN
  INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
    SELECT DISTINCT new.id, j.key, p.value, new.tenant_id FROM json_each(new.custom) j,
    json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p
    WHERE length(p.value) <= 200 AND length(j.key) <= 100;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_field_values_update AFTER UPDATE OF custom ON contacts WHEN old.custom IS NOT new.custom BEGIN
  DELETE FROM contact_field_values WHERE contact_id = old.id;
  INSERT INTO contact_field_values (contact_id, field, value, tenant_id)
    SELECT DISTINCT new.id, j.key, p.value, new.tenant_id FROM json_each(new.custom) j,
    json_each('[' || replace(json_quote(j.value), ',', '","') || ']') p
    WHERE length(p.value) <= 200 AND length(j.key) <= 100;
END;
-- +goose StatementEnd
-- +kefu end

-- +goose Down
-- +kefu postgres
DROP TRIGGER contacts_field_values_insert ON contacts;
DROP TRIGGER contacts_field_values_update ON contacts;
DROP TRIGGER contacts_field_values_delete ON contacts;
CREATE TRIGGER contacts_field_values AFTER INSERT OR DELETE OR UPDATE OF custom ON contacts
  FOR EACH ROW EXECUTE FUNCTION contact_field_values_sync();
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
