-- The console at 2,000,000 documents (issue 8), reads that grew with the data made to grow with what they show:
-- nationwide totals kept as rows change, search by agency from an index of its deliveries, in-flight and overdue
-- counts from the open deliveries' index alone. PostgreSQL: 006_console_scale.sql.

-- 1. The nationwide totals, counted as rows change instead of on every read (the overview's "connected x/y"
-- walked ~20,000 served agencies and the Health page's packet bytes summed every document). Kept by triggers in
-- the statement that changes the rows, so in its transaction whoever writes them.
--   active_agencies     agencies not deleted whose state is 'active'
--   connected_agencies  those of them at least one system acts for (system_agencies)
--   packet_bytes        the stored packets' bytes of documents not archived
CREATE TABLE console_totals (
  key    TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
);

INSERT INTO console_totals (key, value) VALUES
  ('active_agencies', (SELECT count(*) FROM agencies WHERE deleted = 0 AND state = 'active')),
  ('connected_agencies', (SELECT count(*) FROM agencies a WHERE a.deleted = 0 AND a.state = 'active' AND EXISTS (SELECT 1 FROM system_agencies sa WHERE sa.agency = a.code))),
  ('packet_bytes', (SELECT coalesce(sum(bytes), 0) FROM documents WHERE archived_in IS NULL));

-- An agency counts while active; it counts as connected while active and named by a system.
CREATE TRIGGER console_totals_agency_insert AFTER INSERT ON agencies BEGIN
  UPDATE console_totals SET value = value + (NEW.deleted = 0 AND NEW.state = 'active') WHERE key = 'active_agencies';
  UPDATE console_totals SET value = value + (NEW.deleted = 0 AND NEW.state = 'active' AND EXISTS (SELECT 1 FROM system_agencies WHERE agency = NEW.code))
    WHERE key = 'connected_agencies';
END;
CREATE TRIGGER console_totals_agency_update AFTER UPDATE ON agencies BEGIN
  UPDATE console_totals SET value = value - (OLD.deleted = 0 AND OLD.state = 'active') + (NEW.deleted = 0 AND NEW.state = 'active') WHERE key = 'active_agencies';
  UPDATE console_totals SET value = value - (OLD.deleted = 0 AND OLD.state = 'active' AND EXISTS (SELECT 1 FROM system_agencies WHERE agency = OLD.code))
    + (NEW.deleted = 0 AND NEW.state = 'active' AND EXISTS (SELECT 1 FROM system_agencies WHERE agency = NEW.code)) WHERE key = 'connected_agencies';
END;
CREATE TRIGGER console_totals_agency_delete AFTER DELETE ON agencies BEGIN
  UPDATE console_totals SET value = value - (OLD.deleted = 0 AND OLD.state = 'active') WHERE key = 'active_agencies';
  UPDATE console_totals SET value = value - (OLD.deleted = 0 AND OLD.state = 'active' AND EXISTS (SELECT 1 FROM system_agencies WHERE agency = OLD.code))
    WHERE key = 'connected_agencies';
END;

-- A system's agency: the first system for an active agency connects it, the last one leaving disconnects it.
CREATE TRIGGER console_totals_system_agency_insert AFTER INSERT ON system_agencies BEGIN
  UPDATE console_totals SET value = value + 1 WHERE key = 'connected_agencies'
    AND (SELECT count(*) FROM system_agencies WHERE agency = NEW.agency) = 1
    AND EXISTS (SELECT 1 FROM agencies WHERE code = NEW.agency AND deleted = 0 AND state = 'active');
END;
CREATE TRIGGER console_totals_system_agency_delete AFTER DELETE ON system_agencies BEGIN
  UPDATE console_totals SET value = value - 1 WHERE key = 'connected_agencies'
    AND NOT EXISTS (SELECT 1 FROM system_agencies WHERE agency = OLD.agency)
    AND EXISTS (SELECT 1 FROM agencies WHERE code = OLD.agency AND deleted = 0 AND state = 'active');
END;
CREATE TRIGGER console_totals_system_agency_update AFTER UPDATE OF agency ON system_agencies WHEN OLD.agency <> NEW.agency BEGIN
  UPDATE console_totals SET value = value - 1 WHERE key = 'connected_agencies'
    AND NOT EXISTS (SELECT 1 FROM system_agencies WHERE agency = OLD.agency)
    AND EXISTS (SELECT 1 FROM agencies WHERE code = OLD.agency AND deleted = 0 AND state = 'active');
  UPDATE console_totals SET value = value + 1 WHERE key = 'connected_agencies'
    AND (SELECT count(*) FROM system_agencies WHERE agency = NEW.agency) = 1
    AND EXISTS (SELECT 1 FROM agencies WHERE code = NEW.agency AND deleted = 0 AND state = 'active');
END;

-- A document's packet bytes count until it is archived.
CREATE TRIGGER console_totals_document_insert AFTER INSERT ON documents WHEN NEW.archived_in IS NULL BEGIN
  UPDATE console_totals SET value = value + NEW.bytes WHERE key = 'packet_bytes';
END;
CREATE TRIGGER console_totals_document_update AFTER UPDATE OF bytes, archived_in ON documents BEGIN
  UPDATE console_totals SET value = value - (CASE WHEN OLD.archived_in IS NULL THEN OLD.bytes ELSE 0 END)
    + (CASE WHEN NEW.archived_in IS NULL THEN NEW.bytes ELSE 0 END) WHERE key = 'packet_bytes';
END;
CREATE TRIGGER console_totals_document_delete AFTER DELETE ON documents WHEN OLD.archived_in IS NULL BEGIN
  UPDATE console_totals SET value = value - OLD.bytes WHERE key = 'packet_bytes';
END;

-- 2. Document search by agency (sql-shared.ts's agencyDocumentsNewestFirst): the deliveries to an agency newest first,
-- so a page of its documents reads a page of this index, whatever the documents it ever received.
CREATE INDEX deliveries_recipient_seq ON deliveries (recipient, seq);

-- 3. In-flight and overdue counts (sql-shared.ts's PENDING_COUNTS_SQL) walk the open deliveries' index alone: it now
-- carries every column the open-delivery and overdue rules read (011's held the key only, so each entry read its
-- row: ~85,000 rows at 2,000,000 documents). Same name and predicate, as the queries name it (INDEXED BY).
DROP INDEX deliveries_open;
CREATE INDEX deliveries_open ON deliveries (created_at, seq, recipient, kind, state, business_status, answer_due_at, document_due_at, overdue)
  WHERE kind = 'edoc' AND (state IN ('queued', 'fetched')
  OR (state = 'done' AND ((answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13'))
    OR (document_due_at IS NOT NULL AND coalesce(business_status, '') NOT IN ('06', '02', '15')))));
-- One agency's open deliveries (its page's overdue list and in-flight count), by its exact code: the same set keyed
-- by recipient first, so an agency's page reads its own few instead of walking every open delivery.
CREATE INDEX deliveries_open_recipient ON deliveries (recipient, created_at, seq, kind, state, business_status, answer_due_at, document_due_at, overdue)
  WHERE kind = 'edoc' AND (state IN ('queued', 'fetched')
  OR (state = 'done' AND ((answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13'))
    OR (document_due_at IS NOT NULL AND coalesce(business_status, '') NOT IN ('06', '02', '15')))));
