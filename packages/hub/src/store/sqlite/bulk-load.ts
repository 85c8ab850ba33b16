// A bulk-load session on the SQLite file (`vdxp simulate --history`, the console benchmark's seed): while
// millions of rows go in, the secondary indexes nothing reads during a load and the triggers that keep the
// console's rollups, word index and packet-byte total are set aside; at the end their work is done set-wise,
// once, and they are put back.
//
// Crash safety: the session is recorded in the file. `beginBulkLoad` drops the objects and records each one's
// CREATE statement (table `bulk_load`, migration 015) and the counters as they were (`bulk_load_counters`) in
// one transaction; `finishBulkLoad` does the deferred work, recreates them and clears the record in one
// transaction. Opening the store finishes a session a crash left open (sqlite-store.ts), so a store is never
// used without its triggers and indexes, and what was committed before the crash is counted.

import type { DatabaseSync } from 'node:sqlite';

/**
 * Indexes no read of a load uses (the console's, the inbox's, the archive's). Kept: the primary keys and
 * unique columns, documents_edxml_id (updates find their document), deliveries_document (recalls), and the
 * sweep's deliveries_expiry and deliveries_open.
 */
const DEFERRED_INDEXES = [
  'documents_sender', 'documents_digest', 'documents_received', 'documents_from_seq', 'deliveries_inbox', 'deliveries_answer_due',
  'deliveries_recipient_seq', 'deliveries_open_recipient', 'deliveries_pending', 'events_document', 'counters_agency', 'document_links_related',
];

/** The triggers whose work is done set-wise at the end: the counters' rollups (009, 011), the word index (011), packet bytes (012). */
const DEFERRED_TRIGGERS = `type = 'trigger' AND (tbl_name = 'counters' OR name IN ('documents_text_insert', 'console_totals_document_insert'))`;

/** Whether a session is open (begun and not finished). */
export function bulkLoadOpen(db: DatabaseSync): boolean {
  return db.prepare('SELECT 1 FROM bulk_load LIMIT 1').get() !== undefined;
}

/**
 * Sets the indexes and triggers aside and records the session. Run it inside a transaction (the store's
 * operations are); alone, it opens its own. A session already open is left as it is.
 */
export function beginBulkLoad(db: DatabaseSync): void {
  const own = !db.isTransaction;
  if (own) db.exec('BEGIN IMMEDIATE');
  try {
    if (!bulkLoadOpen(db)) {
      const after = (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM documents').get()?.['s'] as number);
      const objects = db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE (type = 'index' AND name IN (${DEFERRED_INDEXES.map(() => '?').join(', ')}))
        OR (${DEFERRED_TRIGGERS}) ORDER BY type, name`).all(...DEFERRED_INDEXES) as { type: string; name: string; sql: string }[];
      const record = db.prepare('INSERT INTO bulk_load (name, type, sql, documents_after) VALUES (?, ?, ?, ?)');
      // A marker row, so a store with none of these objects still records its session.
      record.run('', 'session', '', after);
      for (const o of objects) {
        record.run(o.name, o.type, o.sql, after);
        db.exec(`DROP ${o.type === 'index' ? 'INDEX' : 'TRIGGER'} "${o.name}"`);
      }
      db.exec('DELETE FROM bulk_load_counters');
      db.exec('INSERT INTO bulk_load_counters (day, agency, metric, value) SELECT day, agency, metric, value FROM counters');
    }
    if (own) db.exec('COMMIT');
  } catch (e) {
    if (own && db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/**
 * Ends the open session, if any: what the triggers would have written for the rows added since it began, then
 * the indexes rebuilt and the triggers back, in one transaction (inside the caller's, if one is open).
 * Returns false when no session was open.
 */
export function finishBulkLoad(db: DatabaseSync): boolean {
  const own = !db.isTransaction;
  if (own) db.exec('BEGIN IMMEDIATE');
  try {
    const rows = db.prepare('SELECT name, type, sql, documents_after FROM bulk_load ORDER BY type, name').all() as { name: string; type: string; sql: string; documents_after: number }[];
    if (rows.length === 0) {
      if (own) db.exec('COMMIT');
      return false;
    }
    const after = rows[0]?.documents_after ?? 0;
    const deferred = new Set(rows.map((r) => r.name));
    // The counters' change since the session began, added to the rollups as the triggers would have added it.
    if (deferred.has('counters_rollup_insert')) db.exec(ROLLUP_DELTA_SQL);
    if (deferred.has('counters_scope_rollup_insert')) db.exec(SCOPE_ROLLUP_DELTA_SQL);
    if (deferred.has('documents_text_insert')) {
      db.prepare(`INSERT INTO documents_text (rowid, edxml_id, code_notation, subject)
        SELECT seq, edxml_id, code_notation, subject FROM documents WHERE kind = 'edoc' AND seq > ?`).run(after);
    }
    if (deferred.has('console_totals_document_insert')) {
      db.prepare(`UPDATE console_totals SET value = value + (SELECT coalesce(sum(bytes), 0) FROM documents WHERE seq > ? AND archived_in IS NULL)
        WHERE key = 'packet_bytes'`).run(after);
    }
    for (const r of rows) if (r.type === 'index') db.exec(r.sql);
    for (const r of rows) if (r.type === 'trigger') db.exec(r.sql);
    db.exec('DELETE FROM bulk_load');
    db.exec('DELETE FROM bulk_load_counters');
    if (own) db.exec('COMMIT');
    return true;
  } catch (e) {
    if (own && db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/** Each counter row's growth since the session began (new rows whole), as the triggers' level and letter. */
const COUNTER_DELTA = `SELECT c.day, c.agency, c.metric, c.value - coalesce(b.value, 0) AS value
  FROM counters c LEFT JOIN bulk_load_counters b ON b.day = c.day AND b.agency = c.agency AND b.metric = c.metric
  WHERE c.value <> coalesce(b.value, 0)`;

const ROLLUP_DELTA_SQL = `INSERT INTO counter_rollup (day, metric, level, letter, value)
  SELECT c.day, c.metric, coalesce(a.level, -1), substr(c.agency, length(c.agency) - 2, 1), sum(c.value)
  FROM (${COUNTER_DELTA}) c LEFT JOIN agencies a ON a.code = c.agency GROUP BY 1, 2, 3, 4
  ON CONFLICT (day, metric, level, letter) DO UPDATE SET value = value + excluded.value`;

const SCOPE_ROLLUP_DELTA_SQL = `INSERT INTO counter_scope_rollup (scope, day, metric, level, letter, value)
  SELECT CASE g.i WHEN 3 THEN '___.__.__.' || upper(substr(c.agency, 11)) WHEN 2 THEN '___.__.' || upper(substr(c.agency, 8)) ELSE '___.' || upper(substr(c.agency, 5)) END,
    c.day, c.metric, coalesce(a.level, -1), substr(c.agency, length(c.agency) - 2, 1), sum(c.value)
  FROM (${COUNTER_DELTA}) c LEFT JOIN agencies a ON a.code = c.agency CROSS JOIN (SELECT 3 AS i UNION ALL SELECT 2 UNION ALL SELECT 1) AS g
  WHERE length(c.agency) = 13 AND substr(c.agency, 4, 1) = '.' AND substr(c.agency, 7, 1) = '.' AND substr(c.agency, 10, 1) = '.'
    AND (g.i = 3 OR (g.i = 2 AND substr(c.agency, 8, 2) <> '00') OR (g.i = 1 AND substr(c.agency, 5, 2) <> '00'))
  GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (scope, day, metric, level, letter) DO UPDATE SET value = value + excluded.value`;
