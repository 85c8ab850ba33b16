// The embedded engine: one SQLite file in WAL mode through node:sqlite (no native addon to build).
// A commit is on disk before we answer, so a power cut loses nothing acknowledged: SQLite writes the commit to
// the WAL (synchronous=NORMAL, no fsync of its own) and the store fdatasyncs the WAL on libuv's thread pool
// before any caller sees the commit's outcome or any read that could have seen it (see `storeOnDatabase`).

import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { eventHash } from '../event-hash.ts';
import { sqliteBatchWriter } from './batch-writer.ts';
import { beginBulkLoad, finishBulkLoad } from './bulk-load.ts';
import {
  GENESIS_HASH,
  type Agency, type AgencyInput, type AgencyListPage, type ArchiveSegment, type Checkpoint, type CounterRow, type CutResult, type DeliveryExpectation,
  type DeliveryPatch, type DeliveryRow, type DeliveryState, type DocumentRow, type EventInput, type EventRow, type InboxItem,
  type StatusEntry, type Store, type StoreOps, type SystemRecord, type WriteBatch, type WriteBatchResult, type SystemActivity, type SystemActivityInput, type AgencyHistoryEntry, type AgencyHistoryInput,
  type AgencyPattern, type CalendarDay, type OverdueRow, type SessionRecord, type UserRecord,
} from '../store.ts';
import { agencyDocumentsNewestFirst, agenciesByCodeSql, counterTotalsSql, inboxSql, toCounterTotals, type CounterTotals, AGENCY_HISTORY_INSERT_SQL, AGENCY_HISTORY_SELECT_SQL, agencyListPageSql, lastItemCode, hourStart, toActivity, toAgencyHistory, ANSWERABLE_SQL, OVERDUE_NOW_SQL, PENDING_COUNTS_SQL, PENDING_SQL, isOneCode, recipientWithin, legacyTail, scopeRollupKey, likeEscape, placeholders, sumCounters, toEvent, toStatus, toUser } from '../sql-shared.ts';

type Row = Record<string, SQLInputValue>;

const MIGRATIONS = new URL('./migrations/', import.meta.url);
/** The page cache of a connection that wrote a batch (writeBatch), in KiB: SQLite's default is 2,000. */
const SQLITE_BATCH_CACHE_KIB = 256 * 1024;
/** The batch writer thread's WAL checkpoint threshold, in pages (4 KiB): 256 MiB of log between copies. */
const BATCH_WRITER_CHECKPOINT_PAGES = 65_536;
/** Transactions applied under one COMMIT at most (group commit). */
const GROUP_COMMIT_TRANSACTIONS_MAX = 256;
/** Writing commits before the checkpointer thread starts (a short-lived store never starts it), then between kicks. */
const CHECKPOINTER_START_AFTER_COMMITS = 256;
const CHECKPOINT_EVERY_COMMITS = 16;
/** SQLite's own threshold (pages in the WAL), used only if the checkpointer thread dies. */
const AUTOCHECKPOINT_FALLBACK_PAGES = 1000;
const BUSY_TIMEOUT_MS = 10_000;
/**
 * SQLite's page cache for the one connection, in KiB (a negative cache_size): the console's reads probe indexes
 * at random over a multi-gigabyte file (2,000,000 documents), and the default 2 MiB sent each probe to the kernel.
 * Allocated as pages are read, so a small hub never holds it.
 */
const PAGE_CACHE_KIB = 64 * 1024;

export interface SqliteStoreOptions {
  /**
   * Where a commit's log is made durable: 'threadpool' (the default) fdatasyncs it after COMMIT, off the event
   * loop (see WalSync); 'commit' lets SQLite sync inside COMMIT (synchronous=FULL), on the event loop. Slower,
   * but no answer then waits on the disk's timing: the seeded simulation needs that to replay a seed exactly.
   */
  sync?: 'threadpool' | 'commit';
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const inCommit = options.sync === 'commit';
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA cache_size = -${PAGE_CACHE_KIB};`);
  // The migrations run before the store hands anything out; each is made durable by its own full sync.
  db.exec('PRAGMA synchronous = FULL');
  migrate(db);
  // A bulk load a crash interrupted: its deferred work is done and its indexes and triggers are back before use.
  finishBulkLoad(db);
  db.exec(`PRAGMA synchronous = ${inCommit ? 'FULL' : 'NORMAL'}`);
  // Checkpoints run on the checkpointer's thread (checkpointer.mjs), not inside this connection's COMMITs.
  db.exec('PRAGMA wal_autocheckpoint = 0');
  return storeOnDatabase(db, path, inCommit);
}

function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name));
  for (const name of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) {
    if (done.has(name)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(readFileSync(new URL(name, MIGRATIONS), 'utf8'));
      db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(name, Date.now());
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw new Error(`Migration ${name} failed; the database is unchanged. Restore a backup or report the error.`, { cause: e });
    }
  }
}

/**
 * getAgenciesList's page as SQLite writes it: each item by json_object (its text as JSON.stringify's; a quarter
 * faster than concatenating quoted pieces), the page as one BLOB, which reaches JavaScript as bytes, not a string.
 */
export const SQLITE_AGENCY_LIST = {
  item: (pairs: [string, string][]): string => `json_object(${pairs.map(([k, v]) => `'${k}', ${v}`).join(', ')})`,
  bytes: (expr: string): string => `CAST(${expr} AS BLOB)`,
  deletedFalse: '0',
  // json_each's own columns include `parent`: the agency's columns are named through its alias.
  oldCode: `(SELECT value FROM json_each(a.other_codes) WHERE value <> a.code
    AND value GLOB '[0-9][0-9][0-9].[0-9][0-9].[0-9][0-9].[A-Z][0-9][0-9]' ORDER BY key LIMIT 1)`,
};

const toAgency = (r: Row): Agency => ({
  code: r['code'] as string, name: r['name'] as string, parent: r['parent'] as string | null, level: r['level'] as number | null,
  otherCodes: JSON.parse(r['other_codes'] as string) as string[], email: r['email'] as string | null, phone: r['phone'] as string | null,
  state: r['state'] as Agency['state'], successor: r['successor'] as string | null, validFrom: r['valid_from'] as number | null,
  validTo: r['valid_to'] as number | null, version: r['version'] as number, deleted: r['deleted'] === 1, updatedAt: r['updated_at'] as number,
});

const toSystem = (r: Row): SystemRecord => ({
  id: r['id'] as string, name: r['name'] as string, tokenHash: r['token_hash'] as string, secret: r['secret'] as string,
  state: r['state'] as SystemRecord['state'], pushUrl: r['push_url'] as string | null, vdxpStrict: r['vdxp_strict'] === 1,
  createdAt: r['created_at'] as number, updatedAt: r['updated_at'] as number,
});

const toDocument = (r: Row): DocumentRow => ({
  id: r['id'] as string, seq: r['seq'] as number, kind: r['kind'] as DocumentRow['kind'], businessType: r['business_type'] as number,
  fromAgency: r['from_agency'] as string, senderSystem: r['sender_system'] as string, edxmlId: r['edxml_id'] as string | null,
  subject: r['subject'] as string | null, codeNumber: r['code_number'] as string | null, codeNotation: r['code_notation'] as string | null,
  statusCode: r['status_code'] as string | null, answers: r['answers'] as string | null, dueAt: r['due_at'] as number | null,
  digest: r['digest'] as string, bytes: r['bytes'] as number, header: JSON.parse(r['header'] as string),
  signature: JSON.parse(r['signature'] as string), receivedAt: r['received_at'] as number,
  ...(typeof r['archived_in'] === 'string' ? { archivedIn: r['archived_in'] } : {}),
});

const toDelivery = (r: Row, prefix = ''): DeliveryRow => ({
  id: r[`${prefix}id`] as string, seq: r[`${prefix}seq`] as number, documentId: r[`${prefix}document_id`] as string,
  kind: r[`${prefix}kind`] as DeliveryRow['kind'], recipient: r[`${prefix}recipient`] as string,
  addressedTo: r[`${prefix}addressed_to`] as string, state: r[`${prefix}state`] as DeliveryState,
  attempts: r[`${prefix}attempts`] as number, businessStatus: r[`${prefix}business_status`] as string | null,
  lastReason: r[`${prefix}last_reason`] as string | null, createdAt: r[`${prefix}created_at`] as number,
  fetchedAt: r[`${prefix}fetched_at`] as number | null, ackedAt: r[`${prefix}acked_at`] as number | null,
  expiresAt: r[`${prefix}expires_at`] as number, answerDueAt: r[`${prefix}answer_due_at`] as number | null,
  overdue: r[`${prefix}overdue`] === 1,
});

const PATCH_COLUMNS: Record<keyof DeliveryPatch, string> = {
  state: 'state', attempts: 'attempts', businessStatus: 'business_status', lastReason: 'last_reason', ackedAt: 'acked_at',
  overdue: 'overdue', firstFetchedAt: 'fetched_at', answerDueAt: 'answer_due_at',
};
const DELIVERY_COLUMNS = 'id, seq, document_id, kind, recipient, addressed_to, state, attempts, business_status, last_reason, created_at, fetched_at, acked_at, expires_at, answer_due_at, overdue';

/** The operations on one connection. Synchronous underneath; async to match the engine-neutral interface. */
class SqliteOps implements StoreOps {
  readonly #db: DatabaseSync;
  #batchCache = false;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  protected st(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.st(sql).get(...params);
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.st(sql).all(...params);
  }

  #nextRegistryVersion(): number {
    const r = this.#get("UPDATE registry_meta SET value = value + 1 WHERE key = 'version' RETURNING value");
    return r?.['value'] as number;
  }

  async getAgency(code: string): Promise<Agency | undefined> {
    const r = this.#get('SELECT * FROM agencies WHERE code = ?', code);
    return r && toAgency(r);
  }

  async getAgencies(codes: readonly string[]): Promise<Agency[]> {
    return agenciesByCodeSql(codes).flatMap((q) => this.#all(q.sql, ...q.args).map(toAgency));
  }

  async findAgency(code: string): Promise<Agency | undefined> {
    const r = this.#get('SELECT * FROM agencies WHERE code = ?', code)
      ?? this.#get('SELECT a.* FROM agency_codes c JOIN agencies a ON a.code = c.agency WHERE c.code = ?', code);
    return r && toAgency(r);
  }

  async putAgency(a: AgencyInput, at: number): Promise<Agency> {
    this.#putAgency(a, at, this.#nextRegistryVersion());
    return (await this.getAgency(a.code)) as Agency;
  }

  async putAgencies(list: AgencyInput[], at: number): Promise<number> {
    const version = this.#nextRegistryVersion();
    for (const a of list) this.#putAgency(a, at, version);
    return version;
  }

  #putAgency(a: AgencyInput, at: number, version: number): void {
    this.st(`INSERT INTO agencies (code, name, parent, level, other_codes, email, phone, state, successor, valid_from, valid_to, version, deleted, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent, level = excluded.level,
        other_codes = excluded.other_codes, email = excluded.email, phone = excluded.phone, state = excluded.state,
        successor = excluded.successor, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
        version = excluded.version, deleted = excluded.deleted, updated_at = excluded.updated_at`).run(
      a.code, a.name, a.parent, a.level, JSON.stringify(a.otherCodes), a.email, a.phone, a.state, a.successor,
      a.validFrom, a.validTo, version, a.deleted ? 1 : 0, at);
    this.st('DELETE FROM agency_codes WHERE agency = ?').run(a.code);
    for (const other of a.otherCodes) {
      if (other !== a.code) this.st('INSERT OR REPLACE INTO agency_codes (code, agency) VALUES (?, ?)').run(other, a.code);
    }
  }

  async listAgencies(o: { afterVersion?: number; afterCode?: string; limit: number; includeDeleted?: boolean; parent?: string }): Promise<Agency[]> {
    const v = o.afterVersion ?? 0;
    const filters = `${o.includeDeleted ? '' : 'AND deleted = 0'} ${o.parent !== undefined ? 'AND parent = ?' : ''}`;
    const parent = o.parent !== undefined ? [o.parent] : [];
    // (version, code) is the cursor: afterCode continues a page inside one version.
    const rows = o.afterCode === undefined
      ? this.#all(`SELECT * FROM agencies WHERE version > ? ${filters} ORDER BY version, code LIMIT ?`, v, ...parent, o.limit)
      : this.#all(`SELECT * FROM agencies WHERE (version, code) > (?, ?) ${filters} ORDER BY version, code LIMIT ?`,
        v, o.afterCode, ...parent, o.limit);
    return rows.map(toAgency);
  }

  async agencyListPage(o: { afterVersion: number; afterCode?: string; limit: number }): Promise<AgencyListPage> {
    const s = this.st(agencyListPageSql(SQLITE_AGENCY_LIST, o.afterCode !== undefined));
    const r = (o.afterCode === undefined ? s.get(o.afterVersion, o.limit) : s.get(o.afterVersion, o.afterCode, o.limit)) as Row;
    const bytes = r['json'] as Uint8Array | null;
    if (bytes === null) return { json: new Uint8Array(0), rows: 0, last: undefined };
    const json = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { json, rows: r['n'] as number, last: { version: r['last_version'] as number, code: lastItemCode(json) } };
  }

  async countAgencies(): Promise<number> {
    return this.#get('SELECT count(*) AS n FROM agencies WHERE deleted = 0')?.['n'] as number;
  }

  async registryVersion(): Promise<number> {
    return this.#get("SELECT value FROM registry_meta WHERE key = 'version'")?.['value'] as number;
  }

  async getSystem(id: string): Promise<SystemRecord | undefined> {
    const r = this.#get('SELECT * FROM systems WHERE id = ?', id);
    return r && toSystem(r);
  }

  async getSystemByTokenHash(hash: string): Promise<SystemRecord | undefined> {
    const r = this.#get('SELECT * FROM systems WHERE token_hash = ?', hash);
    return r && toSystem(r);
  }

  async putSystem(s: SystemRecord): Promise<void> {
    this.st(`INSERT INTO systems (id, name, token_hash, secret, state, push_url, vdxp_strict, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash, secret = excluded.secret,
        state = excluded.state, push_url = excluded.push_url, vdxp_strict = excluded.vdxp_strict, updated_at = excluded.updated_at`).run(
      s.id, s.name, s.tokenHash, s.secret, s.state, s.pushUrl, s.vdxpStrict ? 1 : 0, s.createdAt, s.updatedAt);
  }

  async listSystems(): Promise<SystemRecord[]> {
    return this.#all('SELECT * FROM systems ORDER BY id').map(toSystem);
  }

  async setSystemAgencies(systemId: string, agencies: string[]): Promise<void> {
    this.st('DELETE FROM system_agencies WHERE system_id = ?').run(systemId);
    for (const a of new Set(agencies)) this.st('INSERT INTO system_agencies (system_id, agency) VALUES (?, ?)').run(systemId, a);
  }

  async systemAgencies(systemId: string): Promise<string[]> {
    return this.#all('SELECT agency FROM system_agencies WHERE system_id = ? ORDER BY agency', systemId).map((r) => r['agency'] as string);
  }

  async systemActsFor(systemId: string, agency: string): Promise<boolean> {
    return this.#get('SELECT 1 AS y FROM system_agencies WHERE system_id = ? AND agency = ?', systemId, agency) !== undefined;
  }

  async documentIdByKey(key: string): Promise<string | undefined> {
    return this.#get('SELECT document_id FROM document_keys WHERE key = ?', key)?.['document_id'] as string | undefined;
  }

  async insertDocument(d: Omit<DocumentRow, 'seq'>, keys: string[]): Promise<DocumentRow> {
    const r = this.#get(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number,
        code_notation, status_code, answers, due_at, digest, bytes, header, signature, received_at)
      VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM documents), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
    d.id, d.kind, d.businessType, d.fromAgency, d.senderSystem, d.edxmlId, d.subject, d.codeNumber, d.codeNotation,
    d.statusCode, d.answers, d.dueAt, d.digest, d.bytes, JSON.stringify(d.header), JSON.stringify(d.signature), d.receivedAt);
    for (const k of keys) this.st('INSERT INTO document_keys (key, document_id) VALUES (?, ?)').run(k, d.id);
    return { ...d, seq: r?.['seq'] as number };
  }

  async getDocument(id: string): Promise<DocumentRow | undefined> {
    const r = this.#get('SELECT * FROM documents WHERE id = ?', id);
    return r && toDocument(r);
  }

  async findDocumentByEdxmlId(fromAgency: string, edxmlId: string): Promise<DocumentRow | undefined> {
    const r = this.#get("SELECT * FROM documents WHERE from_agency = ? AND edxml_id = ? AND kind = 'edoc' ORDER BY seq DESC LIMIT 1", fromAgency, edxmlId);
    return r && toDocument(r);
  }

  async linkDocuments(documentId: string, relatedId: string, relation: 'replaces' | 'updates' | 'revokes'): Promise<void> {
    this.st('INSERT OR IGNORE INTO document_links (document_id, related_id, relation) VALUES (?, ?, ?)').run(documentId, relatedId, relation);
  }

  async documentLinks(documentId: string): Promise<{ documentId: string; relatedId: string; relation: string }[]> {
    return this.#all('SELECT * FROM document_links WHERE document_id = ? OR related_id = ? ORDER BY document_id, related_id', documentId, documentId)
      .map((r) => ({ documentId: r['document_id'] as string, relatedId: r['related_id'] as string, relation: r['relation'] as string }));
  }

  async listSentDocuments(systemId: string, o: { afterSeq?: number; limit: number; kind?: 'edoc' | 'status' }): Promise<DocumentRow[]> {
    return this.#all(`SELECT * FROM documents WHERE sender_system = ? AND seq > ? ${o.kind ? 'AND kind = ?' : ''} ORDER BY seq LIMIT ?`,
      ...[systemId, o.afterSeq ?? 0, ...(o.kind ? [o.kind] : []), o.limit]).map(toDocument);
  }

  async digestReferenced(digest: string): Promise<boolean> {
    return this.#get('SELECT 1 AS y FROM documents WHERE digest = ? AND archived_in IS NULL LIMIT 1', digest) !== undefined;
  }

  async putInlineBlob(digest: string, bytes: Uint8Array): Promise<void> {
    this.st('INSERT OR IGNORE INTO blobs_inline (digest, bytes) VALUES (?, ?)').run(digest, bytes);
  }

  async inlineBlob(digest: string): Promise<Uint8Array | undefined> {
    return this.#get('SELECT bytes FROM blobs_inline WHERE digest = ?', digest)?.['bytes'] as Uint8Array | undefined;
  }

  async insertDelivery(d: Omit<DeliveryRow, 'seq'>): Promise<DeliveryRow> {
    // The document's due date rides along (the overdue rule and the open-deliveries index read it from the row).
    const r = this.#get(`INSERT INTO deliveries (${DELIVERY_COLUMNS}, document_due_at)
      VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM deliveries), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
        (SELECT due_at FROM documents WHERE id = ?)) RETURNING seq`,
    d.id, d.documentId, d.kind, d.recipient, d.addressedTo, d.state, d.attempts, d.businessStatus, d.lastReason, d.createdAt,
    d.fetchedAt, d.ackedAt, d.expiresAt, d.answerDueAt, d.overdue ? 1 : 0, d.documentId);
    return { ...d, seq: r?.['seq'] as number };
  }

  async getDelivery(id: string): Promise<DeliveryRow | undefined> {
    const r = this.#get(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ?`, id);
    return r && toDelivery(r);
  }

  async setDeliveryIf(id: string, expect: DeliveryExpectation, patch: DeliveryPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: SQLInputValue[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      const col = PATCH_COLUMNS[k as keyof DeliveryPatch];
      sets.push(k === 'firstFetchedAt' ? 'fetched_at = coalesce(fetched_at, ?)' : `${col} = ?`);
      values.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    if (sets.length === 0 || expect.states.length === 0) throw new Error('assertion: a delivery change sets something and names the states it leaves');
    const where = [`id = ?`, `state IN (${placeholders(expect.states.length)})`];
    const args: SQLInputValue[] = [id, ...expect.states];
    if (expect.neverFetched) where.push('fetched_at IS NULL');
    if (expect.businessStatus !== undefined) {
      where.push(expect.businessStatus === null ? 'business_status IS NULL' : 'business_status = ?');
      if (expect.businessStatus !== null) args.push(expect.businessStatus);
    }
    if (expect.overdue !== undefined) { where.push('overdue = ?'); args.push(expect.overdue ? 1 : 0); }
    const r = this.st(`UPDATE deliveries SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`).run(...values, ...args);
    return Number(r.changes) === 1;
  }

  async deliveriesOfDocument(documentId: string): Promise<DeliveryRow[]> {
    return this.#all(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE document_id = ? ORDER BY seq`, documentId).map((r) => toDelivery(r));
  }

  async findDelivery(documentId: string, recipient: string): Promise<DeliveryRow | undefined> {
    const r = this.#get(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE document_id = ? AND recipient = ? ORDER BY seq DESC LIMIT 1`, documentId, recipient);
    return r && toDelivery(r);
  }

  async inbox(systemId: string, o: { kind?: 'edoc' | 'status'; afterSeq?: number; limit: number; states?: readonly DeliveryState[] }): Promise<InboxItem[]> {
    const cols = DELIVERY_COLUMNS.split(', ').map((c) => `d.${c} AS d_${c}`).join(', ');
    const q = inboxSql(cols, systemId, o);
    const rows = this.#all(q.sql, ...q.args);
    return rows.map((r) => ({ delivery: toDelivery(r, 'd_'), document: toDocument(r) }));
  }

  async countInbox(systemId: string, kind: 'edoc' | 'status'): Promise<number> {
    return this.#get(`SELECT count(*) AS n FROM system_agencies sa JOIN deliveries d ON d.recipient = sa.agency
      WHERE sa.system_id = ? AND d.kind = ? AND d.state IN (${PENDING_SQL})`, systemId, kind)?.['n'] as number;
  }

  async addStatus(e: Omit<StatusEntry, 'seq'>): Promise<StatusEntry> {
    const r = this.#get(`INSERT INTO delivery_statuses (delivery_id, seq, status_code, document_id, description, at)
      VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM delivery_statuses WHERE delivery_id = ?), ?, ?, ?, ?) RETURNING seq`,
    e.deliveryId, e.deliveryId, e.statusCode, e.documentId, e.description, e.at);
    return { ...e, seq: r?.['seq'] as number };
  }

  async statusHistory(deliveryId: string): Promise<StatusEntry[]> {
    return this.#all('SELECT * FROM delivery_statuses WHERE delivery_id = ? ORDER BY seq', deliveryId).map(toStatus);
  }

  async expiredDeliveries(now: number, limit: number): Promise<DeliveryRow[]> {
    return this.#all(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE state IN (${PENDING_SQL}) AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      now, limit).map((r) => toDelivery(r));
  }

  async overdueCandidates(now: number, limit: number): Promise<DeliveryRow[]> {
    return this.#all(`SELECT ${DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')} FROM deliveries d INDEXED BY deliveries_open
      WHERE d.overdue = 0 AND ${OVERDUE_NOW_SQL}
      ORDER BY d.seq LIMIT ?`, now, now, limit).map((r) => toDelivery(r));
  }

  async appendEvent(e: EventInput): Promise<EventRow> {
    const last = this.#get('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
    const seq = ((last?.['seq'] as number | undefined) ?? 0) + 1;
    const prevHash = (last?.['hash'] as string | undefined) ?? GENESIS_HASH;
    const dataJson = JSON.stringify(e.data);
    const row = { seq, at: e.at, type: e.type, actor: e.actor, documentId: e.documentId ?? null, deliveryId: e.deliveryId ?? null };
    const hash = eventHash(prevHash, { ...row, dataJson });
    this.st('INSERT INTO events (seq, at, type, actor, document_id, delivery_id, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(seq, row.at, row.type, row.actor, row.documentId, row.deliveryId, dataJson, prevHash, hash);
    return { ...row, data: e.data, dataJson, prevHash, hash };
  }

  async events(afterSeq: number, limit: number): Promise<EventRow[]> {
    return this.#all('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit).map(toEvent);
  }

  async checkpoints(): Promise<Checkpoint[]> {
    return this.#all('SELECT * FROM archive_checkpoints ORDER BY last_seq').map((r) => ({
      firstSeq: r['first_seq'] as number, lastSeq: r['last_seq'] as number, prevHash: r['prev_hash'] as string, hash: r['hash'] as string,
      file: r['file'] as string, sha256: r['sha256'] as string, documents: r['documents'] as number, createdAt: r['created_at'] as number,
    }));
  }

  async archivableSegment(cutoff: number, eventsMax: number): Promise<ArchiveSegment | undefined> {
    const first = this.#get('SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1');
    if (first === undefined) return undefined;
    const firstSeq = first['seq'] as number;
    // Every scan below walks the primary key over at most eventsMax rows: the cost of a run is bounded by the
    // segment, not by the size of the live table.
    let lastSeq = (this.#get('SELECT max(seq) AS s FROM events WHERE seq < ?', firstSeq + eventsMax)?.['s'] as number | null) ?? firstSeq;
    const late = this.#get('SELECT min(seq) AS s FROM events WHERE seq BETWEEN ? AND ? AND at >= ?', firstSeq, lastSeq, cutoff)?.['s'] as number | null;
    if (late !== null) lastSeq = late - 1;
    const pending = PENDING_SQL;
    const blocked = this.#get(`SELECT min(e.seq) AS s FROM events e LEFT JOIN documents d ON d.id = e.document_id
      WHERE e.seq BETWEEN ? AND ? AND e.type = 'document:accepted'
        AND (d.id IS NULL OR d.received_at >= ? OR d.archived_in IS NOT NULL
          OR EXISTS (SELECT 1 FROM deliveries x WHERE x.document_id = d.id AND x.state IN (${pending})))`, firstSeq, lastSeq, cutoff)?.['s'] as number | null;
    if (blocked !== null) lastSeq = blocked - 1;
    if (lastSeq < firstSeq) return undefined;
    return { firstSeq, lastSeq, prevHash: first['prev_hash'] as string };
  }

  async documentsAcceptedIn(firstSeq: number, lastSeq: number, afterSeq: number, limit: number): Promise<DocumentRow[]> {
    return this.#all(`SELECT d.* FROM events e JOIN documents d ON d.id = e.document_id
      WHERE e.seq BETWEEN ? AND ? AND e.type = 'document:accepted' AND d.seq > ? ORDER BY d.seq LIMIT ?`, firstSeq, lastSeq, afterSeq, limit).map(toDocument);
  }

  async cutArchive(c: Checkpoint): Promise<CutResult> {
    const first = this.#get('SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1');
    const last = this.#get('SELECT hash FROM events WHERE seq = ?', c.lastSeq);
    if (first?.['seq'] !== c.firstSeq || first['prev_hash'] !== c.prevHash || last?.['hash'] !== c.hash) {
      throw new Error(`The live evidence chain no longer starts at event ${c.firstSeq} from the segment's hash: another cut was made; archive again`);
    }
    const accepted = `SELECT document_id FROM events WHERE seq BETWEEN ? AND ? AND type = 'document:accepted'`;
    const pending = PENDING_SQL;
    const busy = this.#get(`SELECT document_id AS id FROM deliveries WHERE document_id IN (${accepted}) AND state IN (${pending}) LIMIT 1`, c.firstSeq, c.lastSeq);
    if (busy !== undefined) throw new Error(`Document ${busy['id'] as string} was handed out again since the archive was written; archive again`);
    const documents = Number(this.st(`UPDATE documents SET archived_in = ? WHERE archived_in IS NULL AND id IN (${accepted})`).run(c.file, c.firstSeq, c.lastSeq).changes);
    if (documents !== c.documents) throw new Error(`The segment accepted ${documents} live documents, the archive holds ${c.documents}; archive again`);
    const unnamedDigests = await this.unnamedDigestsOf(c.file);
    let inlinePackets = 0;
    let inlineBytes = 0;
    for (const digest of unnamedDigests) {
      const gone = this.#get('DELETE FROM blobs_inline WHERE digest = ? RETURNING length(bytes) AS n', digest);
      if (gone !== undefined) { inlinePackets++; inlineBytes += gone['n'] as number; }
    }
    this.st('DELETE FROM events WHERE seq BETWEEN ? AND ?').run(c.firstSeq, c.lastSeq);
    this.st(`INSERT INTO archive_checkpoints (last_seq, first_seq, prev_hash, hash, file, sha256, documents, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(c.lastSeq, c.firstSeq, c.prevHash, c.hash, c.file, c.sha256, c.documents, c.createdAt);
    return { documents, inlinePackets, inlineBytes, unnamedDigests };
  }

  async unnamedDigestsOf(file: string): Promise<string[]> {
    return this.#all(`SELECT DISTINCT a.digest FROM documents a WHERE a.archived_in = ?
      AND NOT EXISTS (SELECT 1 FROM documents b WHERE b.digest = a.digest AND b.archived_in IS NULL)`, file).map((r) => r['digest'] as string);
  }

  async archivedDocumentCounts(): Promise<Map<string, number>> {
    return new Map(this.#all('SELECT archived_in, count(*) AS n FROM documents WHERE archived_in IS NOT NULL GROUP BY archived_in')
      .map((r) => [r['archived_in'] as string, r['n'] as number]));
  }

  async bumpCounter(day: string, agency: string, metric: string, by: number): Promise<void> {
    this.st(`INSERT INTO counters (day, agency, metric, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (day, agency, metric) DO UPDATE SET value = value + excluded.value`).run(day, agency, metric, by);
  }

  async writeBatch(b: WriteBatch): Promise<WriteBatchResult> {
    // One statement each, prepared once and run per row: node:sqlite binds and steps in C, so a row costs
    // microseconds; what the per-document path paid was a transaction (savepoint, commit, fsync) per step.
    // Batches insert random ids into several indexes (documents, deliveries, statuses, events by document):
    // beyond SQLite's default 2 MiB page cache each insert reads its pages back. A connection that writes
    // batches keeps a larger cache from then on.
    if (!this.#batchCache) {
      this.#db.exec(`PRAGMA cache_size = -${SQLITE_BATCH_CACHE_KIB}`);
      this.#batchCache = true;
    }
    return writeBatchRows((sql) => this.st(sql), b);
  }

  async beginBulkLoad(): Promise<void> {
    beginBulkLoad(this.#db);
  }

  async endBulkLoad(): Promise<void> {
    finishBulkLoad(this.#db);
  }

  async counters(o: { fromDay?: string; toDay?: string; agencies?: string[] }): Promise<CounterRow[]> {
    const agencies = o.agencies ?? [];
    return this.#all(`SELECT day, agency, metric, value FROM counters WHERE day >= ? AND day <= ?
        ${agencies.length > 0 ? `AND agency IN (${placeholders(agencies.length)})` : ''} ORDER BY day, agency, metric`,
    o.fromDay ?? '0000-00-00', o.toDay ?? '9999-99-99', ...agencies)
      .map((r) => ({ day: r['day'] as string, agency: r['agency'] as string, metric: r['metric'] as string, value: r['value'] as number }));
  }

  async putUser(u: UserRecord): Promise<void> {
    this.st(`INSERT INTO users (username, role, scope, password_hash, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (username) DO UPDATE SET role = excluded.role, scope = excluded.scope, password_hash = excluded.password_hash,
        state = excluded.state, updated_at = excluded.updated_at`).run(u.username, u.role, u.scope, u.passwordHash, u.state, u.createdAt, u.updatedAt);
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const r = this.#get('SELECT * FROM users WHERE username = ?', username);
    return r && toUser(r);
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.#all('SELECT * FROM users ORDER BY username').map(toUser);
  }

  async putSession(x: SessionRecord): Promise<void> {
    this.st('INSERT INTO sessions (token_hash, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(x.tokenHash, x.username, x.csrf, x.createdAt, x.expiresAt);
  }

  async getSession(tokenHash: string): Promise<SessionRecord | undefined> {
    const r = this.#get('SELECT * FROM sessions WHERE token_hash = ?', tokenHash);
    return r && {
      tokenHash: r['token_hash'] as string, username: r['username'] as string, csrf: r['csrf'] as string,
      createdAt: r['created_at'] as number, expiresAt: r['expires_at'] as number,
    };
  }

  async deleteSessions(by: { tokenHash: string } | { username: string }): Promise<void> {
    if ('tokenHash' in by) this.st('DELETE FROM sessions WHERE token_hash = ?').run(by.tokenHash);
    else this.st('DELETE FROM sessions WHERE username = ?').run(by.username);
  }

  async addLoginFailure(key: string, at: number, forgetBefore: number): Promise<void> {
    this.st('DELETE FROM login_failures WHERE key = ? AND at < ?').run(key, forgetBefore);
    this.st('INSERT INTO login_failures (key, at) VALUES (?, ?)').run(key, at);
  }

  async loginFailures(key: string, since: number): Promise<number> {
    return this.#get('SELECT count(*) AS n FROM login_failures WHERE key = ? AND at >= ?', key, since)?.['n'] as number;
  }

  async clearLoginFailures(key: string): Promise<void> {
    this.st('DELETE FROM login_failures WHERE key = ?').run(key);
  }

  async putCalendarDay(c: CalendarDay): Promise<void> {
    this.st(`INSERT INTO calendar_days (day, kind, note, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, note = excluded.note, updated_at = excluded.updated_at`).run(c.day, c.kind, c.note, c.updatedAt);
  }

  async deleteCalendarDay(day: string): Promise<boolean> {
    return Number(this.st('DELETE FROM calendar_days WHERE day = ?').run(day).changes) === 1;
  }

  async calendarDays(fromDay: string, toDay: string): Promise<CalendarDay[]> {
    return this.#all('SELECT * FROM calendar_days WHERE day >= ? AND day <= ? ORDER BY day', fromDay, toDay).map((r) => ({
      day: r['day'] as string, kind: r['kind'] as CalendarDay['kind'], note: r['note'] as string | null, updatedAt: r['updated_at'] as number,
    }));
  }

  async counterTotals(o: { fromDay: string; toDay: string; within: AgencyPattern; metrics: readonly string[] }): Promise<CounterTotals> {
    const q = counterTotalsSql(o);
    return toCounterTotals(this.#all(q.days, ...q.args), this.#all(q.groups, ...q.args));
  }

  async counterSums(o: { fromDay: string; toDay: string; within: AgencyPattern }): Promise<{ day: string; level: number | null; letter: string; metric: string; value: number }[]> {
    const toRow = (r: Row): { day: string; level: number | null; letter: string; metric: string; value: number } =>
      ({ day: r['day'] as string, level: r['level'] as number | null, letter: r['letter'] as string, metric: r['metric'] as string, value: r['value'] as number });
    // Nationwide: the rollup the counters' triggers keep (migration 009 / 003), a few rows a day, not one per agency.
    if (o.within === null) {
      return this.#all(`SELECT day, nullif(level, -1) AS level, letter, metric, value FROM counter_rollup
        WHERE day >= ? AND day <= ? AND value <> 0 ORDER BY day, level, letter, metric`, o.fromDay, o.toDay).map(toRow);
    }
    // A province, ministry or department: the rollup per scope pattern (migration 011 / 005), a few rows a day.
    const key = scopeRollupKey(o.within);
    if (key !== undefined) {
      return this.#all(`SELECT day, nullif(level, -1) AS level, letter, metric, value FROM counter_scope_rollup
        WHERE scope = ? AND day >= ? AND day <= ? AND value <> 0 ORDER BY day, level, letter, metric`, key, o.fromDay, o.toDay).map(toRow);
    }
    return this.#all(`SELECT c.day, a.level, substr(c.agency, length(c.agency) - 2, 1) AS letter, c.metric, sum(c.value) AS value
      FROM counters c LEFT JOIN agencies a ON a.code = c.agency
      WHERE c.day >= ? AND c.day <= ? AND c.agency ${/[%_]/.test(o.within) ? 'LIKE' : '='} ? GROUP BY c.day, a.level, letter, c.metric ORDER BY c.day`,
    o.fromDay, o.toDay, o.within).map(toRow);
  }


  async awaitingAnswer(afterSeq: number, limit: number): Promise<DeliveryRow[]> {
    return this.#all(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE seq > ? AND kind = 'edoc' AND state IN (${ANSWERABLE_SQL})
        AND answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13') ORDER BY seq LIMIT ?`, afterSeq, limit).map((r) => toDelivery(r));
  }

  async deliveryStateCounts(): Promise<Record<string, number>> {
    return Object.fromEntries(this.#all('SELECT state, count(*) AS n FROM deliveries GROUP BY state ORDER BY state').map((r) => [r['state'] as string, r['n'] as number]));
  }

  async agencyPredecessors(code: string): Promise<Agency[]> {
    return this.#all('SELECT * FROM agencies WHERE successor = ? ORDER BY code', code).map(toAgency);
  }

  async counterTopAgencies(o: { fromDay: string; toDay: string; within: AgencyPattern; metric: string; limit: number }): Promise<{ agency: string; value: number }[]> {
    return this.#all(`SELECT agency, sum(value) AS value FROM counters WHERE day >= ? AND day <= ? AND metric = ? ${o.within === null ? '' : 'AND agency LIKE ?'}
      GROUP BY agency ORDER BY value DESC, agency LIMIT ?`, o.fromDay, o.toDay, o.metric, ...(o.within === null ? [] : [o.within]), o.limit)
      .map((r) => ({ agency: r['agency'] as string, value: r['value'] as number }));
  }

  async answerTimes(o: { within: AgencyPattern; fromAt: number; toAt: number; limit: number }): Promise<{ deliveryId: string; recipient: string; receivedAt: number; acceptedAt: number | null; finishedAt: number | null }[]> {
    return this.#all(`SELECT d.id, d.recipient, doc.received_at,
        (SELECT min(s.at) FROM delivery_statuses s WHERE s.delivery_id = d.id AND s.status_code IN ('01', '03')) AS accepted_at,
        (SELECT min(s.at) FROM delivery_statuses s WHERE s.delivery_id = d.id AND s.status_code = '06') AS finished_at
      FROM deliveries d JOIN documents doc ON doc.id = d.document_id
      WHERE d.kind = 'edoc' AND doc.received_at >= ? AND doc.received_at < ? ${recipientWithin(o.within)} ORDER BY d.seq DESC LIMIT ?`,
    o.fromAt, o.toAt, ...(o.within === null ? [] : [o.within]), o.limit)
      .map((r) => ({ deliveryId: r['id'] as string, recipient: r['recipient'] as string, receivedAt: r['received_at'] as number,
        acceptedAt: r['accepted_at'] as number | null, finishedAt: r['finished_at'] as number | null }));
  }

  async pendingCounts(within: AgencyPattern, now: number): Promise<{ inFlight: number; overdue: number }> {
    // INDEXED BY: without statistics SQLite would rather walk deliveries_expiry for every 'done' delivery; the open
    // deliveries' partial index (011) is the small set these count over (and the statement fails if it went unused).
    const args = within === null ? [] : [within];
    // One agency: its own open deliveries by the recipient-first index (012); a pattern or nationwide: all of them.
    const index = within !== null && isOneCode(within) ? 'deliveries_open_recipient' : 'deliveries_open';
    const r = this.#get(PENDING_COUNTS_SQL(within).replace('%INDEXED%', `INDEXED BY ${index}`), now, now, ...args);
    return { inFlight: (r?.['in_flight'] as number | undefined) ?? 0, overdue: (r?.['overdue'] as number | undefined) ?? 0 };
  }

  async overdueDeliveries(o: { within: AgencyPattern; now: number; fromAt?: number; toAt?: number; limit: number }): Promise<OverdueRow[]> {
    const cols = DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ');
    const rows = this.#all(`SELECT ${cols}, doc.from_agency, doc.edxml_id, doc.subject, doc.code_number, doc.code_notation, doc.due_at,
        doc.received_at FROM deliveries d INDEXED BY ${o.within !== null && isOneCode(o.within) ? 'deliveries_open_recipient' : 'deliveries_open'} JOIN documents doc ON doc.id = d.document_id
      WHERE ${OVERDUE_NOW_SQL} ${recipientWithin(o.within)} AND doc.received_at >= ? AND doc.received_at < ?
      ORDER BY d.created_at, d.seq LIMIT ?`,
    o.now, o.now, ...(o.within === null ? [] : [o.within]), o.fromAt ?? 0, o.toAt ?? Number.MAX_SAFE_INTEGER, o.limit);
    return rows.map((r) => ({
      delivery: toDelivery(r),
      document: {
        id: r['document_id'] as string, fromAgency: r['from_agency'] as string, edxmlId: r['edxml_id'] as string | null,
        subject: r['subject'] as string | null, codeNumber: r['code_number'] as string | null, codeNotation: r['code_notation'] as string | null,
        dueAt: r['due_at'] as number | null, receivedAt: r['received_at'] as number,
      },
    }));
  }

  async searchDocuments(o: { within: AgencyPattern; text?: string; agency?: string; fromAt?: number; toAt?: number; beforeSeq?: number; limit: number }): Promise<DocumentRow[]> {
    const where = ["doc.kind = 'edoc'", 'doc.seq < ?'];
    const args: SQLInputValue[] = [o.beforeSeq ?? Number.MAX_SAFE_INTEGER];
    // The dates only when asked: an open range would lead the planner to walk documents_received over every document.
    if (o.fromAt !== undefined) { where.push('doc.received_at >= ?'); args.push(o.fromAt); }
    if (o.toAt !== undefined) { where.push('doc.received_at < ?'); args.push(o.toAt); }
    if (o.within !== null) {
      where.push('(doc.from_agency LIKE ? OR EXISTS (SELECT 1 FROM deliveries x WHERE x.document_id = doc.id AND x.recipient LIKE ?))');
      args.push(o.within, o.within);
    }
    const text = o.text !== undefined && o.text !== '' ? o.text : undefined;
    if (text !== undefined) {
      const t = `%${likeEscape(text)}%`;
      where.push("(doc.edxml_id LIKE ? ESCAPE '\\' OR doc.code_notation LIKE ? ESCAPE '\\' OR doc.subject LIKE ? ESCAPE '\\' OR doc.id = ?)");
      args.push(t, t, t, text);
    }
    const run = (from: string, fromArgs: SQLInputValue[], order: string, extra: string[] = [], extraArgs: SQLInputValue[] = []): DocumentRow[] =>
      this.#all(`SELECT doc.* FROM ${from} WHERE ${[...extra, ...where].join(' AND ')} ORDER BY ${order} DESC LIMIT ?`, ...fromArgs, ...extraArgs, ...args, o.limit).map(toDocument);
    if (o.agency !== undefined) {
      // One agency's documents: its newest from the sender and recipient indexes, a window at a time, the other terms
      // deciding among them, not by walking every document or every one of the agency's.
      return agencyDocumentsNewestFirst({ agency: o.agency, beforeSeq: o.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit: o.limit },
        async (sql, ...a) => this.#all(sql, ...a), async (seqs) => run('documents doc', [], 'doc.seq', [`doc.seq IN (${placeholders(seqs.length)})`], seqs));
    }
    if (text !== undefined && [...text].length >= 3) {
      // Words: the trigram index (011) yields candidates newest first, the LIKE above decides, the page's end stops
      // the walk; a DocumentId given whole is looked up by itself and merged in.
      const found = run('documents_text ft CROSS JOIN documents doc ON doc.seq = ft.rowid', [], 'ft.rowid',
        ['documents_text MATCH ?', 'ft.rowid < ?'], [`"${text.replace(/"/g, '""')}"`, o.beforeSeq ?? Number.MAX_SAFE_INTEGER]);
      const byId = run('documents doc', [], 'doc.seq', ['doc.id = ?'], [text]);
      return [...found.filter((d) => !byId.some((b) => b.id === d.id)), ...byId].sort((a, b) => b.seq - a.seq).slice(0, o.limit);
    }
    return run('documents doc', [], 'doc.seq');
  }


  async documentWithin(documentId: string, within: AgencyPattern): Promise<boolean> {
    if (within === null) return (await this.getDocument(documentId)) !== undefined;
    return this.#get(`SELECT 1 AS y FROM documents doc WHERE doc.id = ? AND (doc.from_agency LIKE ?
      OR EXISTS (SELECT 1 FROM deliveries x WHERE x.document_id = doc.id AND x.recipient LIKE ?))`, documentId, within, within) !== undefined;
  }

  async documentEvents(documentId: string, limit: number): Promise<EventRow[]> {
    return this.#all('SELECT * FROM events WHERE document_id = ? ORDER BY seq LIMIT ?', documentId, limit).map(toEvent);
  }

  async searchAgencies(o: { within: AgencyPattern; text?: string; afterCode?: string; limit: number }): Promise<Agency[]> {
    const where = ['deleted = 0', 'code > ?'];
    const args: SQLInputValue[] = [o.afterCode ?? ''];
    if (o.within !== null) { where.push('code LIKE ?'); args.push(o.within); }
    if (o.text !== undefined && o.text !== '') {
      const t = `%${likeEscape(o.text)}%`;
      where.push("(code LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')");
      args.push(t, t);
    }
    return this.#all(`SELECT * FROM agencies WHERE ${where.join(' AND ')} ORDER BY code LIMIT ?`, ...args, o.limit).map(toAgency);
  }

  async connectedCounts(within: AgencyPattern): Promise<{ agencies: number; connected: number }> {
    const connected = 'EXISTS (SELECT 1 FROM system_agencies sa WHERE sa.agency = a.code)';
    const tail = within === null ? undefined : legacyTail(within);
    if (within !== null && tail !== undefined) {
      // A legacy scope: its level-1 body's active agencies by their code's tail (011 / 005), LIKE deciding among them.
      const r = this.#get(`SELECT count(*) AS n, count(*) FILTER (WHERE ${connected}) AS c FROM agencies a INDEXED BY agencies_active_tail
        WHERE a.deleted = 0 AND a.state = 'active' AND length(a.code) = 13 AND upper(substr(a.code, 10)) = ? AND a.code LIKE ?`, tail, within);
      return { agencies: (r?.['n'] as number | undefined) ?? 0, connected: (r?.['c'] as number | undefined) ?? 0 };
    }
    if (within === null) {
      // Nationwide: the totals the triggers keep (012), two rows read instead of every served agency looked up.
      const t = new Map(this.#all("SELECT key, value FROM console_totals WHERE key IN ('active_agencies', 'connected_agencies')").map((r) => [r['key'], r['value'] as number]));
      return { agencies: t.get('active_agencies') ?? 0, connected: t.get('connected_agencies') ?? 0 };
    }
    // The active agencies from their partial index (011 / 005); the connected ones from the systems' agencies (a
    // few thousand), each looked up, instead of asking every agency of the registry whether a system serves it.
    const n = (this.#get(`SELECT count(*) AS n FROM agencies a WHERE a.deleted = 0 AND a.state = 'active' AND a.code LIKE ?`, within))?.['n'] as number | undefined;
    const c = (this.#get(`SELECT count(*) AS n FROM (SELECT DISTINCT agency FROM system_agencies) sa WHERE EXISTS (SELECT 1 FROM agencies a INDEXED BY agencies_active
      WHERE a.code = sa.agency AND a.deleted = 0 AND a.state = 'active' AND a.code LIKE ?)`, within))?.['n'] as number | undefined;
    return { agencies: n ?? 0, connected: c ?? 0 };
  }

  async addSystemActivity(a: SystemActivityInput): Promise<void> {
    this.st(`INSERT INTO system_activity (system_id, hour_at, calls, refusals, last_at, protocol) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (system_id, hour_at) DO UPDATE SET calls = calls + excluded.calls, refusals = refusals + excluded.refusals,
        protocol = CASE WHEN excluded.last_at >= last_at THEN excluded.protocol ELSE protocol END, last_at = max(last_at, excluded.last_at)`)
      .run(a.systemId, a.hourAt, a.calls, a.refusals, a.lastAt, a.protocol);
  }

  async systemActivity(sinceAt: number): Promise<SystemActivity[]> {
    return this.#all(`SELECT s.id, l.last_at, l.protocol,
        (SELECT coalesce(sum(calls), 0) FROM system_activity x WHERE x.system_id = s.id AND x.hour_at >= ?) AS calls,
        (SELECT coalesce(sum(refusals), 0) FROM system_activity x WHERE x.system_id = s.id AND x.hour_at >= ?) AS refusals
      FROM systems s LEFT JOIN system_activity l ON l.system_id = s.id
        AND l.hour_at = (SELECT max(hour_at) FROM system_activity m WHERE m.system_id = s.id)
      ORDER BY s.id`, hourStart(sinceAt), hourStart(sinceAt)).map(toActivity);
  }

  async activeSystemCounts(within: AgencyPattern, sinceAt: number): Promise<{ systems: number; active: number }> {
    const w = within === null ? '' : 'WHERE EXISTS (SELECT 1 FROM system_agencies sa WHERE sa.system_id = s.id AND sa.agency LIKE ?)';
    const r = this.#get(`SELECT count(*) AS n, sum(EXISTS (SELECT 1 FROM system_activity x WHERE x.system_id = s.id AND x.hour_at >= ? AND x.last_at >= ?)) AS a
      FROM systems s ${w}`, hourStart(sinceAt), sinceAt, ...(within === null ? [] : [within]));
    return { systems: (r?.['n'] as number | undefined) ?? 0, active: (r?.['a'] as number | null | undefined) ?? 0 };
  }

  async addAgencyHistory(e: AgencyHistoryInput): Promise<void> {
    this.st(AGENCY_HISTORY_INSERT_SQL).run(e.code, e.kind, e.at, e.effective, e.name, e.oldName, e.successor, e.actor);
  }

  async agencyHistory(code: string, limit: number): Promise<AgencyHistoryEntry[]> {
    return this.#all(AGENCY_HISTORY_SELECT_SQL, code, code, limit).map(toAgencyHistory);
  }

  async storageSize(): Promise<{ databaseBytes: number; packetBytes: number }> {
    const pages = this.#get('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()');
    // Kept by triggers (012): summing every document's bytes grew with the documents ever received.
    const packets = this.#get("SELECT value AS n FROM console_totals WHERE key = 'packet_bytes'");
    return { databaseBytes: (pages?.['n'] as number | undefined) ?? 0, packetBytes: (packets?.['n'] as number | undefined) ?? 0 };
  }
}


/**
 * Durability off the event loop. With synchronous=FULL, SQLite fsyncs the WAL inside COMMIT, and node:sqlite
 * runs COMMIT on the one JavaScript thread: every commit stalled every request for the disk's flush (measured:
 * ~46% of the hub's CPU profile per 10 KB document). Here COMMIT only writes the WAL (synchronous=NORMAL) and
 * the WAL file is fdatasynced on libuv's thread pool; one sync covers every commit made before it began, so
 * commits that land during a sync share the next one. Two rules keep "accepted means durable":
 * - a write's caller (a transaction, or a single writing operation) hears its outcome only after a sync that
 *   began after its COMMIT;
 * - nothing read leaves the hub before every commit made until then is synced: the HTTP server awaits
 *   `settled()` before it sends any answer (http/server.ts), so no reader (an inbox, a fetch, a console page)
 *   sees a document that a power cut could still take back. Reads themselves do not wait: a request waits
 *   once, at its answer, and concurrent answers share one sync.
 * SQLite's own checkpoints keep their syncs (NORMAL syncs the WAL before copying it into the database file and
 * the database file after), so a commit copied out of the WAL before our sync ran is durable by that route.
 * A failed sync leaves the file's state unknown (the kernel may drop the failed pages and report success
 * next time): the store refuses everything from then on, and the hub must be restarted (SQLite recovers).
 */
/** A batch's documents' headers and signatures and its events' data as JSON, made by the thread that sends it. */
export interface BatchJson {
  headers: string[];
  signatures: string[];
  data: string[];
}

/**
 * StoreOps.writeBatch's statements, on the connection whose prepared statements `st` hands out (the store's own,
 * or the batch writer thread's: batch-writer.ts). The caller holds the transaction.
 */
export function writeBatchRows(st: (sql: string) => StatementSync, b: WriteBatch, json?: BatchJson): WriteBatchResult {
  const one = (sql: string): Row | undefined => st(sql).get();
  const blob = st('INSERT OR IGNORE INTO blobs_inline (digest, bytes) VALUES (?, ?)');
  for (const x of b.inlineBlobs) blob.run(x.digest, x.bytes);
  let docSeq = (one('SELECT coalesce(max(seq), 0) AS s FROM documents')?.['s'] as number);
  const docInsert = st(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number,
      code_notation, status_code, answers, due_at, digest, bytes, header, signature, received_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const keyInsert = st('INSERT INTO document_keys (key, document_id) VALUES (?, ?)');
  for (const [i, { doc: d, keys }] of b.documents.entries()) {
    docInsert.run(d.id, ++docSeq, d.kind, d.businessType, d.fromAgency, d.senderSystem, d.edxmlId, d.subject, d.codeNumber, d.codeNotation,
      d.statusCode, d.answers, d.dueAt, d.digest, d.bytes, json?.headers[i] ?? JSON.stringify(d.header), json?.signatures[i] ?? JSON.stringify(d.signature), d.receivedAt);
    for (const k of keys) keyInsert.run(k, d.id);
  }
  const link = st('INSERT OR IGNORE INTO document_links (document_id, related_id, relation) VALUES (?, ?, ?)');
  for (const l of b.links) link.run(l.documentId, l.relatedId, l.relation);
  let deliverySeq = (one('SELECT coalesce(max(seq), 0) AS s FROM deliveries')?.['s'] as number);
  // The document's due date rides along, as insertDelivery's does (the overdue rule and the open-deliveries index read it).
  const deliveryInsert = st(`INSERT INTO deliveries (${DELIVERY_COLUMNS}, document_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
    (SELECT due_at FROM documents WHERE id = ?))`);
  for (const d of b.deliveries) {
    deliveryInsert.run(d.id, ++deliverySeq, d.documentId, d.kind, d.recipient, d.addressedTo, d.state, d.attempts, d.businessStatus, d.lastReason,
      d.createdAt, d.fetchedAt, d.ackedAt, d.expiresAt, d.answerDueAt, d.overdue ? 1 : 0, d.documentId);
  }
  const deliveryUpdate = st(`UPDATE deliveries SET state = ?, attempts = ?, business_status = ?, last_reason = ?, fetched_at = ?, acked_at = ?,
    answer_due_at = ?, overdue = ? WHERE id = ?`);
  for (const u of b.deliveryUpdates) {
    const r = deliveryUpdate.run(u.state, u.attempts, u.businessStatus, u.lastReason, u.fetchedAt, u.ackedAt, u.answerDueAt, u.overdue ? 1 : 0, u.id);
    if (Number(r.changes) !== 1) throw new Error(`assertion: delivery ${u.id} of a batch update exists`);
  }
  const status = st(`INSERT INTO delivery_statuses (delivery_id, seq, status_code, document_id, description, at)
    VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM delivery_statuses WHERE delivery_id = ?), ?, ?, ?, ?)`);
  for (const e of b.statuses) status.run(e.deliveryId, e.deliveryId, e.statusCode, e.documentId, e.description, e.at);
  const head = one('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')
    ?? one('SELECT last_seq AS seq, hash FROM archive_checkpoints ORDER BY last_seq DESC LIMIT 1');
  let seq = (head?.['seq'] as number | undefined) ?? 0;
  let prevHash = (head?.['hash'] as string | undefined) ?? GENESIS_HASH;
  const event = st('INSERT INTO events (seq, at, type, actor, document_id, delivery_id, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (const [i, e] of b.events.entries()) {
    const row = { seq: ++seq, at: e.at, type: e.type, actor: e.actor, documentId: e.documentId ?? null, deliveryId: e.deliveryId ?? null };
    const dataJson = json?.data[i] ?? JSON.stringify(e.data);
    const hash = eventHash(prevHash, { ...row, dataJson });
    event.run(row.seq, row.at, row.type, row.actor, row.documentId, row.deliveryId, dataJson, prevHash, hash);
    prevHash = hash;
  }
  const counter = st(`INSERT INTO counters (day, agency, metric, value) VALUES (?, ?, ?, ?)
    ON CONFLICT (day, agency, metric) DO UPDATE SET value = value + excluded.value`);
  for (const c of sumCounters(b.counters)) counter.run(c.day, c.agency, c.metric, c.by);
  return { lastEventSeq: seq, lastEventHash: prevHash };
}

class WalSync {
  #committed = 0;
  #synced = 0;
  #running: Promise<void> | undefined;
  #failure: Error | undefined;

  readonly #walPath: string;
  /** SQLite synced the log inside COMMIT (synchronous=FULL): a commit is durable when COMMIT returns. */
  readonly #inCommit: boolean;

  constructor(walPath: string, inCommit: boolean) {
    this.#walPath = walPath;
    this.#inCommit = inCommit;
  }

  /** Counts a COMMIT that wrote; returns the mark to wait for. */
  committed(): number {
    this.#committed++;
    if (this.#inCommit) this.#synced = this.#committed;
    return this.#committed;
  }

  /** The mark of the last COMMIT that wrote: a read waits for it. */
  get last(): number {
    return this.#committed;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** undefined when every commit is on disk already (nothing to wait for), else the wait (or the failure). */
  pending(): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.#synced >= this.#committed ? undefined : this.durable(this.#committed);
  }

  /** Resolves once every commit up to `mark` is on disk. */
  async durable(mark: number): Promise<void> {
    while (this.#synced < mark) {
      if (this.#failure) throw this.#failure;
      this.#running ??= this.#sync().finally(() => { this.#running = undefined; });
      await this.#running;
    }
    if (this.#failure) throw this.#failure;
  }

  async #sync(): Promise<void> {
    const target = this.#committed;
    try {
      // Opened for each sync, so a WAL file SQLite replaced is never missed; only the WAL is written by a commit.
      const f = await openFile(this.#walPath, 'r');
      try {
        await f.datasync();
      } finally {
        await f.close();
      }
      this.#synced = Math.max(this.#synced, target);
    } catch (e) {
      this.#failure = new Error(`The database's write-ahead log could not be synced to disk (${String(e)}); what was committed since the last sync may be lost on a power cut. Restart the hub.`, { cause: e });
      throw this.#failure;
    }
  }
}

/** Starts the checkpointer thread once the store has written enough to need it, and kicks it every few commits. */
class Checkpoints {
  readonly #db: DatabaseSync;
  readonly #path: string;
  #worker: Worker | undefined;
  #commits = 0;
  #dead = false;

  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#path = path;
  }

  afterCommit(): void {
    this.#commits++;
    if (this.#dead || this.#commits < CHECKPOINTER_START_AFTER_COMMITS || this.#commits % CHECKPOINT_EVERY_COMMITS !== 0) return;
    this.#worker ??= this.#start();
    this.#worker.postMessage('checkpoint');
  }

  #start(): Worker {
    const w = new Worker(new URL('./checkpointer.mjs', import.meta.url), { workerData: { path: this.#path, busyTimeoutMs: BUSY_TIMEOUT_MS } });
    w.unref();
    w.on('message', (m: { error?: string }) => { if (m.error) process.emitWarning(`vdxp: a WAL checkpoint failed (it is retried after the next commits): ${m.error}`); });
    // Without its thread, SQLite checkpoints inside COMMIT again, so the log cannot grow without end.
    w.on('error', (e) => {
      process.emitWarning(`vdxp: the checkpointer thread stopped (${String(e)}); checkpoints run inside commits from now on`);
      this.#dead = true;
      this.#worker = undefined;
      if (this.#db.isOpen) this.#db.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_FALLBACK_PAGES}`);
    });
    return w;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    if (!w) return;
    this.#worker = undefined;
    const exited = once(w, 'exit');
    // Unref'd while the store is open (it must not keep a process alive); held while closing, or a process with
    // nothing else to do would end with this wait unsettled.
    w.ref();
    w.postMessage('close');
    await exited;
  }
}

/**
 * SQLite allows one writer; we also keep readers out of an open transaction, because on one connection they
 * would see its uncommitted rows. Every operation therefore takes the same queue; inside `transaction`, use
 * the `tx` it hands you (calling the store itself there would wait for the transaction to end). The queue is
 * left before waiting for a sync, so the next operations run while the disk flushes.
 */
export function storeOnDatabase(db: DatabaseSync, path: string, syncedInCommit = false): Store {
  const ops = new SqliteOps(db);
  const wal = new WalSync(`${path}-wal`, syncedInCommit);
  const checkpoints = new Checkpoints(db, path);
  const totalChanges = db.prepare('SELECT total_changes() AS n');
  let changesSeen = 0;
  /** After a COMMIT: the mark to wait for (this commit's if it wrote, else the last one before it). */
  const afterCommit = (): number => {
    const n = (totalChanges.get()?.['n'] as number | undefined) ?? 0;
    if (n === changesSeen) return wal.last;
    changesSeen = n;
    checkpoints.afterCommit();
    return wal.committed();
  };
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  // Group commit: transactions that arrive while another batch runs are applied together, each inside its
  // own SAVEPOINT (one failing rolls back alone), under one BEGIN…COMMIT. A caller's promise settles only once
  // that COMMIT is synced (above), so "accepted means durable" still holds.
  interface Waiting { fn: (tx: StoreOps) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }
  let waiting: Waiting[] = [];
  let scheduled = false;
  const runBatch = async (): Promise<void> => {
    scheduled = false;
    const batch = waiting.slice(0, GROUP_COMMIT_TRANSACTIONS_MAX);
    waiting = waiting.slice(batch.length);
    if (waiting.length > 0) schedule();
    const outcomes: { w: Waiting; ok: boolean; value: unknown }[] = [];
    let mark: number;
    try {
      if (wal.failure) throw wal.failure;
      db.exec('BEGIN IMMEDIATE');
      for (const w of batch) {
        db.exec('SAVEPOINT one');
        try {
          const value = await w.fn(ops);
          db.exec('RELEASE one');
          outcomes.push({ w, ok: true, value });
        } catch (e) {
          db.exec('ROLLBACK TO one');
          db.exec('RELEASE one');
          outcomes.push({ w, ok: false, value: e });
        }
      }
      db.exec('COMMIT');
      mark = afterCommit();
    } catch (e) {
      if (db.isTransaction) db.exec('ROLLBACK');
      for (const w of batch) w.reject(e);
      return;
    }
    // Not awaited: the queue moves on while the disk flushes.
    wal.durable(mark).then(
      () => { for (const o of outcomes) (o.ok ? o.w.resolve : o.w.reject)(o.value); },
      (e: unknown) => { for (const o of outcomes) o.w.reject(e); },
    );
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    void exclusive(runBatch);
  };
  const store: Record<string, unknown> = {
    engine: 'sqlite',
    transaction: <T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
      waiting.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    }),
    settled: () => wal.pending(),
    batchWriter: () => sqliteBatchWriter(path, { busyTimeoutMs: BUSY_TIMEOUT_MS, cacheKib: SQLITE_BATCH_CACHE_KIB, walCheckpointPages: BATCH_WRITER_CHECKPOINT_PAGES }),
    close: () => exclusive(async () => {
      await wal.durable(wal.last).catch(() => undefined);
      await checkpoints.close();
      db.close();
    }),
  };
  const proto = SqliteOps.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of Object.getOwnPropertyNames(SqliteOps.prototype)) {
    const op = proto[name];
    if (name === 'constructor' || name === 'st' || typeof op !== 'function') continue;
    // Outside `transaction`, each operation is still atomic on its own (a document and its keys, an agency
    // and its other codes): a deferred BEGIN costs readers nothing and takes the write lock only on a write.
    store[name] = async (...args: unknown[]) => {
      let markBefore = 0;
      const { result, mark } = await exclusive(async () => {
        markBefore = wal.last;
        if (wal.failure) throw wal.failure;
        db.exec('BEGIN');
        try {
          const value = await op.apply(ops, args);
          db.exec('COMMIT');
          return { result: value, mark: afterCommit() };
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      });
      // Only a write waits here; a read's answer waits in `settled()`, once per HTTP answer.
      if (mark > markBefore) await wal.durable(mark);
      return result;
    };
  }
  return store as unknown as Store;
}
