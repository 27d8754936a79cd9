-- +goose Up
-- The ticket views' badges (GET /tickets/views) at scale (issue 15): each
-- view counted over an index holding that view's tickets only, and "all"
-- (which grows with every ticket ever opened) from per-assignee totals
-- ('' for unassigned) kept by triggers in the writing transaction,
-- whichever statement inserts, deletes or reassigns a ticket.
CREATE TABLE ticket_totals (
  tenant_id TEXT NOT NULL,
  assignee_id TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, assignee_id)
);
INSERT INTO ticket_totals (tenant_id, assignee_id, n)
  SELECT tenant_id, COALESCE(assignee_id, ''), COUNT(*) FROM tickets GROUP BY tenant_id, COALESCE(assignee_id, '');
CREATE INDEX tickets_open_group ON tickets(tenant_id, group_id, assignee_id, id)
  WHERE status <> 'solved' AND status <> 'closed';
CREATE INDEX tickets_open_due ON tickets(tenant_id, next_due_at, assignee_id, id)
  WHERE status <> 'solved' AND status <> 'closed';
CREATE INDEX tickets_breached ON tickets(tenant_id, next_due_at, assignee_id, id)
  WHERE (first_response_sla = 2 OR resolution_sla = 2) AND status <> 'solved' AND status <> 'closed';
-- +kefu postgres
-- +goose StatementBegin
CREATE FUNCTION ticket_totals_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was TEXT;
  now_ TEXT;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ticket_totals (tenant_id, assignee_id, n) VALUES (NEW.tenant_id, COALESCE(NEW.assignee_id, ''), 1)
      ON CONFLICT (tenant_id, assignee_id) DO UPDATE SET n = ticket_totals.n + 1;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE ticket_totals SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND assignee_id = COALESCE(OLD.assignee_id, '');
  ELSIF OLD.assignee_id IS DISTINCT FROM NEW.assignee_id THEN
    was := COALESCE(OLD.assignee_id, '');
    now_ := COALESCE(NEW.assignee_id, '');
    -- the two rows in key order, so that moves the other way round wait
    -- for each other instead of deadlocking
    IF was < now_ THEN
      UPDATE ticket_totals SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND assignee_id = was;
    END IF;
    INSERT INTO ticket_totals (tenant_id, assignee_id, n) VALUES (NEW.tenant_id, now_, 1)
      ON CONFLICT (tenant_id, assignee_id) DO UPDATE SET n = ticket_totals.n + 1;
    IF was > now_ THEN
      UPDATE ticket_totals SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND assignee_id = was;
    END IF;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tickets_totals AFTER INSERT OR DELETE OR UPDATE OF assignee_id ON tickets
  FOR EACH ROW EXECUTE FUNCTION ticket_totals_count();
-- +kefu sqlite
-- +goose StatementBegin
CREATE TRIGGER tickets_totals_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_totals (tenant_id, assignee_id, n) VALUES (new.tenant_id, COALESCE(new.assignee_id, ''), 1)
    ON CONFLICT (tenant_id, assignee_id) DO UPDATE SET n = ticket_totals.n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tickets_totals_delete AFTER DELETE ON tickets BEGIN
  UPDATE ticket_totals SET n = n - 1 WHERE tenant_id = old.tenant_id AND assignee_id = COALESCE(old.assignee_id, '');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tickets_totals_assign AFTER UPDATE OF assignee_id ON tickets
  WHEN old.assignee_id IS NOT new.assignee_id BEGIN
  UPDATE ticket_totals SET n = n - 1 WHERE tenant_id = old.tenant_id AND assignee_id = COALESCE(old.assignee_id, '');
  INSERT INTO ticket_totals (tenant_id, assignee_id, n) VALUES (new.tenant_id, COALESCE(new.assignee_id, ''), 1)
    ON CONFLICT (tenant_id, assignee_id) DO UPDATE SET n = ticket_totals.n + 1;
END;
-- +goose StatementEnd
-- +kefu end

-- +goose Down
-- +kefu postgres
DROP TRIGGER tickets_totals ON tickets;
DROP FUNCTION ticket_totals_count();
-- +kefu sqlite
DROP TRIGGER tickets_totals_assign;
DROP TRIGGER tickets_totals_delete;
DROP TRIGGER tickets_totals_insert;
-- +kefu end
DROP INDEX tickets_breached;
DROP INDEX tickets_open_due;
DROP INDEX tickets_open_group;
DROP TABLE ticket_totals;
