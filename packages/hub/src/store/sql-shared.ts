// What both SQL engines share: row mappers whose columns read the same in both, the delivery-state lists as SQL,
// the overdue rule as SQL and LIKE escaping. Engine-specific mappings (booleans, JSON columns) stay in each engine.

import {
  ANSWERABLE_STATES, PENDING_STATES, type AgencyHistoryEntry, type CallProtocol, type EventRow, type StatusEntry, type SystemActivity, type UserRecord,
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
