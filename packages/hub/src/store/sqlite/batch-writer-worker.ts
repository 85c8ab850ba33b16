// The batch writer's thread (batch-writer.ts): one connection, one transaction per batch, replies in order.

import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { WriteBatch } from '../store.ts';
import { writeBatchRows, type BatchJson } from './sqlite-store.ts';

const { path, busyTimeoutMs, cacheKib, walCheckpointPages } = workerData as { path: string; busyTimeoutMs: number; cacheKib: number; walCheckpointPages: number };
const db = new DatabaseSync(path);
// Checkpoints every WAL_CHECKPOINT_PAGES: fewer, larger copies back into the file, a page changed by several
// batches copied once.
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${busyTimeoutMs};
  PRAGMA cache_size = -${cacheKib}; PRAGMA wal_autocheckpoint = ${walCheckpointPages};`);
const statements = new Map<string, StatementSync>();
const st = (sql: string): StatementSync => {
  let s = statements.get(sql);
  if (s === undefined) {
    s = db.prepare(sql);
    statements.set(sql, s);
  }
  return s;
};
const port = parentPort;
if (!port) throw new Error('assertion: batch-writer-worker.ts runs as a worker thread');
port.on('message', (m: { id: number; batch: WriteBatch; json: BatchJson } | 'close') => {
  if (m === 'close') {
    // Everything written reaches the database file, synced (a checkpoint syncs it whatever synchronous says).
    db.exec('PRAGMA wal_checkpoint(FULL)');
    db.close();
    port.close();
    return;
  }
  try {
    db.exec('BEGIN IMMEDIATE');
    const result = writeBatchRows(st, m.batch, m.json);
    db.exec('COMMIT');
    port.postMessage({ id: m.id, ok: true, result });
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    port.postMessage({ id: m.id, ok: false, error: (e as Error).message });
  }
});
