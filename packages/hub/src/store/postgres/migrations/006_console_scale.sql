-- The console at 2,000,000 documents (SQLite 012_console_scale.sql, which says why). 1. The nationwide totals:
-- active agencies, the active ones a system acts for, and the packet bytes of documents not archived. Kept by
-- row triggers in the writer's transaction; writes hold the one write lock, so the single rows are not contended.
CREATE TABLE console_totals (
  key    TEXT COLLATE "C" PRIMARY KEY,
  value  BIGINT NOT NULL
);

INSERT INTO console_totals (key, value) VALUES
  ('active_agencies', (SELECT count(*) FROM agencies WHERE deleted = false AND state = 'active')),
  ('connected_agencies', (SELECT count(*) FROM agencies a WHERE a.deleted = false AND a.state = 'active' AND EXISTS (SELECT 1 FROM system_agencies sa WHERE sa.agency = a.code))),
  ('packet_bytes', (SELECT coalesce(sum(bytes), 0) FROM documents WHERE archived_in IS NULL));

CREATE FUNCTION console_totals_add(p_key TEXT, p_by BIGINT) RETURNS void LANGUAGE sql AS $$
  UPDATE console_totals SET value = value + p_by WHERE key = p_key AND p_by <> 0;
$$;

-- 1 when the agency counts as active (and, for connected, a system acts for it), else 0.
CREATE FUNCTION console_totals_active(p_deleted BOOLEAN, p_state TEXT) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN NOT p_deleted AND p_state = 'active' THEN 1 ELSE 0 END;
$$;
CREATE FUNCTION console_totals_served(p_code TEXT) RETURNS INTEGER LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN EXISTS (SELECT 1 FROM system_agencies WHERE agency = p_code) THEN 1 ELSE 0 END;
$$;

CREATE FUNCTION console_totals_agencies() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  active_delta INTEGER := 0;
  connected_delta INTEGER := 0;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    active_delta := active_delta - console_totals_active(OLD.deleted, OLD.state);
    connected_delta := connected_delta - console_totals_active(OLD.deleted, OLD.state) * console_totals_served(OLD.code);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    active_delta := active_delta + console_totals_active(NEW.deleted, NEW.state);
    connected_delta := connected_delta + console_totals_active(NEW.deleted, NEW.state) * console_totals_served(NEW.code);
  END IF;
  PERFORM console_totals_add('active_agencies', active_delta);
  PERFORM console_totals_add('connected_agencies', connected_delta);
  RETURN NULL;
END $$;
CREATE TRIGGER console_totals_agencies AFTER INSERT OR UPDATE OR DELETE ON agencies FOR EACH ROW EXECUTE FUNCTION console_totals_agencies();

-- The first system for an active agency connects it, the last one leaving disconnects it.
CREATE FUNCTION console_totals_system_agencies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.agency = NEW.agency THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND console_totals_served(OLD.agency) = 0 THEN
    PERFORM console_totals_add('connected_agencies', -(SELECT count(*) FROM agencies WHERE code = OLD.agency AND deleted = false AND state = 'active'));
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (SELECT count(*) FROM system_agencies WHERE agency = NEW.agency) = 1 THEN
    PERFORM console_totals_add('connected_agencies', (SELECT count(*) FROM agencies WHERE code = NEW.agency AND deleted = false AND state = 'active'));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER console_totals_system_agencies AFTER INSERT OR UPDATE OR DELETE ON system_agencies FOR EACH ROW EXECUTE FUNCTION console_totals_system_agencies();

-- A document's packet bytes count until it is archived.
CREATE FUNCTION console_totals_documents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta BIGINT := 0;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.archived_in IS NULL THEN delta := delta - OLD.bytes; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.archived_in IS NULL THEN delta := delta + NEW.bytes; END IF;
  PERFORM console_totals_add('packet_bytes', delta);
  RETURN NULL;
END $$;
CREATE TRIGGER console_totals_documents AFTER INSERT OR UPDATE OF bytes, archived_in OR DELETE ON documents FOR EACH ROW EXECUTE FUNCTION console_totals_documents();

-- 2. Document search by agency (sql-shared.ts's agencyDocumentsNewestFirst): the deliveries to an agency newest first,
-- so a page of its documents reads a page of this index, whatever the documents it ever received.
CREATE INDEX deliveries_recipient_seq ON deliveries (recipient, seq);

-- 3. In-flight and overdue counts (sql-shared.ts's PENDING_COUNTS_SQL) walk the open deliveries' index alone (an
-- index-only scan): it now carries every column the open-delivery and overdue rules read. Same name and predicate.
DROP INDEX deliveries_open;
CREATE INDEX deliveries_open ON deliveries (created_at, seq, recipient) INCLUDE (kind, state, business_status, answer_due_at, document_due_at, overdue)
  WHERE kind = 'edoc' AND (state IN ('queued', 'fetched')
  OR (state = 'done' AND ((answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13'))
    OR (document_due_at IS NOT NULL AND coalesce(business_status, '') NOT IN ('06', '02', '15')))));
-- One agency's open deliveries (its page's overdue list and in-flight count), by its exact code: the same set keyed
-- by recipient first, so an agency's page reads its own few instead of walking every open delivery.
CREATE INDEX deliveries_open_recipient ON deliveries (recipient, created_at, seq) INCLUDE (kind, state, business_status, answer_due_at, document_due_at, overdue)
  WHERE kind = 'edoc' AND (state IN ('queued', 'fetched')
  OR (state = 'done' AND ((answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13'))
    OR (document_due_at IS NOT NULL AND coalesce(business_status, '') NOT IN ('06', '02', '15')))));
