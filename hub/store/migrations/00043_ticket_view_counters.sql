-- +goose Up
-- The ticket views' badges without reading the tickets (issue 15): the
-- number of tickets per tenant, assignee ('' for none), group ('' for none)
-- and whether unresolved, kept by triggers in the writing transaction
-- whichever statement inserts, deletes, reassigns, regroups or moves a
-- ticket between unresolved and resolved. mine, unassigned, group and all
-- are sums of a few of these rows; overdue (which the clock changes) and
-- following (per agent) still count tickets, over indexes holding only
-- those. Replaces 00041's per-assignee totals and its group index.
-- +kefu postgres
DROP TRIGGER tickets_totals ON tickets;
DROP FUNCTION ticket_totals_count();
-- +kefu sqlite
DROP TRIGGER tickets_totals_assign;
DROP TRIGGER tickets_totals_delete;
DROP TRIGGER tickets_totals_insert;
-- +kefu end
DROP TABLE ticket_totals;
DROP INDEX tickets_open_group;
CREATE TABLE ticket_counters (
  tenant_id TEXT NOT NULL,
  assignee_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  unresolved INTEGER NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, unresolved, assignee_id, group_id)
);
INSERT INTO ticket_counters (tenant_id, assignee_id, group_id, unresolved, n)
  SELECT tenant_id, COALESCE(assignee_id, ''), COALESCE(group_id, ''),
  CASE WHEN status IN ('solved', 'closed') THEN 0 ELSE 1 END, COUNT(*) FROM tickets
  GROUP BY tenant_id, COALESCE(assignee_id, ''), COALESCE(group_id, ''), CASE WHEN status IN ('solved', 'closed') THEN 0 ELSE 1 END;
-- +kefu postgres
-- +goose StatementBegin
CREATE FUNCTION ticket_counters_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  oa TEXT; og TEXT; ou INTEGER;
  na TEXT; ng TEXT; nu INTEGER;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    oa := COALESCE(OLD.assignee_id, ''); og := COALESCE(OLD.group_id, '');
    ou := CASE WHEN OLD.status IN ('solved', 'closed') THEN 0 ELSE 1 END;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    na := COALESCE(NEW.assignee_id, ''); ng := COALESCE(NEW.group_id, '');
    nu := CASE WHEN NEW.status IN ('solved', 'closed') THEN 0 ELSE 1 END;
  END IF;
  IF TG_OP = 'UPDATE' AND (ou, oa, og) = (nu, na, ng) THEN
    RETURN NULL;
  END IF;
  -- the two rows of a move in key order, so that moves the other way
  -- round wait for each other instead of deadlocking
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (ou, oa, og) < (nu, na, ng)) THEN
    UPDATE ticket_counters SET n = n - 1
      WHERE tenant_id = OLD.tenant_id AND unresolved = ou AND assignee_id = oa AND group_id = og;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO ticket_counters (tenant_id, assignee_id, group_id, unresolved, n) VALUES (NEW.tenant_id, na, ng, nu, 1)
      ON CONFLICT (tenant_id, unresolved, assignee_id, group_id) DO UPDATE SET n = ticket_counters.n + 1;
  END IF;
  IF TG_OP = 'UPDATE' AND (ou, oa, og) > (nu, na, ng) THEN
    UPDATE ticket_counters SET n = n - 1
      WHERE tenant_id = OLD.tenant_id AND unresolved = ou AND assignee_id = oa AND group_id = og;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tickets_counters AFTER INSERT OR DELETE OR UPDATE OF assignee_id, group_id, status ON tickets
  FOR EACH ROW EXECUTE FUNCTION ticket_counters_keep();
-- +kefu sqlite
-- +goose StatementBegin
CREATE TRIGGER tickets_counters_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_counters (tenant_id, assignee_id, group_id, unresolved, n) VALUES (new.tenant_id,
    COALESCE(new.assignee_id, ''), COALESCE(new.group_id, ''), new.status NOT IN ('solved', 'closed'), 1)
    ON CONFLICT (tenant_id, unresolved, assignee_id, group_id) DO UPDATE SET n = ticket_counters.n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tickets_counters_delete AFTER DELETE ON tickets BEGIN
  UPDATE ticket_counters SET n = n - 1 WHERE tenant_id = old.tenant_id AND unresolved = (old.status NOT IN ('solved', 'closed'))
    AND assignee_id = COALESCE(old.assignee_id, '') AND group_id = COALESCE(old.group_id, '');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tickets_counters_move AFTER UPDATE OF assignee_id, group_id, status ON tickets
  WHEN old.assignee_id IS NOT new.assignee_id OR old.group_id IS NOT new.group_id
    OR (old.status NOT IN ('solved', 'closed')) <> (new.status NOT IN ('solved', 'closed')) BEGIN
  UPDATE ticket_counters SET n = n - 1 WHERE tenant_id = old.tenant_id AND unresolved = (old.status NOT IN ('solved', 'closed'))
    AND assignee_id = COALESCE(old.assignee_id, '') AND group_id = COALESCE(old.group_id, '');
  INSERT INTO ticket_counters (tenant_id, assignee_id, group_id, unresolved, n) VALUES (new.tenant_id,
    COALESCE(new.assignee_id, ''), COALESCE(new.group_id, ''), new.status NOT IN ('solved', 'closed'), 1)
    ON CONFLICT (tenant_id, unresolved, assignee_id, group_id) DO UPDATE SET n = ticket_counters.n + 1;
END;
-- +goose StatementEnd
-- +kefu end

-- +goose Down
-- (00041's per-assignee totals are not rebuilt: migrate down past 00041)
-- +kefu postgres
DROP TRIGGER tickets_counters ON tickets;
DROP FUNCTION ticket_counters_keep();
-- +kefu sqlite
DROP TRIGGER tickets_counters_move;
DROP TRIGGER tickets_counters_delete;
DROP TRIGGER tickets_counters_insert;
-- +kefu end
DROP TABLE ticket_counters;
