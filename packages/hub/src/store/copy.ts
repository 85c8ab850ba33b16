// `vdxp store copy`: moves an embedded hub (a data folder: SQLite + blob folder) onto PostgreSQL, where nodes
// can share it. Table by table in primary-key pages (memory bounded by a page), each row written with
// INSERT … ON CONFLICT, so a copy that was interrupted is resumed by running it again: rows already there are
// skipped (append-only tables) or brought up to date (deliveries, counters, systems, agencies: the ones that
// change). Rows and the evidence chain are copied as stored (JSON as text), so every hash still verifies.
// Systems' VDXP secrets are re-sealed from the folder's secret.key to the nodes' key file, so credentials keep
// working. Packet files are streamed into chunks through the PostgreSQL packet store (digest checked on the
// way) and adopted one by one. Console accounts and the calendar are copied; console sessions are not (a session
// is a login on one hub: people log in again on the nodes), nor failed-login counts (they expire in minutes).
// The source should be stopped while it is copied; the target not yet served.

import { readdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type pg from 'pg';
import { systemRandom } from '../clock.ts';
import { HubError } from '../errors.ts';
import { hubLimits } from '../limits.ts';
import { SecretBox } from '../secrets.ts';
import { PgPacketStore } from './postgres/packets.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';

/** Rows read from SQLite and written to PostgreSQL per statement. */
const COPY_PAGE_ROWS = 500;

interface TablePlan {
  table: string;
  key: string[];
  /** Columns that change after insert: updated on conflict (the others are immutable, so skipped). */
  mutable?: boolean;
  booleans?: string[];
}

/** In foreign-key order. */
const TABLES: TablePlan[] = [
  { table: 'agencies', key: ['code'], mutable: true, booleans: ['deleted'] },
  { table: 'agency_codes', key: ['code'], mutable: true },
  { table: 'systems', key: ['id'], mutable: true, booleans: ['vdxp_strict'] },
  { table: 'system_agencies', key: ['system_id', 'agency'] },
  { table: 'registry_meta', key: ['key'], mutable: true },
  { table: 'documents', key: ['id'], mutable: true },
  { table: 'document_keys', key: ['key'] },
  { table: 'document_links', key: ['document_id', 'related_id', 'relation'] },
  { table: 'deliveries', key: ['id'], mutable: true, booleans: ['overdue'] },
  { table: 'delivery_statuses', key: ['delivery_id', 'seq'] },
  { table: 'events', key: ['seq'] },
  { table: 'counters', key: ['day', 'agency', 'metric'], mutable: true },
  { table: 'archive_checkpoints', key: ['last_seq'] },
  { table: 'blobs_inline', key: ['digest'] },
  { table: 'users', key: ['username'], mutable: true },
  { table: 'calendar_days', key: ['day'], mutable: true },
];

export interface CopyProgress {
  table: string;
  rows: number;
  total: number;
}

export interface CopyResult {
  tables: Record<string, number>;
  packetFiles: number;
  packetFilesSkipped: number;
  packetBytes: number;
  /** Console sessions in the source, not copied: their users log in again on the target. */
  sessionsDropped: number;
}

export async function copyStore(o: { fromDir: string; toUrl: string; keyFile: string; progress: (p: CopyProgress) => void }): Promise<CopyResult> {
  const source = new DatabaseSync(join(o.fromDir, 'vdxp.sqlite'), { readOnly: true });
  const target = await openPostgresStore(o.toUrl, { poolConnectionsMax: 2 });
  const fromBox = SecretBox.fromKeyFile(join(o.fromDir, 'secret.key'));
  const toBox = SecretBox.fromKeyFile(o.keyFile);
  const result: CopyResult = { tables: {}, packetFiles: 0, packetFilesSkipped: 0, packetBytes: 0,
    sessionsDropped: Number(source.prepare('SELECT count(*) AS n FROM sessions').get()?.['n'] ?? 0) };
  try {
    // The nodes' key check (hub.ts): the target must be sealed under the key the nodes will be given.
    await target.pool.query("INSERT INTO hub_meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING", [toBox.fingerprint()]);
    const kept = (await target.pool.query<{ value: string }>("SELECT value FROM hub_meta WHERE key = 'key_check'")).rows[0]?.value;
    if (kept !== toBox.fingerprint()) throw new HubError('VDXP_E_KEY_MISMATCH', `The database's secrets are sealed under another key than ${o.keyFile}: give the nodes' key file`);
    for (const plan of TABLES) {
      result.tables[plan.table] = await copyTable(source, target.pool, plan, (rows, total) => o.progress({ table: plan.table, rows, total }),
        plan.table === 'systems' ? (row) => ({ ...row, secret: toBox.seal(fromBox.open(row['secret'] as string)) }) : undefined);
    }
    const limits = hubLimits();
    const packets = new PgPacketStore({
      pool: target.pool, random: systemRandom, inlinePacketBytesMax: 0, chunkBytes: limits.pgPacketChunkBytes,
      readChunks: limits.pgPacketReadChunks, readSliceBytes: limits.pgPacketReadSliceBytes, stagedIdleMs: limits.pgStagedUploadIdleSeconds * 1000,
    });
    const root = join(o.fromDir, 'blobs');
    const dirs = await readdir(root).catch(() => [] as string[]);
    let seen = 0;
    for (const dir of dirs.sort()) {
      for (const digest of (await readdir(join(root, dir))).sort()) {
        seen++;
        const there = await target.pool.query('SELECT 1 FROM packets WHERE digest = $1', [digest]);
        if (there.rowCount === 1) { result.packetFilesSkipped++; continue; }
        const w = packets.begin();
        try {
          for await (const chunk of createReadStream(join(root, dir, digest), { highWaterMark: limits.pgPacketChunkBytes })) await w.write(chunk as Buffer);
          const staged = await w.finish();
          if (staged.digest !== digest) throw new HubError('VDXP_E_BLOB_CORRUPT', `Packet file blobs/${dir}/${digest} hashes to ${staged.digest}: restore it from a backup, then copy again`);
          await target.transaction(async (tx) => { await packets.keep(tx, staged); });
          await packets.commit(staged);
          result.packetFiles++;
          result.packetBytes += staged.bytes;
        } catch (e) {
          await w.abort();
          throw e;
        }
        o.progress({ table: 'packet files', rows: seen, total: -1 });
      }
    }
    return result;
  } finally {
    source.close();
    await target.close();
  }
}

async function copyTable(source: DatabaseSync, pool: pg.Pool, plan: TablePlan, progress: (rows: number, total: number) => void,
  transform?: (row: Record<string, SQLInputValue>) => Record<string, SQLInputValue>): Promise<number> {
  const total = Number(source.prepare(`SELECT count(*) AS n FROM ${plan.table}`).get()?.['n'] ?? 0);
  const page = source.prepare(`SELECT rowid AS _rowid, * FROM ${plan.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  let after = 0;
  let copied = 0;
  for (;;) {
    const rows = page.all(after, COPY_PAGE_ROWS);
    if (rows.length === 0) break;
    after = Number(rows.at(-1)?.['_rowid']);
    const columns = Object.keys(rows[0] ?? {}).filter((c) => c !== '_rowid');
    const values: unknown[] = [];
    const tuples = rows.map((raw) => {
      const row = transform ? transform(raw) : raw;
      return `(${columns.map((c) => {
        const v = row[c];
        values.push(plan.booleans?.includes(c) ? v === 1 : v instanceof Uint8Array ? Buffer.from(v) : v);
        return `$${values.length}`;
      }).join(', ')})`;
    });
    const update = columns.filter((c) => !plan.key.includes(c)).map((c) => `${c} = excluded.${c}`).join(', ');
    const conflict = plan.mutable === true && update !== '' ? `DO UPDATE SET ${update}` : 'DO NOTHING';
    await pool.query(`INSERT INTO ${plan.table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (${plan.key.join(', ')}) ${conflict}`, values);
    copied += rows.length;
    progress(copied, total);
  }
  return copied;
}
