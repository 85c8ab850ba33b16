// The console benchmark's traffic: N documents over the 12 months before `now`, in arrival order, 1–3 recipients
// each, a tenth of senders and recipients among the busy level-1 bodies; most accepted (03) within hours and many finished (06) within days, some with a due date, a few per cent
// of the last month's still waiting, and those past their deadline flagged overdue as the sweep would. Two writers
// of the same rows: `seedThroughStore` (the store's own methods, one call per row, the triggers keeping the
// rollups and the word index) and `seedSqliteFast` (one prepared statement per table straight into the file,
// the triggers' work done set-wise once at the end). console-seed.test.ts checks both leave the same tables.

import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { beginBulkLoad, finishBulkLoad } from '../../packages/hub/src/store/sqlite/bulk-load.ts';
import type { DeliveryRow, DocumentRow, StatusEntry, Store } from '../../packages/hub/src/store/store.ts';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
const VN_OFFSET_MS = 7 * HOUR_MS;

export interface TrafficBatch {
  documents: Omit<DocumentRow, 'seq'>[];
  deliveries: Omit<DeliveryRow, 'seq'>[];
  statuses: Omit<StatusEntry, 'seq'>[];
  /** One increment each, as intake, ack and the sweep make them (`bumpCounter(day, agency, metric, 1)`). */
  counters: { day: string; agency: string; metric: string }[];
}

/** A small deterministic generator (the figures are comparable run to run). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** The traffic, `batch` documents at a time; `answerDueAt` is the hub calendar's end of the next working day. */
export function* traffic(o: { codes: string[]; busy?: string[]; documents: number; now: number; batch: number; answerDueAt: (t: number) => number }): Generator<TrafficBatch> {
  const random = prng(42);
  const days = new Map<number, string>();
  const vnDay = (t: number): string => {
    const k = Math.floor((t + VN_OFFSET_MS) / DAY_MS);
    let d = days.get(k);
    if (d === undefined) { d = new Date(k * DAY_MS).toISOString().slice(0, 10); days.set(k, d); }
    return d;
  };
  // One sender or recipient in ten is a busy body (the ministries and provincial committees: each then exchanges
  // thousands of documents a year), the rest any agency of the registry.
  const busy = o.busy ?? [];
  const pick = (): string => (busy.length > 0 && random() < 0.1 ? busy[Math.floor(random() * busy.length)] : o.codes[Math.floor(random() * o.codes.length)]) ?? '';
  const start = o.now - 365 * DAY_MS;
  for (let i = 0; i < o.documents; i += o.batch) {
    const b: TrafficBatch = { documents: [], deliveries: [], statuses: [], counters: [] };
    for (let j = i; j < Math.min(o.documents, i + o.batch); j++) {
      // Arrival order: seq grows with time, as on a live hub.
      const received = start + Math.floor(((j + random()) * 365 * DAY_MS) / o.documents);
      const day = vnDay(received);
      const from = pick();
      const id = `bench-${j}`;
      // One in ten carries a due date (06 expected by then), 15 days out.
      const dueAt = random() < 0.1 ? received + 15 * DAY_MS : null;
      b.documents.push({
        id, kind: 'edoc', businessType: 0, fromAgency: from, senderSystem: 'bench', edxmlId: `${from},${day},${j}/BENCH`, subject: `Công văn số ${j} về kế hoạch năm`,
        codeNumber: String(j), codeNotation: 'UBND-VP', statusCode: null, answers: null, dueAt, digest: 'd'.repeat(64), bytes: 10_000,
        header: {}, signature: { present: false }, receivedAt: received,
      });
      b.counters.push({ day, agency: from, metric: 'sent' });
      const n = 1 + Math.floor(random() * 3);
      for (let r = 0; r < n; r++) {
        const to = pick();
        const answerDueAt = o.answerDueAt(received);
        const dId = `${id}-${r}`;
        const fetched = received + Math.floor(random() * HOUR_MS);
        b.counters.push({ day, agency: to, metric: 'received' });
        // About 3% of the last month's deliveries still wait for an acceptance (never fetched).
        if ((o.now - received < 30 * DAY_MS && random() < 0.03) || fetched > o.now) {
          const overdue = answerDueAt <= o.now;
          if (overdue) b.counters.push({ day: vnDay(answerDueAt), agency: to, metric: 'overdue' });
          b.deliveries.push({
            id: dId, documentId: id, kind: 'edoc', recipient: to, addressedTo: to, state: 'queued', attempts: 0, businessStatus: null, lastReason: null,
            createdAt: received, fetchedAt: null, ackedAt: null, expiresAt: received + 30 * DAY_MS, answerDueAt, overdue,
          });
          continue;
        }
        // Fetched within the hour, accepted (03) within a day and a half; finished (06) within 20 days for six in
        // ten (nearly all by their due date when they have one), unless that is still to come.
        const accepted = fetched + Math.floor(random() * 36 * HOUR_MS);
        const finishes = random() < (dueAt !== null ? 0.85 : 0.6);
        const finished = finishes ? accepted + Math.floor(random() * (dueAt !== null ? 14 : 20) * DAY_MS) : null;
        const acceptedNow = accepted <= o.now;
        const finishedNow = finished !== null && finished <= o.now;
        const lateAccept = acceptedNow ? accepted > answerDueAt : answerDueAt <= o.now;
        const lateFinish = dueAt !== null && dueAt <= o.now && !(finishedNow && finished <= dueAt);
        // The sweep flags a delivery once, at the first deadline it passes unanswered.
        const overdueAt = Math.min(lateAccept ? answerDueAt : Infinity, lateFinish ? dueAt : Infinity);
        if (overdueAt !== Infinity) b.counters.push({ day: vnDay(overdueAt), agency: to, metric: 'overdue' });
        if (fetched <= o.now) b.counters.push({ day: vnDay(fetched), agency: to, metric: 'delivered' });
        if (acceptedNow) b.statuses.push({ deliveryId: dId, statusCode: '03', documentId: null, description: null, at: accepted });
        if (finishedNow) b.statuses.push({ deliveryId: dId, statusCode: '06', documentId: null, description: null, at: finished });
        b.deliveries.push({
          id: dId, documentId: id, kind: 'edoc', recipient: to, addressedTo: to, state: 'done', attempts: 0,
          businessStatus: finishedNow ? '06' : acceptedNow ? '03' : null, lastReason: null, createdAt: received, fetchedAt: fetched,
          ackedAt: fetched, expiresAt: received + 30 * DAY_MS, answerDueAt, overdue: overdueAt !== Infinity,
        });
      }
    }
    yield b;
  }
}

/** The traffic through the store's own writes, one transaction per batch: the reference the fast path must equal. */
export async function seedThroughStore(store: Store, batches: Iterable<TrafficBatch>): Promise<number> {
  let deliveries = 0;
  for (const b of batches) {
    await store.transaction(async (tx) => {
      for (const d of b.documents) await tx.insertDocument(d, []);
      for (const d of b.deliveries) await tx.insertDelivery(d);
      for (const s of b.statuses) await tx.addStatus(s);
      for (const c of b.counters) await tx.bumpCounter(c.day, c.agency, c.metric, 1);
    });
    deliveries += b.deliveries.length;
  }
  return deliveries;
}

/**
 * The same rows straight into a hub's SQLite file (migrated, the hub closed, no document in it yet): one prepared
 * INSERT per table run per row, a transaction per batch, the counter increments summed set-wise at the end, all in
 * the store's bulk-load session (store/sqlite/bulk-load.ts: the rollup and word-index triggers and the console's
 * indexes set aside meanwhile, their work done once, set-wise, at its end; then they return).
 */
export function seedSqliteFast(path: string, batches: Iterable<TrafficBatch>): number {
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1048576; PRAGMA temp_store = FILE;');
    const existing = db.prepare('SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM counters) AS n').get()?.['n'];
    if (existing !== 0) throw new Error('assertion: the fast seed writes into a hub with no documents and no counters yet');
    beginBulkLoad(db);
    db.exec('CREATE TEMP TABLE seed_bumps (day TEXT NOT NULL, agency TEXT NOT NULL, metric TEXT NOT NULL)');
    const doc = db.prepare(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number,
        code_notation, status_code, answers, due_at, digest, bytes, header, signature, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const del = db.prepare(`INSERT INTO deliveries (id, seq, document_id, kind, recipient, addressed_to, state, attempts, business_status, last_reason,
        created_at, fetched_at, acked_at, expires_at, answer_due_at, overdue, document_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const status = db.prepare('INSERT INTO delivery_statuses (delivery_id, seq, status_code, document_id, description, at) VALUES (?, ?, ?, ?, ?, ?)');
    const bump = db.prepare('INSERT INTO seed_bumps (day, agency, metric) VALUES (?, ?, ?)');
    let docSeq = 0;
    let delSeq = 0;
    for (const b of batches) {
      const dueOf = new Map<string, number | null>();
      db.exec('BEGIN');
      for (const d of b.documents) {
        dueOf.set(d.id, d.dueAt);
        doc.run(d.id, ++docSeq, d.kind, d.businessType, d.fromAgency, d.senderSystem, d.edxmlId, d.subject, d.codeNumber, d.codeNotation,
          d.statusCode, d.answers, d.dueAt, d.digest, d.bytes, JSON.stringify(d.header), JSON.stringify(d.signature), d.receivedAt);
      }
      for (const d of b.deliveries) {
        del.run(d.id, ++delSeq, d.documentId, d.kind, d.recipient, d.addressedTo, d.state, d.attempts, d.businessStatus, d.lastReason, d.createdAt,
          d.fetchedAt, d.ackedAt, d.expiresAt, d.answerDueAt, d.overdue ? 1 : 0, dueOf.get(d.documentId) ?? null);
      }
      const statusSeq = new Map<string, number>();
      for (const s of b.statuses) {
        const n = (statusSeq.get(s.deliveryId) ?? 0) + 1;
        statusSeq.set(s.deliveryId, n);
        status.run(s.deliveryId, n, s.statusCode, s.documentId, s.description, s.at);
      }
      for (const c of b.counters) bump.run(c.day, c.agency, c.metric);
      db.exec('COMMIT');
    }
    db.exec('BEGIN');
    db.exec('INSERT INTO counters (day, agency, metric, value) SELECT day, agency, metric, count(*) FROM seed_bumps GROUP BY day, agency, metric');
    db.exec('DROP TABLE seed_bumps');
    finishBulkLoad(db);
    db.exec('COMMIT');
    // No ANALYZE: a live hub never runs it, so the benchmark's plans are the ones a hub would choose.
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return delSeq;
  } finally {
    db.close();
  }
}

/** Every table the seed writes, rows in a stable order, for comparing two stores (the test). */
export function seededTables(path: string): Record<string, SQLInputValue[][]> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const q = (sql: string): SQLInputValue[][] => db.prepare(sql).all().map((r) => Object.values(r));
    return {
      documents: q('SELECT * FROM documents ORDER BY seq'),
      deliveries: q('SELECT * FROM deliveries ORDER BY seq'),
      delivery_statuses: q('SELECT * FROM delivery_statuses ORDER BY delivery_id, seq'),
      counters: q('SELECT * FROM counters ORDER BY day, agency, metric'),
      counter_rollup: q('SELECT * FROM counter_rollup WHERE value <> 0 ORDER BY day, metric, level, letter'),
      counter_scope_rollup: q('SELECT * FROM counter_scope_rollup WHERE value <> 0 ORDER BY scope, day, metric, level, letter'),
      documents_text: q('SELECT rowid, edxml_id, code_notation, subject FROM documents_text ORDER BY rowid'),
      word_matches: q(`SELECT rowid FROM documents_text WHERE documents_text MATCH '"kế hoạch"' ORDER BY rowid`),
      triggers: q("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"),
      indexes: q("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"),
    };
  } finally {
    db.close();
  }
}
