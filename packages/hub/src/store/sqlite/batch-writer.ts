// The SQLite engine's batch writer (Store.batchWriter): StoreOps.writeBatch's statements on a connection of its
// own in a worker thread, so a bulk load's deciding (on the caller's thread) and its writing use both cores.
// Each batch is one transaction. The thread's connection syncs at checkpoints (synchronous=NORMAL: WAL mode stays
// consistent through a power cut, the last batches may be lost, as a load cut short would be) and every batch
// is on disk when `close` resolves (a last checkpoint, the database file synced).

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { BatchWriter, WriteBatch, WriteBatchResult } from '../store.ts';
import type { BatchJson } from './sqlite-store.ts';

interface Reply { id: number; ok: boolean; result?: WriteBatchResult; error?: string }

export function sqliteBatchWriter(path: string, o: { busyTimeoutMs: number; cacheKib: number; walCheckpointPages: number }): BatchWriter {
  const worker = new Worker(new URL('./batch-writer-worker.ts', import.meta.url), { workerData: { path, ...o } });
  const waiting = new Map<number, { resolve: (r: WriteBatchResult) => void; reject: (e: Error) => void }>();
  let next = 0;
  let failure: Error | undefined;
  let gone = false;
  const failAll = (e: Error): void => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (!w) return;
    if (m.ok) w.resolve(m.result as WriteBatchResult);
    else w.reject(new Error(`batch writer: ${m.error ?? 'failed'}`));
  });
  worker.on('error', (e: Error) => { failAll(e); });
  worker.on('exit', (code) => {
    gone = true;
    failAll(new Error(`the batch writer thread exited (${code})`));
  });
  return {
    write: (b: WriteBatch) => new Promise<WriteBatchResult>((resolve, reject) => {
      if (failure) {
        reject(failure);
        return;
      }
      const id = ++next;
      waiting.set(id, { resolve, reject });
      // The nested parts (headers, signatures, events' data) go as the JSON they are stored as: cloning them
      // for the thread cost more than writing that JSON here, and the thread would write it again.
      const json: BatchJson = { headers: [], signatures: [], data: [] };
      const documents = b.documents.map(({ doc, keys }) => {
        json.headers.push(JSON.stringify(doc.header));
        json.signatures.push(JSON.stringify(doc.signature));
        return { doc: { ...doc, header: null, signature: null }, keys };
      });
      const events = b.events.map((e) => {
        json.data.push(JSON.stringify(e.data));
        return { ...e, data: {} };
      });
      worker.postMessage({ id, batch: { ...b, documents, events }, json });
    }),
    close: async () => {
      if (gone) return;
      // Messages are handled in order: every batch posted before this is written (or refused) first.
      const exited = once(worker, 'exit');
      worker.postMessage('close');
      await exited;
    },
  };
}
