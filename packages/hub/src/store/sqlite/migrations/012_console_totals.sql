-- The console's nationwide totals, counted as rows change instead of counted on every read (issue 8: at 111,000
-- agencies and 2,000,000 documents the overview's "connected x/y" walked ~20,000 served agencies and the Health
-- page's packet bytes summed every document). Kept by triggers in the statement that changes the rows, so in its
-- transaction whoever writes them. PostgreSQL: 006_console_totals.sql.
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

-- Document search by agency (sql-shared.ts's agencyDocumentsNewestFirst): the deliveries to an agency newest first,
-- so a page of its documents reads a page of this index, whatever the documents it ever received.
CREATE INDEX deliveries_recipient_seq ON deliveries (recipient, seq);
