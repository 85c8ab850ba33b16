-- The console at national scale (issue 8: 2,000,000 documents, 111,000 agencies, each read ≤ 200 ms p99).
-- Every read below is bounded by what it shows, not by the documents ever exchanged. PostgreSQL: 005_console_speed.sql.

-- 1. Open deliveries. A delivery can be in flight or overdue only while it is open: an edoc delivery still queued
-- or fetched, or acknowledged ('done') but not yet answered as the overdue rule wants (no 01/03 while it has an
-- answer time; no 06/02/15 while its document has a due date). The overdue rule reads the document's due date,
-- so the delivery carries a copy (a document's due date never changes): the partial index then holds only open
-- deliveries, a few per cent of the table, and in-flight counts and overdue lists walk it instead of every delivery.
ALTER TABLE deliveries ADD COLUMN document_due_at INTEGER;
UPDATE deliveries SET document_due_at = (SELECT due_at FROM documents WHERE documents.id = deliveries.document_id)
  WHERE document_id IN (SELECT id FROM documents WHERE due_at IS NOT NULL);
-- The predicate is written exactly as store/sql-shared.ts's OPEN_DELIVERY_SQL: SQLite uses a partial index only
-- for a query that repeats its terms.
CREATE INDEX deliveries_open ON deliveries (created_at, seq, recipient) WHERE kind = 'edoc' AND (state IN ('queued', 'fetched')
  OR (state = 'done' AND ((answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13'))
    OR (document_due_at IS NOT NULL AND coalesce(business_status, '') NOT IN ('06', '02', '15')))));

-- 2. Per-scope rollup of the day counters, for the overview and report of a province, ministry or department: a
-- scope is a LIKE pattern over legacy codes (scope.ts: `___.__.__.H41`, `___.__.15.H41`, `___.03.15.H41`), and a
-- counter row adds to every such pattern its agency matches, in the statement that writes it (triggers, as 009).
-- The key is upper-cased as SQLite's LIKE ignores ASCII case. Other scopes (QĐ20 `H41%`, one agency) read `counters`.
CREATE TABLE counter_scope_rollup (
  scope   TEXT NOT NULL,
  day     TEXT NOT NULL,
  metric  TEXT NOT NULL,
  level   INTEGER NOT NULL,                      -- the agency's level when counted, -1 unknown (as counter_rollup)
  letter  TEXT NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (scope, day, metric, level, letter)
);

INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
  SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(c.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(c.agency, 8)) ELSE '___.' || upper(substr(c.agency, 5)) END, c.day, c.metric, coalesce(a.level, -1), substr(c.agency, length(c.agency) - 2, 1), sum(c.value)
  FROM counters c LEFT JOIN agencies a ON a.code = c.agency CROSS JOIN (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
  WHERE length(c.agency) = 13 AND substr(c.agency, 4, 1) = '.' AND substr(c.agency, 7, 1) = '.' AND substr(c.agency, 10, 1) = '.'
    AND (g.i = 3 OR (g.i = 2 AND substr(c.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(c.agency, 5, 2) <> '00'))
  GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER counters_scope_rollup_insert AFTER INSERT ON counters BEGIN
  INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
    SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(NEW.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(NEW.agency, 8)) ELSE '___.' || upper(substr(NEW.agency, 5)) END, NEW.day, NEW.metric, coalesce((SELECT level FROM agencies WHERE code = NEW.agency), -1),
      substr(NEW.agency, length(NEW.agency) - 2, 1), NEW.value
    FROM (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
    WHERE length(NEW.agency) = 13 AND substr(NEW.agency, 4, 1) = '.' AND substr(NEW.agency, 7, 1) = '.' AND substr(NEW.agency, 10, 1) = '.'
      AND (g.i = 3 OR (g.i = 2 AND substr(NEW.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(NEW.agency, 5, 2) <> '00'))
    ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;

-- bumpCounter's upsert changes a row's value only: one delta per scope instead of taking the old row away.
CREATE TRIGGER counters_scope_rollup_bump AFTER UPDATE ON counters
  WHEN OLD.day = NEW.day AND OLD.agency = NEW.agency AND OLD.metric = NEW.metric BEGIN
  INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
    SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(NEW.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(NEW.agency, 8)) ELSE '___.' || upper(substr(NEW.agency, 5)) END, NEW.day, NEW.metric, coalesce((SELECT level FROM agencies WHERE code = NEW.agency), -1),
      substr(NEW.agency, length(NEW.agency) - 2, 1), NEW.value - OLD.value
    FROM (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
    WHERE length(NEW.agency) = 13 AND substr(NEW.agency, 4, 1) = '.' AND substr(NEW.agency, 7, 1) = '.' AND substr(NEW.agency, 10, 1) = '.'
      AND (g.i = 3 OR (g.i = 2 AND substr(NEW.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(NEW.agency, 5, 2) <> '00'))
    ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;

CREATE TRIGGER counters_scope_rollup_update AFTER UPDATE ON counters
  WHEN NOT (OLD.day = NEW.day AND OLD.agency = NEW.agency AND OLD.metric = NEW.metric) BEGIN
  INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
    SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(OLD.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(OLD.agency, 8)) ELSE '___.' || upper(substr(OLD.agency, 5)) END, OLD.day, OLD.metric, coalesce((SELECT level FROM agencies WHERE code = OLD.agency), -1),
      substr(OLD.agency, length(OLD.agency) - 2, 1), -OLD.value
    FROM (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
    WHERE length(OLD.agency) = 13 AND substr(OLD.agency, 4, 1) = '.' AND substr(OLD.agency, 7, 1) = '.' AND substr(OLD.agency, 10, 1) = '.'
      AND (g.i = 3 OR (g.i = 2 AND substr(OLD.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(OLD.agency, 5, 2) <> '00'))
    ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
  INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
    SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(NEW.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(NEW.agency, 8)) ELSE '___.' || upper(substr(NEW.agency, 5)) END, NEW.day, NEW.metric, coalesce((SELECT level FROM agencies WHERE code = NEW.agency), -1),
      substr(NEW.agency, length(NEW.agency) - 2, 1), NEW.value
    FROM (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
    WHERE length(NEW.agency) = 13 AND substr(NEW.agency, 4, 1) = '.' AND substr(NEW.agency, 7, 1) = '.' AND substr(NEW.agency, 10, 1) = '.'
      AND (g.i = 3 OR (g.i = 2 AND substr(NEW.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(NEW.agency, 5, 2) <> '00'))
    ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;

CREATE TRIGGER counters_scope_rollup_delete AFTER DELETE ON counters BEGIN
  INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
    SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(OLD.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(OLD.agency, 8)) ELSE '___.' || upper(substr(OLD.agency, 5)) END, OLD.day, OLD.metric, coalesce((SELECT level FROM agencies WHERE code = OLD.agency), -1),
      substr(OLD.agency, length(OLD.agency) - 2, 1), -OLD.value
    FROM (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
    WHERE length(OLD.agency) = 13 AND substr(OLD.agency, 4, 1) = '.' AND substr(OLD.agency, 7, 1) = '.' AND substr(OLD.agency, 10, 1) = '.'
      AND (g.i = 3 OR (g.i = 2 AND substr(OLD.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(OLD.agency, 5, 2) <> '00'))
    ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;

-- 3. Document search: by date (received_at) and by sender, newest first.
CREATE INDEX documents_received ON documents (received_at);
CREATE INDEX documents_from_seq ON documents (from_agency, seq);

-- 4. The overview's "connected x/y": the active agencies, counted from an index of their codes alone.
CREATE INDEX agencies_active ON agencies (code) WHERE deleted = 0 AND state = 'active';
-- A scope's share of them: a legacy pattern (`___.__.15.H41`) fixes the code's length and its last four characters
-- (`.H41`, upper-cased as SQLite's LIKE ignores ASCII case), so that tail finds the level-1 body's few thousand agencies and LIKE decides among them.
CREATE INDEX agencies_active_tail ON agencies (upper(substr(code, 10)), code) WHERE deleted = 0 AND state = 'active' AND length(code) = 13;

-- 5. Document search by words: a trigram index (FTS5) of each edoc's DocumentId, notation and subject, keyed by the
-- document's seq, kept by triggers in the statement that writes the document. A search of three characters or more
-- walks its matches newest first and stops at the page's end; the store still applies the LIKE rule to each
-- candidate, so the answer is the one LIKE gives (the index only finds candidates faster).
CREATE VIRTUAL TABLE documents_text USING fts5 (edxml_id, code_notation, subject, tokenize = 'trigram');
INSERT INTO documents_text (rowid, edxml_id, code_notation, subject) SELECT seq, edxml_id, code_notation, subject FROM documents WHERE kind = 'edoc';
CREATE TRIGGER documents_text_insert AFTER INSERT ON documents WHEN NEW.kind = 'edoc' BEGIN
  INSERT INTO documents_text (rowid, edxml_id, code_notation, subject) VALUES (NEW.seq, NEW.edxml_id, NEW.code_notation, NEW.subject);
END;
CREATE TRIGGER documents_text_update AFTER UPDATE OF seq, kind, edxml_id, code_notation, subject ON documents BEGIN
  DELETE FROM documents_text WHERE rowid = OLD.seq;
  INSERT INTO documents_text (rowid, edxml_id, code_notation, subject) SELECT NEW.seq, NEW.edxml_id, NEW.code_notation, NEW.subject WHERE NEW.kind = 'edoc';
END;
CREATE TRIGGER documents_text_delete AFTER DELETE ON documents BEGIN
  DELETE FROM documents_text WHERE rowid = OLD.seq;
END;
