// The SQLite engine's batch writer (Store.batchWriter): StoreOps.writeBatch's statements on a connection of its
// own in a worker thread, so a bulk load's deciding (on the caller's thread) and its writing use both cores.
// Each batch is one transaction, committed with a full sync (synchronous=FULL) before its promise resolves.

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { BatchWriter, WriteBatch, WriteBatchResult } from '../store.ts';

interface Reply { id: number; ok: boolean; result?: WriteBatchResult; error?: string }

export function sqliteBatchWriter(path: string, o: { busyTimeoutMs: number; cacheKib: number }): BatchWriter {
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
  worker.on('error', (e) => { failAll(e); });
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
      worker.postMessage({ id, batch: b });
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
