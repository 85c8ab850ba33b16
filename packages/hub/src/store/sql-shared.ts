// What both SQL engines share: row mappers whose columns read the same in both, the delivery-state lists as SQL,
// the overdue rule as SQL and LIKE escaping. Engine-specific mappings (booleans, JSON columns) stay in each engine.

import {
  ANSWERABLE_STATES, PENDING_STATES, type EventRow, type StatusEntry, type UserRecord,
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

export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** The overdue rule of delivery.ts's isOverdue as SQL over `d` and `doc`; binds now twice. */
export const OVERDUE_NOW_SQL = `d.kind = 'edoc' AND d.state IN (${ANSWERABLE_SQL})
  AND ((d.answer_due_at <= ? AND (d.business_status IS NULL OR d.business_status = '13'))
    OR (doc.due_at <= ? AND coalesce(d.business_status, '') NOT IN ('06', '02', '15')))`;

/** A user's text inside a LIKE pattern: its own %, _ and \ match themselves. */
export const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export const toUser = (r: SqlRow): UserRecord => ({
  username: r['username'] as string, role: r['role'] as UserRecord['role'], scope: r['scope'] as string | null,
  passwordHash: r['password_hash'] as string, state: r['state'] as UserRecord['state'], createdAt: r['created_at'] as number,
  updatedAt: r['updated_at'] as number,
});

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
