-- The console at national scale (SQLite 011_console_speed.sql, which says why): open deliveries under a partial
-- index, a rollup of the day counters per scope pattern, and the document search's indexes.

-- 1. Open deliveries; the predicate is store/sql-shared.ts's OPEN_DELIVERY_SQL.
ALTER TABLE deliveries ADD COLUMN document_due_at BIGINT;
UPDATE deliveries d SET document_due_at = doc.due_at FROM documents doc WHERE doc.id = d.document_id AND doc.due_at IS NOT NULL;
CREATE INDEX deliveries_open ON deliveries (created_at, seq, recipient) WHERE kind = 'edoc' AND (state IN ('queued', 'fetched')
  OR (state = 'done' AND ((answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13'))
    OR (document_due_at IS NOT NULL AND coalesce(business_status, '') NOT IN ('06', '02', '15')))));

-- 2. The day counters per scope pattern (scope.ts's legacy patterns with wildcards), kept by a trigger in the
-- statement that changes `counters`, as counter_rollup (003). LIKE is case-sensitive here: the key is the code's own.
CREATE TABLE counter_scope_rollup (
  scope   TEXT COLLATE "C" NOT NULL,
  day     TEXT COLLATE "C" NOT NULL,
  metric  TEXT COLLATE "C" NOT NULL,
  level   INTEGER NOT NULL,
  letter  TEXT COLLATE "C" NOT NULL,
  value   BIGINT NOT NULL,
  PRIMARY KEY (scope, day, metric, level, letter)
);

-- The patterns a code matches: its level-1 body's, its department's and its unit group's (when those are named).
CREATE FUNCTION counter_scope_keys(p_agency TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT k FROM (VALUES ('___.__.__.' || substr(p_agency, 11), true), ('___.__.' || substr(p_agency, 8), substr(p_agency, 8, 2) <> '00'),
    ('___.' || substr(p_agency, 5), substr(p_agency, 5, 2) <> '00')) AS v (k, named)
  WHERE named AND length(p_agency) = 13 AND substr(p_agency, 4, 1) = '.' AND substr(p_agency, 7, 1) = '.' AND substr(p_agency, 10, 1) = '.'
$$;

INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
  SELECT k.k, c.day, c.metric, coalesce(a.level, -1), substr(c.agency, length(c.agency) - 2, 1), sum(c.value)
  FROM counters c LEFT JOIN agencies a ON a.code = c.agency CROSS JOIN LATERAL counter_scope_keys(c.agency) AS k (k)
  GROUP BY 1, 2, 3, 4, 5;

CREATE FUNCTION counter_scope_rollup_add(p_day TEXT, p_metric TEXT, p_agency TEXT, p_by BIGINT) RETURNS void LANGUAGE sql AS $$
  INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
    SELECT k, p_day, p_metric, coalesce((SELECT level FROM agencies WHERE code = p_agency), -1), substr(p_agency, length(p_agency) - 2, 1), p_by
    FROM counter_scope_keys(p_agency) AS k
    ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = counter_scope_rollup.value + excluded.value;
$$;

CREATE FUNCTION counters_scope_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- bumpCounter's upsert changes a row's value only: one delta per scope.
  IF TG_OP = 'UPDATE' AND OLD.day = NEW.day AND OLD.agency = NEW.agency AND OLD.metric = NEW.metric THEN
    PERFORM counter_scope_rollup_add(NEW.day, NEW.metric, NEW.agency, NEW.value - OLD.value);
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM counter_scope_rollup_add(OLD.day, OLD.metric, OLD.agency, -OLD.value); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM counter_scope_rollup_add(NEW.day, NEW.metric, NEW.agency, NEW.value); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER counters_scope_rollup AFTER INSERT OR UPDATE OR DELETE ON counters FOR EACH ROW EXECUTE FUNCTION counters_scope_rollup();

-- 3. Document search: by date and by sender, newest first.
CREATE INDEX documents_received ON documents (received_at);
CREATE INDEX documents_from_seq ON documents (from_agency, seq);

-- 4. The overview's "connected x/y": the active agencies, counted from an index of their codes alone.
CREATE INDEX agencies_active ON agencies (code) WHERE deleted = false AND state = 'active';
-- A scope's share of them: a legacy pattern (`___.__.15.H41`) fixes the code's length and its last four characters
-- (`.H41`, LIKE is case-sensitive here), so that tail finds the level-1 body's few thousand agencies and LIKE decides among them.
CREATE INDEX agencies_active_tail ON agencies (substr(code, 10), code) WHERE deleted = false AND state = 'active' AND length(code) = 13;

-- 5. Document search by words: trigram indexes (pg_trgm, shipped with PostgreSQL; a trusted extension, so the
-- database's owner may create it) answer ILIKE '%words%' on each field; the planner walks documents newest first
-- instead when the words are common. SQLite uses FTS5's trigram tokenizer for the same.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX documents_text ON documents USING gin (edxml_id gin_trgm_ops, code_notation gin_trgm_ops, subject gin_trgm_ops) WHERE kind = 'edoc';
