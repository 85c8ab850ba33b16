// What both SQL engines share: row mappers whose columns read the same in both, the delivery-state lists as SQL,
// the overdue rule as SQL and LIKE escaping. Engine-specific mappings (booleans, JSON columns) stay in each engine.

import {
  ANSWERABLE_STATES, PENDING_STATES, type AgencyHistoryEntry, type CallProtocol, type DeliveryState, type EventRow, type StatusEntry, type SystemActivity, type UserRecord,
} from './store.ts';

export type SqlRow = Record<string, unknown>;

/** State names as an SQL list, for queries that name them in their text (they are constants, never input). */
export const sqlList = (states: readonly string[]): string => states.map((s) => `'${s}'`).join(', ');
export const PENDING_SQL = sqlList(PENDING_STATES);
export const ANSWERABLE_SQL = sqlList(ANSWERABLE_STATES);

export const toStatus = (r: SqlRow): StatusEntry => ({
  deliveryId: r['delivery_id'] as string, seq: r['seq'] as number, statusCode: r['status_code'] as string,
  documentId: r['document_id'] as string | null, description: r['description'] as string | null, at: r['at'] as number,
});

export const toEvent = (r: SqlRow): EventRow => ({
  seq: r['seq'] as number, at: r['at'] as number, type: r['type'] as string, actor: r['actor'] as string | null,
  documentId: r['document_id'] as string | null, deliveryId: r['delivery_id'] as string | null,
  data: JSON.parse(r['data'] as string) as Record<string, unknown>, dataJson: r['data'] as string, prevHash: r['prev_hash'] as string, hash: r['hash'] as string,
});

/**
 * getAgenciesList's page (StoreOps.agencyListPage) in one statement over the agencies_version_code index: the items'
 * JSON text concatenated, their count and the last row's version. The LIMIT keeps the subquery whole (never
 * flattened into the aggregate, nor its ORDER BY dropped), so its rows reach the aggregate in (version, code)
 * order; an ORDER BY inside the aggregate would sort the items again, their text with them (twice the time,
 * measured). Each engine writes an item's JSON object from its (key, SQL value) pairs (`item`), turns the page's
 * text into bytes (`bytes`), spells false, and finds `oldCode`: the first of the agency's other codes, other than
 * its own, of the legacy form NNN.NN.NN.XNN (agency-code.ts LEGACY; the contract suite checks both engines against
 * it). Binds the cursor (version, or version and code), then the limit.
 */
export const agencyListPageSql = (e: { item: (pairs: [string, string][]) => string; bytes: (expr: string) => string; deletedFalse: string; oldCode: string }, afterCode: boolean): string => `
  SELECT ${e.bytes("string_agg(item, ',')")} AS json, count(*) AS n, max(version) AS last_version FROM (
    SELECT a.version, ${e.item([['id', 'a.code'], ['pid', "coalesce(a.parent, '')"], ['code', 'a.code'], ['name', 'a.name'], ['mail', "coalesce(a.email, '')"],
      ['oldCode', `CASE WHEN a.other_codes = '[]' THEN '' ELSE coalesce(${e.oldCode}, '') END`]])} AS item
    FROM agencies a WHERE ${afterCode ? '(a.version, a.code) > (?, ?)' : 'a.version > ?'} AND a.deleted = ${e.deletedFalse} AND a.state IN ('active', 'suspended')
    ORDER BY a.version, a.code LIMIT ?) page`;

const ITEM_START = Buffer.from('{"id":"');

/**
 * The code of a page's last item, read back from its text: the cursor's code at no cost to the query. `{"id":"`
 * starts each item and nothing else: inside a JSON string every quote is escaped, and no key but `id` follows `{`.
 */
export function lastItemCode(json: Buffer): string {
  const from = json.lastIndexOf(ITEM_START) + ITEM_START.length;
  let end = from;
  while (end < json.length && json[end] !== 0x22) end += json[end] === 0x5c ? 2 : 1;
  return JSON.parse(json.subarray(from - 1, end + 1).toString('utf8')) as string;
}

export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Codes per statement of StoreOps.getAgencies: far below either engine's bound on parameters. */
export const AGENCIES_PER_READ = 500;

/** StoreOps.getAgencies' statements: the distinct codes in slices of AGENCIES_PER_READ, each with its SQL. */
export function agenciesByCodeSql(codes: readonly string[]): { sql: string; args: string[] }[] {
  const distinct = [...new Set(codes)];
  const out: { sql: string; args: string[] }[] = [];
  for (let at = 0; at < distinct.length; at += AGENCIES_PER_READ) {
    const args = distinct.slice(at, at + AGENCIES_PER_READ);
    out.push({ sql: `SELECT * FROM agencies WHERE code IN (${placeholders(args.length)})`, args });
  }
  return out;
}

/**
 * StoreOps.inbox in either engine: a system's agencies' deliveries in `states` (default: pending) after a seq,
 * oldest first, each with its document (`cols`: the delivery's columns as d_*, then doc.*). The pending states
 * are written into the text, as the partial index deliveries_pending (SQLite 014_live, PostgreSQL 007_live)
 * names them, so each agency costs one probe of that small index: with the states as parameters the planner
 * walked every delivery an agency ever had (deliveries_recipient_seq) on each long-poll's read and wake.
 */
export function inboxSql(cols: string, systemId: string, o: { kind?: 'edoc' | 'status'; afterSeq?: number; limit: number; states?: readonly DeliveryState[] }): { sql: string; args: (string | number)[] } {
  const pending = o.states === undefined || (o.states.length === PENDING_STATES.length && PENDING_STATES.every((s) => o.states?.includes(s)));
  const states = pending ? [] : [...(o.states ?? [])];
  return {
    sql: `SELECT ${cols}, doc.* FROM system_agencies sa
        JOIN deliveries d ON d.recipient = sa.agency
        JOIN documents doc ON doc.id = d.document_id
      WHERE sa.system_id = ? AND d.state IN (${pending ? PENDING_SQL : placeholders(states.length)}) AND d.seq > ? ${o.kind ? 'AND d.kind = ?' : ''}
      ORDER BY d.seq LIMIT ?`,
    args: [systemId, ...states, o.afterSeq ?? 0, ...(o.kind ? [o.kind] : []), o.limit],
  };
}

/**
 * An open delivery over `d`: one that is in flight, or may be or become overdue (an edoc delivery still pending, or
 * acknowledged but not answered as the overdue rule wants). Written exactly as the partial index deliveries_open
 * (SQLite 011, PostgreSQL 005): a query that ANDs it in walks that index, which holds a few per cent of deliveries.
 */
export const OPEN_DELIVERY_SQL = `d.kind = 'edoc' AND (d.state IN ('queued', 'fetched')
  OR (d.state = 'done' AND ((d.answer_due_at IS NOT NULL AND (d.business_status IS NULL OR d.business_status = '13'))
    OR (d.document_due_at IS NOT NULL AND coalesce(d.business_status, '') NOT IN ('06', '02', '15')))))`;

/** The deadlines of delivery.ts's isOverdue as SQL over an open delivery `d`; binds now twice. */
export const OVERDUE_RULE_SQL = `((d.answer_due_at <= ? AND (d.business_status IS NULL OR d.business_status = '13'))
    OR (d.document_due_at <= ? AND coalesce(d.business_status, '') NOT IN ('06', '02', '15')))`;

/** The overdue rule of delivery.ts's isOverdue as SQL over `d` (open deliveries only, by the index); binds now twice. */
export const OVERDUE_NOW_SQL = `${OPEN_DELIVERY_SQL}
  AND ${OVERDUE_RULE_SQL}`;

/**
 * In flight and overdue now among the open deliveries, in one walk of their index (deliveries_open, which holds
 * every column this reads: SQLite 012 / PostgreSQL 006, so no delivery row is read); binds now twice, then the scope.
 */
export const PENDING_COUNTS_SQL = (within: string | null): string => `SELECT count(*) FILTER (WHERE d.state IN (${PENDING_SQL})) AS in_flight,
    count(*) FILTER (WHERE ${OVERDUE_RULE_SQL}) AS overdue
  FROM deliveries d %INDEXED% WHERE ${OPEN_DELIVERY_SQL} ${recipientWithin(within)}`;

/** A pattern that is one code (no wildcard): compared with =, which an index keyed by recipient answers; LIKE cannot. */
export const isOneCode = (within: string): boolean => !/[%_]/.test(within);

/** `AND d.recipient …` for a scope pattern (binds it once), or nothing nationwide. */
export const recipientWithin = (within: string | null): string => (within === null ? '' : isOneCode(within) ? 'AND d.recipient = ?' : 'AND d.recipient LIKE ?');

/**
 * The key of counter_scope_rollup (SQLite 011, PostgreSQL 005) a scope pattern reads: scope.ts's patterns of legacy
 * codes with wildcards (a province or ministry `___.__.__.H41`, a department `___.__.15.H41`, a unit's group
 * `___.03.15.H41`); undefined for the others (QĐ20 `H41%`, one agency's code), which read `counters`.
 */
export const scopeRollupKey = (within: string): string | undefined =>
  /^___\.(?:__\.__|__\.\d\d|\d\d\.\d\d)\.[A-Z]\d\d$/.test(within) ? within : undefined;

/** The last four characters (`.H41`) every code a legacy scope pattern matches ends with; undefined for other patterns. */
export const legacyTail = (within: string): string | undefined =>
  /^[_\d]{3}\.[_\d]{2}\.[_\d]{2}\.[A-Z]\d\d$/.test(within) ? within.slice(-4) : undefined;

/** A user's text inside a LIKE pattern: its own %, _ and \ match themselves. */
export const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export const toUser = (r: SqlRow): UserRecord => ({
  username: r['username'] as string, role: r['role'] as UserRecord['role'], scope: r['scope'] as string | null,
  passwordHash: r['password_hash'] as string, state: r['state'] as UserRecord['state'], createdAt: r['created_at'] as number,
  updatedAt: r['updated_at'] as number,
});

const HOUR_MS = 3600 * 1000;
/** The first millisecond of the hour holding `at`: system_activity's row key. */
export const hourStart = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;

export const toActivity = (r: SqlRow): SystemActivity => ({
  systemId: r['id'] as string, lastAt: (r['last_at'] as number | null) ?? null, protocol: (r['protocol'] as CallProtocol | null) ?? null,
  calls: Number(r['calls'] ?? 0), refusals: Number(r['refusals'] ?? 0),
});

export const toAgencyHistory = (r: SqlRow): AgencyHistoryEntry => ({
  id: Number(r['id']), code: r['code'] as string, kind: r['kind'] as AgencyHistoryEntry['kind'], at: Number(r['at']),
  effective: r['effective'] === null ? null : Number(r['effective']), name: r['name'] as string | null, oldName: r['old_name'] as string | null,
  successor: r['successor'] as string | null, actor: r['actor'] as string | null,
});

export const AGENCY_HISTORY_INSERT_SQL = `INSERT INTO agency_history (code, kind, at, effective, name, old_name, successor, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
export const AGENCY_HISTORY_SELECT_SQL = `SELECT * FROM (SELECT id, code, kind, at, effective, name, old_name, successor, actor FROM agency_history WHERE code = ?
  UNION SELECT id, code, kind, at, effective, name, old_name, successor, actor FROM agency_history WHERE successor = ?) h ORDER BY id LIMIT ?`;

/** A batch's counter increments summed per (day, agency, metric): one upsert each, in a stable order. */
export function sumCounters(list: readonly { day: string; agency: string; metric: string; by: number }[]): { day: string; agency: string; metric: string; by: number }[] {
  const sums = new Map<string, { day: string; agency: string; metric: string; by: number }>();
  for (const c of list) {
    const k = `${c.day}\u0000${c.agency}\u0000${c.metric}`;
    const s = sums.get(k);
    if (s) s.by += c.by;
    else sums.set(k, { ...c });
  }
  return [...sums.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.agency < b.agency ? -1 : a.agency > b.agency ? 1 : a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
}

/**
 * One agency's documents newest first, a page at a time: the newest document seqs below `beforeSeq` it sent
 * (documents_from_seq) and received (deliveries_recipient_seq, SQLite 012 / PostgreSQL 006), `limit` of each, are
 * merged; the candidates down to where both lists are still complete go to `rows`, which keeps those that pass the
 * search's other terms (newest first); the next window starts below them, until the page is full or both lists
 * end. The search then costs what its page shows, not every document the agency ever exchanged. The delivery list
 * is in document order because a document's deliveries are written in its own transaction, after it, and writes
 * are serialised on both engines (one connection; the one write lock).
 */
export async function agencyDocumentsNewestFirst<T>(
  o: { agency: string; beforeSeq: number; limit: number },
  all: (sql: string, ...args: (string | number)[]) => Promise<SqlRow[]>,
  rows: (seqs: number[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  const window = Math.max(o.limit, 1);
  let before = o.beforeSeq;
  while (out.length < o.limit) {
    const sent = (await all('SELECT seq FROM documents WHERE from_agency = ? AND seq < ? ORDER BY seq DESC LIMIT ?', o.agency, before, window))
      .map((r) => Number(r['seq']));
    const received = (await all(`SELECT doc.seq FROM deliveries d JOIN documents doc ON doc.id = d.document_id
      WHERE d.recipient = ? AND doc.seq < ? ORDER BY d.seq DESC LIMIT ?`, o.agency, before, window)).map((r) => Number(r['seq']));
    // A full list may go on below its last entry: only seqs down to the higher of the full lists' last are certain.
    const frontier = Math.max(sent.length === window ? sent[window - 1]! : -1, received.length === window ? received[window - 1]! : -1);
    const seqs = [...new Set([...sent, ...received])].filter((q) => q >= frontier).sort((a, b) => b - a);
    if (seqs.length > 0) out.push(...await rows(seqs));
    if (frontier < 0) break;
    before = frontier;
  }
  return out.slice(0, o.limit);
}

/**
 * counterTotals' two statements for a scope: the sums per day and metric, and per level, letter and metric, over
 * the rollup the scope reads (nationwide: counter_rollup; a legacy scope pattern: counter_scope_rollup; any other:
 * the counters of the agencies it matches), so the overview receives a few hundred sums, not a row per day, level,
 * letter and metric. Both bind `args`.
 */
export function counterTotalsSql(o: { fromDay: string; toDay: string; within: string | null; metrics: readonly string[] }): { days: string; groups: string; args: string[] } {
  const metrics = placeholders(o.metrics.length);
  const key = o.within === null ? undefined : scopeRollupKey(o.within);
  const src = o.within === null
    ? { from: 'counter_rollup r', day: 'r.day', metric: 'r.metric', level: 'nullif(r.level, -1)', letter: 'r.letter', value: 'r.value', scope: '', scopeArgs: [] }
    : key !== undefined
      ? { from: 'counter_scope_rollup r', day: 'r.day', metric: 'r.metric', level: 'nullif(r.level, -1)', letter: 'r.letter', value: 'r.value', scope: 'AND r.scope = ?', scopeArgs: [key] }
      : { from: 'counters c LEFT JOIN agencies a ON a.code = c.agency', day: 'c.day', metric: 'c.metric', level: 'a.level', letter: 'substr(c.agency, length(c.agency) - 2, 1)',
        value: 'c.value', scope: `AND c.agency ${/[%_]/.test(o.within) ? 'LIKE' : '='} ?`, scopeArgs: [o.within] };
  const where = `WHERE ${src.day} >= ? AND ${src.day} <= ? AND ${src.metric} IN (${metrics}) ${src.scope}`;
  return {
    days: `SELECT ${src.day} AS day, ${src.metric} AS metric, CAST(sum(${src.value}) AS BIGINT) AS value FROM ${src.from} ${where}
      GROUP BY ${src.day}, ${src.metric} HAVING sum(${src.value}) <> 0 ORDER BY 1, 2`,
    groups: `SELECT ${src.level} AS level, ${src.letter} AS letter, ${src.metric} AS metric, CAST(sum(${src.value}) AS BIGINT) AS value FROM ${src.from} ${where}
      GROUP BY ${src.level}, ${src.letter}, ${src.metric} HAVING sum(${src.value}) <> 0 ORDER BY 1, 2, 3`,
    args: [o.fromDay, o.toDay, ...o.metrics, ...src.scopeArgs],
  };
}

export type CounterTotals = { days: { day: string; metric: string; value: number }[]; groups: { level: number | null; letter: string; metric: string; value: number }[] };

export const toCounterTotals = (days: SqlRow[], groups: SqlRow[]): CounterTotals => ({
  days: days.map((r) => ({ day: r['day'] as string, metric: r['metric'] as string, value: Number(r['value']) })),
  groups: groups.map((r) => ({ level: r['level'] === null ? null : Number(r['level']), letter: r['letter'] as string, metric: r['metric'] as string, value: Number(r['value']) })),
});
