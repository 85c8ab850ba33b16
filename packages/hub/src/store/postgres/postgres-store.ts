// The scale-out engine: PostgreSQL 15 through node-postgres (`pg`), shared by any number of hub nodes.
//
// Writes are serialised by one transaction-level advisory lock (WRITE_LOCK), taken first by every transaction
// that writes: the evidence chain is one chain (each append reads the head and writes after it), seq numbers
// are max+1 so that they follow commit order (an inbox cursor never skips a delivery committed late, as it
// could with a sequence), and every read that decides a write sees the latest commit (READ COMMITTED under the
// lock). The cost: writing transactions commit one after the other, each holding the lock for its statements
// and its WAL flush (a few milliseconds: measured by `npm run bench -- hub --engine postgres`); the national
// load is ~200,000 documents a month, under 0.1 a second on average. Reads take no lock and run in parallel on
// the pool. Three single-statement writes skip the lock: setDeliveryIf (one UPDATE, atomic on its row),
// bumpCounter and addSystemActivity (one UPSERT increment each, exact under concurrency).

import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { HubError } from '../../errors.ts';
import { eventHash } from '../event-hash.ts';
import {
  GENESIS_HASH,
  type Agency, type AgencyInput, type AgencyListPage, type ArchiveSegment, type Checkpoint, type CounterRow, type CutResult, type DeliveryExpectation,
  type DeliveryPatch, type DeliveryRow, type DeliveryState, type DocumentRow, type EventInput, type EventRow, type InboxItem,
  type StatusEntry, type Store, type StoreOps, type SystemRecord, type WriteBatch, type WriteBatchResult, type SystemActivity, type SystemActivityInput, type AgencyHistoryEntry, type AgencyHistoryInput,
  type AgencyPattern, type CalendarDay, type OverdueRow, type SessionRecord, type UserRecord,
} from '../store.ts';
import { agencyDocumentsNewestFirst, agenciesByCodeSql, counterTotalsSql, inboxSql, toCounterTotals, type CounterTotals, AGENCY_HISTORY_INSERT_SQL, AGENCY_HISTORY_SELECT_SQL, agencyListPageSql, lastItemCode, hourStart, toActivity, toAgencyHistory, ANSWERABLE_SQL, OVERDUE_NOW_SQL, PENDING_COUNTS_SQL, PENDING_SQL, recipientWithin, legacyTail, scopeRollupKey, likeEscape, placeholders, sumCounters, toEvent, toStatus, toUser } from '../sql-shared.ts';

type Row = Record<string, unknown>;
type Param = string | number | boolean | null | Buffer | Uint8Array;

const MIGRATIONS = new URL('./migrations/', import.meta.url);
/** pg_advisory_lock keys: 'vdxp' as ASCII, then 1 for migrations and 2 for writes. */
const MIGRATION_LOCK = 0x76647870_01;
export const WRITE_LOCK = 0x76647870_02;
/** Connections one node keeps to the database (plus one for LISTEN): 3 nodes fit PostgreSQL's default 100. */
export const PG_POOL_CONNECTIONS_MAX_DEFAULT = 10;
/** A connection that cannot be made in this time fails the request (the database is down or restarting). */
const PG_CONNECT_TIMEOUT_MS = 10_000;
/** The channel deliveries are announced on, with the recipient agency code as payload (see listenInbox). */
export const INBOX_CHANNEL = 'vdxp_inbox';

/** int8 (BIGINT, count(*)) as a JS number: every value here (ms times, seqs, sizes) is a safe integer. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => (oid === 20
    ? (v: string) => Number(v)
    : pg.types.getTypeParser(oid, format ?? 'text') as unknown)) as typeof pg.types.getTypeParser,
};

export interface PostgresStoreOptions {
  poolConnectionsMax?: number;
}

export interface PostgresStore extends Store {
  readonly pool: pg.Pool;
  readonly url: string;
}

/** Opens a pool on `url` and brings the schema up to date (once, under a lock, whatever nodes start together). */
export async function openPostgresStore(url: string, o: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: url, max: o.poolConnectionsMax ?? PG_POOL_CONNECTIONS_MAX_DEFAULT, types,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, application_name: 'vdxp',
  });
  // A client losing its connection (the database restarted) emits 'error', which ends the process when nobody
  // listens: the pool listens for idle clients only, so every client gets a listener of its own for the time
  // it is checked out between two queries (found by the crash test: nodes died at database restarts). The
  // failure still reaches the caller through its next query, and the pool drops the broken client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return storeOnPool(pool, url);
}

/** The migration files this code knows, in order. */
export function knownMigrations(): string[] {
  return readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort();
}

async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    // A session lock: every node starting at once waits here; the first applies, the others find it done.
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await c.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const known = knownMigrations();
    const unknown = [...done].filter((n) => !known.includes(n)).sort();
    if (unknown.length > 0) {
      throw new HubError('VDXP_E_SCHEMA_NEWER', `The database has schema migrations this vdxp does not know (${unknown.join(', ')}): `
        + 'a newer version migrated it. Run that version (or newer) on this node; never an older one on a newer schema.');
    }
    for (const name of known) {
      if (done.has(name)) continue;
      await c.query('BEGIN');
      try {
        await c.query(readFileSync(new URL(name, MIGRATIONS), 'utf8'));
        await c.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)', [name, Date.now()]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw new Error(`Migration ${name} failed; the database is unchanged. Restore a backup or report the error.`, { cause: e });
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}

/**
 * getAgenciesList's page as PostgreSQL writes it: each item from its values quoted by to_json (json_build_object
 * would put spaces around every colon), the page as one text (bytea would travel as hex).
 */
const PG_AGENCY_LIST = {
  item: (pairs: [string, string][]): string => `'{' || ${pairs.map(([k, v]) => `'"${k}":' || to_json(${v})::text`).join(" || ',' || ")} || '}'`,
  bytes: (expr: string): string => expr,
  deletedFalse: 'false',
  // Compared bytewise ("C"), as the codes are everywhere; [A-Z] and [0-9] as in agency-code.ts's LEGACY.
  oldCode: `(SELECT c FROM jsonb_array_elements_text(a.other_codes::jsonb) WITH ORDINALITY AS o(c, n)
    WHERE c COLLATE "C" <> a.code AND c COLLATE "C" ~ '^[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}$' ORDER BY n LIMIT 1)`,
};

const toAgency = (r: Row): Agency => ({
  code: r['code'] as string, name: r['name'] as string, parent: r['parent'] as string | null, level: r['level'] as number | null,
  otherCodes: JSON.parse(r['other_codes'] as string) as string[], email: r['email'] as string | null, phone: r['phone'] as string | null,
  state: r['state'] as Agency['state'], successor: r['successor'] as string | null, validFrom: r['valid_from'] as number | null,
  validTo: r['valid_to'] as number | null, version: r['version'] as number, deleted: r['deleted'] === true, updatedAt: r['updated_at'] as number,
});

const toSystem = (r: Row): SystemRecord => ({
  id: r['id'] as string, name: r['name'] as string, tokenHash: r['token_hash'] as string, secret: r['secret'] as string,
  state: r['state'] as SystemRecord['state'], pushUrl: r['push_url'] as string | null, vdxpStrict: r['vdxp_strict'] === true,
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
  overdue: r[`${prefix}overdue`] === true,
});

const PATCH_COLUMNS: Record<keyof DeliveryPatch, string> = {
  state: 'state', attempts: 'attempts', businessStatus: 'business_status', lastReason: 'last_reason', ackedAt: 'acked_at',
  overdue: 'overdue', firstFetchedAt: 'fetched_at', answerDueAt: 'answer_due_at',
};
const DELIVERY_COLUMNS = 'id, seq, document_id, kind, recipient, addressed_to, state, attempts, business_status, last_reason, created_at, fetched_at, acked_at, expires_at, answer_due_at, overdue';

/** `?` placeholders (as the SQLite engine writes them) to PostgreSQL's $1, $2…; no statement here has a literal `?`. */
const converted = new Map<string, string>();
function dollar(sql: string): string {
  let out = converted.get(sql);
  if (out === undefined) {
    let i = 0;
    out = sql.replace(/\?/g, () => `$${++i}`);
    converted.set(sql, out);
  }
  return out;
}

/** Something that runs a query: the pool (one statement, autocommit) or a client inside a transaction. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/** The operations on one queryable. */
export class PostgresOps implements StoreOps {
  readonly db: Queryable;

  constructor(db: Queryable) {
    this.db = db;
  }

  async #all(sql: string, ...params: Param[]): Promise<Row[]> {
    return (await this.db.query(dollar(sql), params)).rows as Row[];
  }

  async #get(sql: string, ...params: Param[]): Promise<Row | undefined> {
    return (await this.#all(sql, ...params))[0];
  }

  async #run(sql: string, ...params: Param[]): Promise<number> {
    return (await this.db.query(dollar(sql), params)).rowCount ?? 0;
  }

  async #nextRegistryVersion(): Promise<number> {
    return (await this.#get("UPDATE registry_meta SET value = value + 1 WHERE key = 'version' RETURNING value"))?.['value'] as number;
  }

  async getAgency(code: string): Promise<Agency | undefined> {
    const r = await this.#get('SELECT * FROM agencies WHERE code = ?', code);
    return r && toAgency(r);
  }

  async getAgencies(codes: readonly string[]): Promise<Agency[]> {
    const out: Agency[] = [];
    for (const q of agenciesByCodeSql(codes)) for (const r of await this.#all(q.sql, ...q.args)) out.push(toAgency(r));
    return out;
  }

  async findAgency(code: string): Promise<Agency | undefined> {
    const r = (await this.#get('SELECT * FROM agencies WHERE code = ?', code))
      ?? (await this.#get('SELECT a.* FROM agency_codes c JOIN agencies a ON a.code = c.agency WHERE c.code = ?', code));
    return r && toAgency(r);
  }

  async putAgency(a: AgencyInput, at: number): Promise<Agency> {
    await this.#putAgency(a, at, await this.#nextRegistryVersion());
    return (await this.getAgency(a.code)) as Agency;
  }

  async putAgencies(list: AgencyInput[], at: number): Promise<number> {
    const version = await this.#nextRegistryVersion();
    for (const a of list) await this.#putAgency(a, at, version);
    return version;
  }

  async #putAgency(a: AgencyInput, at: number, version: number): Promise<void> {
    await this.#run(`INSERT INTO agencies (code, name, parent, level, other_codes, email, phone, state, successor, valid_from, valid_to, version, deleted, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent, level = excluded.level,
        other_codes = excluded.other_codes, email = excluded.email, phone = excluded.phone, state = excluded.state,
        successor = excluded.successor, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
        version = excluded.version, deleted = excluded.deleted, updated_at = excluded.updated_at`,
    a.code, a.name, a.parent, a.level, JSON.stringify(a.otherCodes), a.email, a.phone, a.state, a.successor,
    a.validFrom, a.validTo, version, a.deleted === true, at);
    await this.#run('DELETE FROM agency_codes WHERE agency = ?', a.code);
    for (const other of a.otherCodes) {
      if (other !== a.code) await this.#run('INSERT INTO agency_codes (code, agency) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET agency = excluded.agency', other, a.code);
    }
  }

  async listAgencies(o: { afterVersion?: number; afterCode?: string; limit: number; includeDeleted?: boolean; parent?: string }): Promise<Agency[]> {
    const v = o.afterVersion ?? 0;
    const filters = `${o.includeDeleted ? '' : 'AND deleted = false'} ${o.parent !== undefined ? 'AND parent = ?' : ''}`;
    const parent = o.parent !== undefined ? [o.parent] : [];
    const rows = o.afterCode === undefined
      ? await this.#all(`SELECT * FROM agencies WHERE version > ? ${filters} ORDER BY version, code LIMIT ?`, v, ...parent, o.limit)
      : await this.#all(`SELECT * FROM agencies WHERE (version, code) > (?, ?) ${filters} ORDER BY version, code LIMIT ?`,
        v, o.afterCode, ...parent, o.limit);
    return rows.map(toAgency);
  }

  async agencyListPage(o: { afterVersion: number; afterCode?: string; limit: number }): Promise<AgencyListPage> {
    const r = o.afterCode === undefined
      ? await this.#get(agencyListPageSql(PG_AGENCY_LIST, false), o.afterVersion, o.limit)
      : await this.#get(agencyListPageSql(PG_AGENCY_LIST, true), o.afterVersion, o.afterCode, o.limit);
    const text = r?.['json'] as string | null | undefined;
    if (text === null || text === undefined) return { json: new Uint8Array(0), rows: 0, last: undefined };
    const json = Buffer.from(text, 'utf8');
    return { json, rows: r?.['n'] as number, last: { version: r?.['last_version'] as number, code: lastItemCode(json) } };
  }

  async countAgencies(): Promise<number> {
    return (await this.#get('SELECT count(*) AS n FROM agencies WHERE deleted = false'))?.['n'] as number;
  }

  async registryVersion(): Promise<number> {
    return (await this.#get("SELECT value FROM registry_meta WHERE key = 'version'"))?.['value'] as number;
  }

  async getSystem(id: string): Promise<SystemRecord | undefined> {
    const r = await this.#get('SELECT * FROM systems WHERE id = ?', id);
    return r && toSystem(r);
  }

  async getSystemByTokenHash(hash: string): Promise<SystemRecord | undefined> {
    const r = await this.#get('SELECT * FROM systems WHERE token_hash = ?', hash);
    return r && toSystem(r);
  }

  async putSystem(s: SystemRecord): Promise<void> {
    await this.#run(`INSERT INTO systems (id, name, token_hash, secret, state, push_url, vdxp_strict, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash, secret = excluded.secret,
        state = excluded.state, push_url = excluded.push_url, vdxp_strict = excluded.vdxp_strict, updated_at = excluded.updated_at`,
    s.id, s.name, s.tokenHash, s.secret, s.state, s.pushUrl, s.vdxpStrict, s.createdAt, s.updatedAt);
  }

  async listSystems(): Promise<SystemRecord[]> {
    return (await this.#all('SELECT * FROM systems ORDER BY id')).map(toSystem);
  }

  async setSystemAgencies(systemId: string, agencies: string[]): Promise<void> {
    await this.#run('DELETE FROM system_agencies WHERE system_id = ?', systemId);
    for (const a of new Set(agencies)) await this.#run('INSERT INTO system_agencies (system_id, agency) VALUES (?, ?)', systemId, a);
  }

  async systemAgencies(systemId: string): Promise<string[]> {
    return (await this.#all('SELECT agency FROM system_agencies WHERE system_id = ? ORDER BY agency', systemId)).map((r) => r['agency'] as string);
  }

  async systemActsFor(systemId: string, agency: string): Promise<boolean> {
    return (await this.#get('SELECT 1 AS y FROM system_agencies WHERE system_id = ? AND agency = ?', systemId, agency)) !== undefined;
  }

  async documentIdByKey(key: string): Promise<string | undefined> {
    return (await this.#get('SELECT document_id FROM document_keys WHERE key = ?', key))?.['document_id'] as string | undefined;
  }

  async insertDocument(d: Omit<DocumentRow, 'seq'>, keys: string[]): Promise<DocumentRow> {
    const r = await this.#get(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number,
        code_notation, status_code, answers, due_at, digest, bytes, header, signature, received_at)
      VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM documents), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
    d.id, d.kind, d.businessType, d.fromAgency, d.senderSystem, d.edxmlId, d.subject, d.codeNumber, d.codeNotation,
    d.statusCode, d.answers, d.dueAt, d.digest, d.bytes, JSON.stringify(d.header), JSON.stringify(d.signature), d.receivedAt);
    for (const k of keys) await this.#run('INSERT INTO document_keys (key, document_id) VALUES (?, ?)', k, d.id);
    return { ...d, seq: r?.['seq'] as number };
  }

  async getDocument(id: string): Promise<DocumentRow | undefined> {
    const r = await this.#get('SELECT * FROM documents WHERE id = ?', id);
    return r && toDocument(r);
  }

  async findDocumentByEdxmlId(fromAgency: string, edxmlId: string): Promise<DocumentRow | undefined> {
    const r = await this.#get("SELECT * FROM documents WHERE from_agency = ? AND edxml_id = ? AND kind = 'edoc' ORDER BY seq DESC LIMIT 1", fromAgency, edxmlId);
    return r && toDocument(r);
  }

  async linkDocuments(documentId: string, relatedId: string, relation: 'replaces' | 'updates' | 'revokes'): Promise<void> {
    await this.#run('INSERT INTO document_links (document_id, related_id, relation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', documentId, relatedId, relation);
  }

  async documentLinks(documentId: string): Promise<{ documentId: string; relatedId: string; relation: string }[]> {
    return (await this.#all('SELECT * FROM document_links WHERE document_id = ? OR related_id = ? ORDER BY document_id, related_id', documentId, documentId))
      .map((r) => ({ documentId: r['document_id'] as string, relatedId: r['related_id'] as string, relation: r['relation'] as string }));
  }

  async listSentDocuments(systemId: string, o: { afterSeq?: number; limit: number; kind?: 'edoc' | 'status' }): Promise<DocumentRow[]> {
    return (await this.#all(`SELECT * FROM documents WHERE sender_system = ? AND seq > ? ${o.kind ? 'AND kind = ?' : ''} ORDER BY seq LIMIT ?`,
      ...[systemId, o.afterSeq ?? 0, ...(o.kind ? [o.kind] : []), o.limit])).map(toDocument);
  }

  async digestReferenced(digest: string): Promise<boolean> {
    return (await this.#get('SELECT 1 AS y FROM documents WHERE digest = ? AND archived_in IS NULL LIMIT 1', digest)) !== undefined;
  }

  async putInlineBlob(digest: string, bytes: Uint8Array): Promise<void> {
    await this.#run('INSERT INTO blobs_inline (digest, bytes) VALUES (?, ?) ON CONFLICT DO NOTHING', digest, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  async inlineBlob(digest: string): Promise<Uint8Array | undefined> {
    return (await this.#get('SELECT bytes FROM blobs_inline WHERE digest = ?', digest))?.['bytes'] as Uint8Array | undefined;
  }

  async insertDelivery(d: Omit<DeliveryRow, 'seq'>): Promise<DeliveryRow> {
    // The document's due date rides along (the overdue rule and the open-deliveries index read it from the row).
    const r = await this.#get(`INSERT INTO deliveries (${DELIVERY_COLUMNS}, document_due_at)
      VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM deliveries), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
        (SELECT due_at FROM documents WHERE id = ?)) RETURNING seq`,
    d.id, d.documentId, d.kind, d.recipient, d.addressedTo, d.state, d.attempts, d.businessStatus, d.lastReason, d.createdAt,
    d.fetchedAt, d.ackedAt, d.expiresAt, d.answerDueAt, d.overdue, d.documentId);
    // Every node's long-polls for this agency wake when (and only if) the transaction commits: NOTIFY is
    // delivered at commit, in commit order, and dropped on rollback.
    await this.db.query('SELECT pg_notify($1, $2)', [INBOX_CHANNEL, d.recipient]);
    return { ...d, seq: r?.['seq'] as number };
  }

  async getDelivery(id: string): Promise<DeliveryRow | undefined> {
    const r = await this.#get(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ?`, id);
    return r && toDelivery(r);
  }

  async setDeliveryIf(id: string, expect: DeliveryExpectation, patch: DeliveryPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: Param[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      const col = PATCH_COLUMNS[k as keyof DeliveryPatch];
      sets.push(k === 'firstFetchedAt' ? 'fetched_at = coalesce(fetched_at, ?)' : `${col} = ?`);
      values.push(v);
    }
    if (sets.length === 0 || expect.states.length === 0) throw new Error('assertion: a delivery change sets something and names the states it leaves');
    const where = [`id = ?`, `state IN (${placeholders(expect.states.length)})`];
    const args: Param[] = [id, ...expect.states];
    if (expect.neverFetched) where.push('fetched_at IS NULL');
    if (expect.businessStatus !== undefined) {
      where.push(expect.businessStatus === null ? 'business_status IS NULL' : 'business_status = ?');
      if (expect.businessStatus !== null) args.push(expect.businessStatus);
    }
    if (expect.overdue !== undefined) { where.push('overdue = ?'); args.push(expect.overdue); }
    // One UPDATE: PostgreSQL re-checks the WHERE on the newest row version after waiting for a concurrent
    // writer (EvalPlanQual), so two nodes racing on one delivery see exactly one row count of 1.
    return (await this.#run(`UPDATE deliveries SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`, ...values, ...args)) === 1;
  }

  async deliveriesOfDocument(documentId: string): Promise<DeliveryRow[]> {
    return (await this.#all(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE document_id = ? ORDER BY seq`, documentId)).map((r) => toDelivery(r));
  }

  async findDelivery(documentId: string, recipient: string): Promise<DeliveryRow | undefined> {
    const r = await this.#get(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE document_id = ? AND recipient = ? ORDER BY seq DESC LIMIT 1`, documentId, recipient);
    return r && toDelivery(r);
  }

  async inbox(systemId: string, o: { kind?: 'edoc' | 'status'; afterSeq?: number; limit: number; states?: readonly DeliveryState[] }): Promise<InboxItem[]> {
    const cols = DELIVERY_COLUMNS.split(', ').map((c) => `d.${c} AS d_${c}`).join(', ');
    const q = inboxSql(cols, systemId, o);
    const rows = await this.#all(q.sql, ...q.args);
    return rows.map((r) => ({ delivery: toDelivery(r, 'd_'), document: toDocument(r) }));
  }

  async countInbox(systemId: string, kind: 'edoc' | 'status'): Promise<number> {
    return (await this.#get(`SELECT count(*) AS n FROM system_agencies sa JOIN deliveries d ON d.recipient = sa.agency
      WHERE sa.system_id = ? AND d.kind = ? AND d.state IN (${PENDING_SQL})`, systemId, kind))?.['n'] as number;
  }

  async addStatus(e: Omit<StatusEntry, 'seq'>): Promise<StatusEntry> {
    const r = await this.#get(`INSERT INTO delivery_statuses (delivery_id, seq, status_code, document_id, description, at)
      VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM delivery_statuses WHERE delivery_id = ?), ?, ?, ?, ?) RETURNING seq`,
    e.deliveryId, e.deliveryId, e.statusCode, e.documentId, e.description, e.at);
    return { ...e, seq: r?.['seq'] as number };
  }

  async statusHistory(deliveryId: string): Promise<StatusEntry[]> {
    return (await this.#all('SELECT * FROM delivery_statuses WHERE delivery_id = ? ORDER BY seq', deliveryId)).map(toStatus);
  }

  async expiredDeliveries(now: number, limit: number): Promise<DeliveryRow[]> {
    return (await this.#all(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE state IN (${PENDING_SQL}) AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      now, limit)).map((r) => toDelivery(r));
  }

  async overdueCandidates(now: number, limit: number): Promise<DeliveryRow[]> {
    return (await this.#all(`SELECT ${DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')} FROM deliveries d
      WHERE d.overdue = false AND ${OVERDUE_NOW_SQL}
      ORDER BY d.seq LIMIT ?`, now, now, limit)).map((r) => toDelivery(r));
  }

  async appendEvent(e: EventInput): Promise<EventRow> {
    // The head is read under WRITE_LOCK (every writing transaction holds it), so no other append interleaves.
    const last = await this.#get('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
    const checkpoint = last === undefined ? await this.#get('SELECT last_seq AS seq, hash FROM archive_checkpoints ORDER BY last_seq DESC LIMIT 1') : undefined;
    const head = last ?? checkpoint;
    const seq = ((head?.['seq'] as number | undefined) ?? 0) + 1;
    const prevHash = (head?.['hash'] as string | undefined) ?? GENESIS_HASH;
    const dataJson = JSON.stringify(e.data);
    const row = { seq, at: e.at, type: e.type, actor: e.actor, documentId: e.documentId ?? null, deliveryId: e.deliveryId ?? null };
    const hash = eventHash(prevHash, { ...row, dataJson });
    await this.#run('INSERT INTO events (seq, at, type, actor, document_id, delivery_id, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      seq, row.at, row.type, row.actor, row.documentId, row.deliveryId, dataJson, prevHash, hash);
    return { ...row, data: e.data, dataJson, prevHash, hash };
  }

  async events(afterSeq: number, limit: number): Promise<EventRow[]> {
    return (await this.#all('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit)).map(toEvent);
  }

  async checkpoints(): Promise<Checkpoint[]> {
    return (await this.#all('SELECT * FROM archive_checkpoints ORDER BY last_seq')).map((r) => ({
      firstSeq: r['first_seq'] as number, lastSeq: r['last_seq'] as number, prevHash: r['prev_hash'] as string, hash: r['hash'] as string,
      file: r['file'] as string, sha256: r['sha256'] as string, documents: r['documents'] as number, createdAt: r['created_at'] as number,
    }));
  }

  async archivableSegment(cutoff: number, eventsMax: number): Promise<ArchiveSegment | undefined> {
    const first = await this.#get('SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1');
    if (first === undefined) return undefined;
    const firstSeq = first['seq'] as number;
    let lastSeq = ((await this.#get('SELECT max(seq) AS s FROM events WHERE seq < ?', firstSeq + eventsMax))?.['s'] as number | null) ?? firstSeq;
    const late = (await this.#get('SELECT min(seq) AS s FROM events WHERE seq BETWEEN ? AND ? AND at >= ?', firstSeq, lastSeq, cutoff))?.['s'] as number | null;
    if (late !== null) lastSeq = late - 1;
    const blocked = (await this.#get(`SELECT min(e.seq) AS s FROM events e LEFT JOIN documents d ON d.id = e.document_id
      WHERE e.seq BETWEEN ? AND ? AND e.type = 'document:accepted'
        AND (d.id IS NULL OR d.received_at >= ? OR d.archived_in IS NOT NULL
          OR EXISTS (SELECT 1 FROM deliveries x WHERE x.document_id = d.id AND x.state IN (${PENDING_SQL})))`, firstSeq, lastSeq, cutoff))?.['s'] as number | null;
    if (blocked !== null) lastSeq = blocked - 1;
    if (lastSeq < firstSeq) return undefined;
    return { firstSeq, lastSeq, prevHash: first['prev_hash'] as string };
  }

  async documentsAcceptedIn(firstSeq: number, lastSeq: number, afterSeq: number, limit: number): Promise<DocumentRow[]> {
    return (await this.#all(`SELECT d.* FROM events e JOIN documents d ON d.id = e.document_id
      WHERE e.seq BETWEEN ? AND ? AND e.type = 'document:accepted' AND d.seq > ? ORDER BY d.seq LIMIT ?`, firstSeq, lastSeq, afterSeq, limit)).map(toDocument);
  }

  async cutArchive(c: Checkpoint): Promise<CutResult> {
    const first = await this.#get('SELECT seq, prev_hash FROM events ORDER BY seq LIMIT 1');
    const last = await this.#get('SELECT hash FROM events WHERE seq = ?', c.lastSeq);
    if (first?.['seq'] !== c.firstSeq || first['prev_hash'] !== c.prevHash || last?.['hash'] !== c.hash) {
      throw new Error(`The live evidence chain no longer starts at event ${c.firstSeq} from the segment's hash: another cut was made; archive again`);
    }
    const accepted = `SELECT document_id FROM events WHERE seq BETWEEN ? AND ? AND type = 'document:accepted'`;
    const busy = await this.#get(`SELECT document_id AS id FROM deliveries WHERE document_id IN (${accepted}) AND state IN (${PENDING_SQL}) LIMIT 1`, c.firstSeq, c.lastSeq);
    if (busy !== undefined) throw new Error(`Document ${busy['id'] as string} was handed out again since the archive was written; archive again`);
    const documents = await this.#run(`UPDATE documents SET archived_in = ? WHERE archived_in IS NULL AND id IN (${accepted})`, c.file, c.firstSeq, c.lastSeq);
    if (documents !== c.documents) throw new Error(`The segment accepted ${documents} live documents, the archive holds ${c.documents}; archive again`);
    const unnamedDigests = await this.unnamedDigestsOf(c.file);
    let inlinePackets = 0;
    let inlineBytes = 0;
    for (const digest of unnamedDigests) {
      const gone = await this.#get('DELETE FROM blobs_inline WHERE digest = ? RETURNING octet_length(bytes) AS n', digest);
      if (gone !== undefined) { inlinePackets++; inlineBytes += gone['n'] as number; }
    }
    await this.#run('DELETE FROM events WHERE seq BETWEEN ? AND ?', c.firstSeq, c.lastSeq);
    await this.#run(`INSERT INTO archive_checkpoints (last_seq, first_seq, prev_hash, hash, file, sha256, documents, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.lastSeq, c.firstSeq, c.prevHash, c.hash, c.file, c.sha256, c.documents, c.createdAt);
    return { documents, inlinePackets, inlineBytes, unnamedDigests };
  }

  async unnamedDigestsOf(file: string): Promise<string[]> {
    return (await this.#all(`SELECT DISTINCT a.digest FROM documents a WHERE a.archived_in = ?
      AND NOT EXISTS (SELECT 1 FROM documents b WHERE b.digest = a.digest AND b.archived_in IS NULL) ORDER BY a.digest`, file)).map((r) => r['digest'] as string);
  }

  async archivedDocumentCounts(): Promise<Map<string, number>> {
    return new Map((await this.#all('SELECT archived_in, count(*) AS n FROM documents WHERE archived_in IS NOT NULL GROUP BY archived_in'))
      .map((r) => [r['archived_in'] as string, r['n'] as number]));
  }

  /** PostgreSQL keeps its indexes and triggers through a bulk load (the ordinary path): nothing to set aside. */
  async beginBulkLoad(): Promise<void> {
    return undefined;
  }

  async endBulkLoad(): Promise<void> {
    return undefined;
  }

  async bumpCounter(day: string, agency: string, metric: string, by: number): Promise<void> {
    await this.#run(`INSERT INTO counters (day, agency, metric, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (day, agency, metric) DO UPDATE SET value = counters.value + excluded.value`, day, agency, metric, by);
  }

  async writeBatch(b: WriteBatch): Promise<WriteBatchResult> {
    // One multi-row statement per table (unnest of one array per column: one round trip, however many rows),
    // under WRITE_LOCK like every writing transaction, so seqs and the chain's head read here stay ours.
    const q = (text: string, values: unknown[]): Promise<pg.QueryResult> => this.db.query(text, values);
    for (const x of b.inlineBlobs) await this.putInlineBlob(x.digest, x.bytes);
    if (b.documents.length > 0) {
      const base = ((await this.#get('SELECT coalesce(max(seq), 0) AS s FROM documents'))?.['s'] as number);
      const ds = b.documents.map((x) => x.doc);
      await q(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number, code_notation,
          status_code, answers, due_at, digest, bytes, header, signature, received_at)
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
          $11::text[], $12::text[], $13::bigint[], $14::text[], $15::bigint[], $16::text[], $17::text[], $18::bigint[])`, [
        ds.map((d) => d.id), ds.map((_, i) => base + i + 1), ds.map((d) => d.kind), ds.map((d) => d.businessType), ds.map((d) => d.fromAgency),
        ds.map((d) => d.senderSystem), ds.map((d) => d.edxmlId), ds.map((d) => d.subject), ds.map((d) => d.codeNumber), ds.map((d) => d.codeNotation),
        ds.map((d) => d.statusCode), ds.map((d) => d.answers), ds.map((d) => d.dueAt), ds.map((d) => d.digest), ds.map((d) => d.bytes),
        ds.map((d) => JSON.stringify(d.header)), ds.map((d) => JSON.stringify(d.signature)), ds.map((d) => d.receivedAt),
      ]);
      const keys = b.documents.flatMap((x) => x.keys.map((k) => [k, x.doc.id] as const));
      if (keys.length > 0) await q('INSERT INTO document_keys (key, document_id) SELECT * FROM unnest($1::text[], $2::text[])', [keys.map((k) => k[0]), keys.map((k) => k[1])]);
    }
    if (b.links.length > 0) {
      await q(`INSERT INTO document_links (document_id, related_id, relation) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
        [b.links.map((l) => l.documentId), b.links.map((l) => l.relatedId), b.links.map((l) => l.relation)]);
    }
    if (b.deliveries.length > 0) {
      const base = ((await this.#get('SELECT coalesce(max(seq), 0) AS s FROM deliveries'))?.['s'] as number);
      const ds = b.deliveries;
      // The document's due date rides along, as insertDelivery's does (the overdue rule and the open-deliveries index read it).
      await q(`INSERT INTO deliveries (${DELIVERY_COLUMNS}, document_due_at)
        SELECT u.*, (SELECT doc.due_at FROM documents doc WHERE doc.id = u.document_id)
        FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[],
          $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::boolean[])
          AS u(id, seq, document_id, kind, recipient, addressed_to, state, attempts, business_status, last_reason, created_at, fetched_at, acked_at,
            expires_at, answer_due_at, overdue)`, [
        ds.map((d) => d.id), ds.map((_, i) => base + i + 1), ds.map((d) => d.documentId), ds.map((d) => d.kind), ds.map((d) => d.recipient),
        ds.map((d) => d.addressedTo), ds.map((d) => d.state), ds.map((d) => d.attempts), ds.map((d) => d.businessStatus), ds.map((d) => d.lastReason),
        ds.map((d) => d.createdAt), ds.map((d) => d.fetchedAt), ds.map((d) => d.ackedAt), ds.map((d) => d.expiresAt), ds.map((d) => d.answerDueAt),
        ds.map((d) => d.overdue),
      ]);
      // Every node's long-polls for these agencies wake at commit, as insertDelivery's NOTIFY does.
      const queued = [...new Set(ds.filter((d) => d.state === 'queued').map((d) => d.recipient))];
      if (queued.length > 0) await q('SELECT pg_notify($1, r) FROM unnest($2::text[]) r', [INBOX_CHANNEL, queued]);
    }
    if (b.deliveryUpdates.length > 0) {
      const us = b.deliveryUpdates;
      const r = await q(`UPDATE deliveries d SET state = u.state, attempts = u.attempts, business_status = u.business_status, last_reason = u.last_reason,
          fetched_at = u.fetched_at, acked_at = u.acked_at, answer_due_at = u.answer_due_at, overdue = u.overdue
        FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::boolean[])
          AS u(id, state, attempts, business_status, last_reason, fetched_at, acked_at, answer_due_at, overdue)
        WHERE d.id = u.id`, [
        us.map((u) => u.id), us.map((u) => u.state), us.map((u) => u.attempts), us.map((u) => u.businessStatus), us.map((u) => u.lastReason),
        us.map((u) => u.fetchedAt), us.map((u) => u.ackedAt), us.map((u) => u.answerDueAt), us.map((u) => u.overdue),
      ]);
      if (r.rowCount !== new Set(us.map((u) => u.id)).size) throw new Error('assertion: every delivery of a batch update exists');
    }
    if (b.statuses.length > 0) {
      // One statement cannot see its own rows, so each delivery's next seq is counted here from its last.
      const ids = [...new Set(b.statuses.map((e) => e.deliveryId))];
      const last = new Map((await q('SELECT delivery_id, max(seq) AS s FROM delivery_statuses WHERE delivery_id = ANY($1::text[]) GROUP BY delivery_id', [ids]))
        .rows.map((r: Row) => [r['delivery_id'] as string, Number(r['s'])]));
      const seqs = b.statuses.map((e) => {
        const n = (last.get(e.deliveryId) ?? 0) + 1;
        last.set(e.deliveryId, n);
        return n;
      });
      await q(`INSERT INTO delivery_statuses (delivery_id, seq, status_code, document_id, description, at)
        SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[])`, [
        b.statuses.map((e) => e.deliveryId), seqs, b.statuses.map((e) => e.statusCode), b.statuses.map((e) => e.documentId),
        b.statuses.map((e) => e.description), b.statuses.map((e) => e.at),
      ]);
    }
    const head = (await this.#get('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'))
      ?? (await this.#get('SELECT last_seq AS seq, hash FROM archive_checkpoints ORDER BY last_seq DESC LIMIT 1'));
    let seq = (head?.['seq'] as number | undefined) ?? 0;
    let prevHash = (head?.['hash'] as string | undefined) ?? GENESIS_HASH;
    if (b.events.length > 0) {
      const cols = { seq: [] as number[], at: [] as number[], type: [] as string[], actor: [] as (string | null)[], doc: [] as (string | null)[],
        delivery: [] as (string | null)[], data: [] as string[], prev: [] as string[], hash: [] as string[] };
      for (const e of b.events) {
        const row = { seq: ++seq, at: e.at, type: e.type, actor: e.actor, documentId: e.documentId ?? null, deliveryId: e.deliveryId ?? null };
        const dataJson = JSON.stringify(e.data);
        const hash = eventHash(prevHash, { ...row, dataJson });
        cols.seq.push(row.seq); cols.at.push(row.at); cols.type.push(row.type); cols.actor.push(row.actor); cols.doc.push(row.documentId);
        cols.delivery.push(row.deliveryId); cols.data.push(dataJson); cols.prev.push(prevHash); cols.hash.push(hash);
        prevHash = hash;
      }
      await q(`INSERT INTO events (seq, at, type, actor, document_id, delivery_id, data, prev_hash, hash)
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [cols.seq, cols.at, cols.type, cols.actor, cols.doc, cols.delivery, cols.data, cols.prev, cols.hash]);
    }
    const sums = sumCounters(b.counters);
    if (sums.length > 0) {
      await q(`INSERT INTO counters (day, agency, metric, value) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
        ON CONFLICT (day, agency, metric) DO UPDATE SET value = counters.value + excluded.value`,
      [sums.map((c) => c.day), sums.map((c) => c.agency), sums.map((c) => c.metric), sums.map((c) => c.by)]);
    }
    return { lastEventSeq: seq, lastEventHash: prevHash };
  }

  async counters(o: { fromDay?: string; toDay?: string; agencies?: string[] }): Promise<CounterRow[]> {
    const agencies = o.agencies ?? [];
    return (await this.#all(`SELECT day, agency, metric, value FROM counters WHERE day >= ? AND day <= ?
        ${agencies.length > 0 ? `AND agency IN (${placeholders(agencies.length)})` : ''} ORDER BY day, agency, metric`,
    o.fromDay ?? '0000-00-00', o.toDay ?? '9999-99-99', ...agencies))
      .map((r) => ({ day: r['day'] as string, agency: r['agency'] as string, metric: r['metric'] as string, value: r['value'] as number }));
  }

  async putUser(u: UserRecord): Promise<void> {
    await this.#run(`INSERT INTO users (username, role, scope, password_hash, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (username) DO UPDATE SET role = excluded.role, scope = excluded.scope, password_hash = excluded.password_hash,
        state = excluded.state, updated_at = excluded.updated_at`, u.username, u.role, u.scope, u.passwordHash, u.state, u.createdAt, u.updatedAt);
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const r = await this.#get('SELECT * FROM users WHERE username = ?', username);
    return r && toUser(r);
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.#all('SELECT * FROM users ORDER BY username')).map(toUser);
  }

  async putSession(x: SessionRecord): Promise<void> {
    await this.#run('INSERT INTO sessions (token_hash, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      x.tokenHash, x.username, x.csrf, x.createdAt, x.expiresAt);
  }

  async getSession(tokenHash: string): Promise<SessionRecord | undefined> {
    const r = await this.#get('SELECT * FROM sessions WHERE token_hash = ?', tokenHash);
    return r && {
      tokenHash: r['token_hash'] as string, username: r['username'] as string, csrf: r['csrf'] as string,
      createdAt: r['created_at'] as number, expiresAt: r['expires_at'] as number,
    };
  }

  async deleteSessions(by: { tokenHash: string } | { username: string }): Promise<void> {
    if ('tokenHash' in by) await this.#run('DELETE FROM sessions WHERE token_hash = ?', by.tokenHash);
    else await this.#run('DELETE FROM sessions WHERE username = ?', by.username);
  }

  async addLoginFailure(key: string, at: number, forgetBefore: number): Promise<void> {
    await this.#run('DELETE FROM login_failures WHERE key = ? AND at < ?', key, forgetBefore);
    await this.#run('INSERT INTO login_failures (key, at) VALUES (?, ?)', key, at);
  }

  async loginFailures(key: string, since: number): Promise<number> {
    return (await this.#get('SELECT count(*) AS n FROM login_failures WHERE key = ? AND at >= ?', key, since))?.['n'] as number;
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.#run('DELETE FROM login_failures WHERE key = ?', key);
  }

  async putCalendarDay(c: CalendarDay): Promise<void> {
    await this.#run(`INSERT INTO calendar_days (day, kind, note, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, note = excluded.note, updated_at = excluded.updated_at`, c.day, c.kind, c.note, c.updatedAt);
  }

  async deleteCalendarDay(day: string): Promise<boolean> {
    return (await this.#run('DELETE FROM calendar_days WHERE day = ?', day)) === 1;
  }

  async calendarDays(fromDay: string, toDay: string): Promise<CalendarDay[]> {
    return (await this.#all('SELECT * FROM calendar_days WHERE day >= ? AND day <= ? ORDER BY day', fromDay, toDay)).map((r) => ({
      day: r['day'] as string, kind: r['kind'] as CalendarDay['kind'], note: r['note'] as string | null, updatedAt: r['updated_at'] as number,
    }));
  }

  async counterTotals(o: { fromDay: string; toDay: string; within: AgencyPattern; metrics: readonly string[] }): Promise<CounterTotals> {
    const q = counterTotalsSql(o);
    return toCounterTotals(await this.#all(q.days, ...q.args), await this.#all(q.groups, ...q.args));
  }

  async counterSums(o: { fromDay: string; toDay: string; within: AgencyPattern }): Promise<{ day: string; level: number | null; letter: string; metric: string; value: number }[]> {
    const toRow = (r: Row): { day: string; level: number | null; letter: string; metric: string; value: number } =>
      ({ day: r['day'] as string, level: r['level'] as number | null, letter: r['letter'] as string, metric: r['metric'] as string, value: r['value'] as number });
    // Nationwide: the rollup the counters' triggers keep (migration 009 / 003), a few rows a day, not one per agency.
    if (o.within === null) {
      return (await this.#all(`SELECT day, nullif(level, -1) AS level, letter, metric, value FROM counter_rollup
        WHERE day >= ? AND day <= ? AND value <> 0 ORDER BY day, level, letter, metric`, o.fromDay, o.toDay)).map(toRow);
    }
    // A province, ministry or department: the rollup per scope pattern (migration 011 / 005), a few rows a day.
    const key = scopeRollupKey(o.within);
    if (key !== undefined) {
      return (await this.#all(`SELECT day, nullif(level, -1) AS level, letter, metric, value FROM counter_scope_rollup
        WHERE scope = ? AND day >= ? AND day <= ? AND value <> 0 ORDER BY day, level, letter, metric`, key, o.fromDay, o.toDay)).map(toRow);
    }
    // sum(BIGINT) is numeric in PostgreSQL: cast back to BIGINT so it arrives as a number.
    return (await this.#all(`SELECT c.day, a.level, substr(c.agency, length(c.agency) - 2, 1) AS letter, c.metric, sum(c.value)::bigint AS value
      FROM counters c LEFT JOIN agencies a ON a.code = c.agency
      WHERE c.day >= ? AND c.day <= ? AND c.agency ${/[%_]/.test(o.within) ? 'LIKE' : '='} ? GROUP BY c.day, a.level, letter, c.metric ORDER BY c.day`,
    o.fromDay, o.toDay, o.within)).map(toRow);
  }


  async awaitingAnswer(afterSeq: number, limit: number): Promise<DeliveryRow[]> {
    return (await this.#all(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE seq > ? AND kind = 'edoc' AND state IN (${ANSWERABLE_SQL})
        AND answer_due_at IS NOT NULL AND (business_status IS NULL OR business_status = '13') ORDER BY seq LIMIT ?`, afterSeq, limit)).map((r) => toDelivery(r));
  }

  async deliveryStateCounts(): Promise<Record<string, number>> {
    return Object.fromEntries((await this.#all('SELECT state, count(*) AS n FROM deliveries GROUP BY state ORDER BY state')).map((r) => [r['state'] as string, r['n'] as number]));
  }

  async agencyPredecessors(code: string): Promise<Agency[]> {
    return (await this.#all('SELECT * FROM agencies WHERE successor = ? ORDER BY code', code)).map(toAgency);
  }

  async counterTopAgencies(o: { fromDay: string; toDay: string; within: AgencyPattern; metric: string; limit: number }): Promise<{ agency: string; value: number }[]> {
    return (await this.#all(`SELECT agency, sum(value)::bigint AS value FROM counters WHERE day >= ? AND day <= ? AND metric = ? ${o.within === null ? '' : 'AND agency LIKE ?'}
      GROUP BY agency ORDER BY value DESC, agency LIMIT ?`, o.fromDay, o.toDay, o.metric, ...(o.within === null ? [] : [o.within]), o.limit))
      .map((r) => ({ agency: r['agency'] as string, value: r['value'] as number }));
  }

  async answerTimes(o: { within: AgencyPattern; fromAt: number; toAt: number; limit: number }): Promise<{ deliveryId: string; recipient: string; receivedAt: number; acceptedAt: number | null; finishedAt: number | null }[]> {
    return (await this.#all(`SELECT d.id, d.recipient, doc.received_at,
        (SELECT min(s.at) FROM delivery_statuses s WHERE s.delivery_id = d.id AND s.status_code IN ('01', '03')) AS accepted_at,
        (SELECT min(s.at) FROM delivery_statuses s WHERE s.delivery_id = d.id AND s.status_code = '06') AS finished_at
      FROM deliveries d JOIN documents doc ON doc.id = d.document_id
      WHERE d.kind = 'edoc' AND doc.received_at >= ? AND doc.received_at < ? ${recipientWithin(o.within)} ORDER BY d.seq DESC LIMIT ?`,
    o.fromAt, o.toAt, ...(o.within === null ? [] : [o.within]), o.limit))
      .map((r) => ({ deliveryId: r['id'] as string, recipient: r['recipient'] as string, receivedAt: r['received_at'] as number,
        acceptedAt: r['accepted_at'] as number | null, finishedAt: r['finished_at'] as number | null }));
  }

  async pendingCounts(within: AgencyPattern, now: number): Promise<{ inFlight: number; overdue: number }> {
    const args = within === null ? [] : [within];
    const r = await this.#get(PENDING_COUNTS_SQL(within).replace('%INDEXED%', ''), now, now, ...args);
    return { inFlight: Number(r?.['in_flight'] ?? 0), overdue: Number(r?.['overdue'] ?? 0) };
  }

  async overdueDeliveries(o: { within: AgencyPattern; now: number; fromAt?: number; toAt?: number; limit: number }): Promise<OverdueRow[]> {
    const cols = DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ');
    const rows = await this.#all(`SELECT ${cols}, doc.from_agency, doc.edxml_id, doc.subject, doc.code_number, doc.code_notation, doc.due_at,
        doc.received_at FROM deliveries d JOIN documents doc ON doc.id = d.document_id
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
    const args: Param[] = [o.beforeSeq ?? Number.MAX_SAFE_INTEGER];
    // The dates only when asked: an open range would lead the planner to walk documents_received over every document.
    if (o.fromAt !== undefined) { where.push('doc.received_at >= ?'); args.push(o.fromAt); }
    if (o.toAt !== undefined) { where.push('doc.received_at < ?'); args.push(o.toAt); }
    if (o.within !== null) {
      where.push('(doc.from_agency LIKE ? OR EXISTS (SELECT 1 FROM deliveries x WHERE x.document_id = doc.id AND x.recipient LIKE ?))');
      args.push(o.within, o.within);
    }
    if (o.text !== undefined && o.text !== '') {
      // ILIKE: SQLite's LIKE ignores ASCII case, so both engines find "cong van" in "Công văn"'s ASCII letters alike.
      const t = `%${likeEscape(o.text)}%`;
      where.push("(doc.edxml_id ILIKE ? ESCAPE '\\' OR doc.code_notation ILIKE ? ESCAPE '\\' OR doc.subject ILIKE ? ESCAPE '\\' OR doc.id = ?)");
      args.push(t, t, t, o.text);
    }
    if (o.agency !== undefined) {
      // One agency's documents: its newest from the sender and recipient indexes, a window at a time, the other terms
      // deciding among them, not by walking every document or every one of the agency's.
      return agencyDocumentsNewestFirst({ agency: o.agency, beforeSeq: o.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit: o.limit },
        async (sql, ...a) => this.#all(sql, ...a),
        async (seqs) => (await this.#all(`SELECT doc.* FROM documents doc WHERE doc.seq IN (${placeholders(seqs.length)}) AND ${where.join(' AND ')} ORDER BY doc.seq DESC LIMIT ?`,
          ...seqs, ...args, o.limit)).map(toDocument));
    }
    return (await this.#all(`SELECT doc.* FROM documents doc WHERE ${where.join(' AND ')} ORDER BY doc.seq DESC LIMIT ?`, ...args, o.limit)).map(toDocument);
  }

  async documentWithin(documentId: string, within: AgencyPattern): Promise<boolean> {
    if (within === null) return (await this.getDocument(documentId)) !== undefined;
    return (await this.#get(`SELECT 1 AS y FROM documents doc WHERE doc.id = ? AND (doc.from_agency LIKE ?
      OR EXISTS (SELECT 1 FROM deliveries x WHERE x.document_id = doc.id AND x.recipient LIKE ?))`, documentId, within, within)) !== undefined;
  }

  async documentEvents(documentId: string, limit: number): Promise<EventRow[]> {
    return (await this.#all('SELECT * FROM events WHERE document_id = ? ORDER BY seq LIMIT ?', documentId, limit)).map(toEvent);
  }

  async searchAgencies(o: { within: AgencyPattern; text?: string; afterCode?: string; limit: number }): Promise<Agency[]> {
    const where = ['deleted = false', 'code > ?'];
    const args: Param[] = [o.afterCode ?? ''];
    if (o.within !== null) { where.push('code LIKE ?'); args.push(o.within); }
    if (o.text !== undefined && o.text !== '') {
      const t = `%${likeEscape(o.text)}%`;
      where.push("(code ILIKE ? ESCAPE '\\' OR name ILIKE ? ESCAPE '\\')");
      args.push(t, t);
    }
    return (await this.#all(`SELECT * FROM agencies WHERE ${where.join(' AND ')} ORDER BY code LIMIT ?`, ...args, o.limit)).map(toAgency);
  }

  async connectedCounts(within: AgencyPattern): Promise<{ agencies: number; connected: number }> {
    const connected = 'EXISTS (SELECT 1 FROM system_agencies sa WHERE sa.agency = a.code)';
    const tail = within === null ? undefined : legacyTail(within);
    if (within !== null && tail !== undefined) {
      // A legacy scope: its level-1 body's active agencies by their code's tail (011 / 005), LIKE deciding among them.
      const r = await this.#get(`SELECT count(*) AS n, count(*) FILTER (WHERE ${connected}) AS c FROM agencies a
        WHERE a.deleted = false AND a.state = 'active' AND length(a.code) = 13 AND substr(a.code, 10) = ? AND a.code LIKE ?`, tail, within);
      return { agencies: (r?.['n'] as number | undefined) ?? 0, connected: (r?.['c'] as number | undefined) ?? 0 };
    }
    if (within === null) {
      // Nationwide: the totals the triggers keep (006), two rows read instead of every served agency looked up.
      const t = new Map((await this.#all("SELECT key, value FROM console_totals WHERE key IN ('active_agencies', 'connected_agencies')")).map((r) => [r['key'], Number(r['value'])]));
      return { agencies: t.get('active_agencies') ?? 0, connected: t.get('connected_agencies') ?? 0 };
    }
    // The active agencies from their partial index (011 / 005); the connected ones from the systems' agencies (a
    // few thousand), each looked up, instead of asking every agency of the registry whether a system serves it.
    const n = (await this.#get(`SELECT count(*) AS n FROM agencies a WHERE a.deleted = false AND a.state = 'active' AND a.code LIKE ?`, within))?.['n'] as number | undefined;
    const c = (await this.#get(`SELECT count(*) AS n FROM (SELECT DISTINCT agency FROM system_agencies) sa WHERE EXISTS (SELECT 1 FROM agencies a
      WHERE a.code = sa.agency AND a.deleted = false AND a.state = 'active' AND a.code LIKE ?)`, within))?.['n'] as number | undefined;
    return { agencies: n ?? 0, connected: c ?? 0 };
  }

  async addSystemActivity(a: SystemActivityInput): Promise<void> {
    await this.#run(`INSERT INTO system_activity (system_id, hour_at, calls, refusals, last_at, protocol) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (system_id, hour_at) DO UPDATE SET calls = system_activity.calls + excluded.calls, refusals = system_activity.refusals + excluded.refusals,
        protocol = CASE WHEN excluded.last_at >= system_activity.last_at THEN excluded.protocol ELSE system_activity.protocol END,
        last_at = greatest(system_activity.last_at, excluded.last_at)`, a.systemId, a.hourAt, a.calls, a.refusals, a.lastAt, a.protocol);
  }

  async systemActivity(sinceAt: number): Promise<SystemActivity[]> {
    return (await this.#all(`SELECT s.id, l.last_at, l.protocol,
        (SELECT coalesce(sum(calls), 0)::bigint FROM system_activity x WHERE x.system_id = s.id AND x.hour_at >= ?) AS calls,
        (SELECT coalesce(sum(refusals), 0)::bigint FROM system_activity x WHERE x.system_id = s.id AND x.hour_at >= ?) AS refusals
      FROM systems s LEFT JOIN system_activity l ON l.system_id = s.id
        AND l.hour_at = (SELECT max(hour_at) FROM system_activity m WHERE m.system_id = s.id)
      ORDER BY s.id`, hourStart(sinceAt), hourStart(sinceAt))).map(toActivity);
  }

  async activeSystemCounts(within: AgencyPattern, sinceAt: number): Promise<{ systems: number; active: number }> {
    const w = within === null ? '' : 'WHERE EXISTS (SELECT 1 FROM system_agencies sa WHERE sa.system_id = s.id AND sa.agency LIKE ?)';
    const r = await this.#get(`SELECT count(*) AS n, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM system_activity x WHERE x.system_id = s.id AND x.hour_at >= ? AND x.last_at >= ?)) AS a
      FROM systems s ${w}`, hourStart(sinceAt), sinceAt, ...(within === null ? [] : [within]));
    return { systems: (r?.['n'] as number | undefined) ?? 0, active: (r?.['a'] as number | undefined) ?? 0 };
  }

  async addAgencyHistory(e: AgencyHistoryInput): Promise<void> {
    await this.#run(AGENCY_HISTORY_INSERT_SQL, e.code, e.kind, e.at, e.effective, e.name, e.oldName, e.successor, e.actor);
  }

  async agencyHistory(code: string, limit: number): Promise<AgencyHistoryEntry[]> {
    return (await this.#all(AGENCY_HISTORY_SELECT_SQL, code, code, limit)).map(toAgencyHistory);
  }

  async storageSize(): Promise<{ databaseBytes: number; packetBytes: number }> {
    // The packet bytes are kept by triggers (006): summing every document's bytes grew with the documents ever received.
    const r = await this.#get(`SELECT pg_database_size(current_database()) AS d, (SELECT value FROM console_totals WHERE key = 'packet_bytes') AS p`);
    return { databaseBytes: (r?.['d'] as number | undefined) ?? 0, packetBytes: (r?.['p'] as number | undefined) ?? 0 };
  }
}


/** Operations that only read, run on the pool with no transaction and no lock. */
const READS = new Set([
  'getAgency', 'getAgencies', 'findAgency', 'listAgencies', 'agencyListPage', 'countAgencies', 'registryVersion', 'getSystem', 'getSystemByTokenHash', 'listSystems',
  'systemAgencies', 'systemActsFor', 'documentIdByKey', 'getDocument', 'findDocumentByEdxmlId', 'documentLinks', 'listSentDocuments',
  'digestReferenced', 'inlineBlob', 'getDelivery', 'deliveriesOfDocument', 'findDelivery', 'inbox', 'countInbox', 'statusHistory',
  'expiredDeliveries', 'overdueCandidates', 'events', 'checkpoints', 'archivableSegment', 'documentsAcceptedIn', 'unnamedDigestsOf',
  'archivedDocumentCounts', 'counters',
  // the console's
  'getUser', 'listUsers', 'getSession', 'loginFailures', 'calendarDays', 'counterSums', 'counterTotals', 'awaitingAnswer', 'deliveryStateCounts',
  'agencyPredecessors', 'pendingCounts', 'overdueDeliveries', 'searchDocuments', 'documentWithin', 'documentEvents', 'searchAgencies',
  'connectedCounts', 'counterTopAgencies', 'answerTimes', 'systemActivity', 'activeSystemCounts', 'storageSize', 'agencyHistory',
]);
/** Writes of one statement that are atomic and correct under concurrency without the write lock (see the top). */
const LOCK_FREE_WRITES = new Set(['setDeliveryIf', 'bumpCounter', 'addSystemActivity', 'beginBulkLoad', 'endBulkLoad']);

/** Runs `fn` in a transaction on one pooled connection, holding WRITE_LOCK from its start to its commit. */
export async function writeTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (e) {
      await client.query('ROLLBACK').catch((r: unknown) => { broken = r as Error; });
      throw e;
    }
  } finally {
    // A connection that failed its ROLLBACK is gone or confused: the pool must not hand it out again.
    client.release(broken);
  }
}

function storeOnPool(pool: pg.Pool, url: string): PostgresStore {
  const direct = new PostgresOps(pool);
  const store: Record<string, unknown> = {
    engine: 'postgres',
    pool,
    url,
    transaction: <T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> => writeTransaction(pool, (client) => fn(new PostgresOps(client))),
    // A commit becomes visible to other sessions only after its WAL flush (synchronous_commit on).
    settled: () => undefined,
    // One node's writes take the write lock one at a time anyway: a bulk load writes its batches the ordinary way.
    batchWriter: () => ({ write: (b: WriteBatch) => (store['writeBatch'] as (b: WriteBatch) => Promise<WriteBatchResult>)(b), close: async () => undefined }),
    close: () => pool.end(),
  };
  const proto = PostgresOps.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of Object.getOwnPropertyNames(PostgresOps.prototype)) {
    const op = proto[name];
    if (name === 'constructor' || typeof op !== 'function') continue;
    // Each operation outside `transaction` is still atomic on its own (a document and its keys, an agency and
    // its other codes): reads and lock-free writes are one statement; other writes get their own transaction.
    store[name] = READS.has(name) || LOCK_FREE_WRITES.has(name)
      ? (...args: unknown[]) => op.apply(direct, args)
      : (...args: unknown[]) => writeTransaction(pool, (client) => op.apply(new PostgresOps(client), args));
  }
  return store as unknown as PostgresStore;
}
